"""Held notes folded into their pitch: a piece's likelihood as pitch-per-step arrays record it.

The JSB chorale arrays (Jsb16thSeparated, the split Coconet, Music Transformer and TonicNet
report on) give each voice one pitch per sixteenth, so a note held for two steps and the same
note struck twice are the same record. A model of the frame stream tells them apart (``_``
against the pitch again), so its probability of such a record is folded: where a voice sounds
the same pitch (or rest) as one frame before, the step costs ``-log(p(hold) + p(that pitch
again))``; where it changes, ``-log p(new token)``. Fed the held form, the model is then a proper
distribution over the records, and its nats per voice-step compare with the published ones.

Figures (:class:`FoldedView`, under ``folded`` in a split's metrics):

- ``nats_per_voice_step``: the voices' folded nats over voices times frames, every step pooled;
- ``nats_per_voice_step_by_piece``: the same per piece, averaged over pieces;
- ``frame_nats_per_voice_step``: what the frame tokens and the piece's end cost besides (a record
  has neither fermatas nor an end symbol, so this is reported apart, not hidden).
"""

from __future__ import annotations

from collections import Counter

import torch

from musiclstm.data.batches import IGNORE
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.music.tokens import HOLD


def sounding_before(tokens: torch.Tensor, hold: int) -> torch.Tensor:
    """(rows, frames, width) token ids -> for every step, the token its voice sounded one frame
    before (a hold resolved to the pitch or rest it holds; -1 in the first frame)."""
    sounding = tokens.clone()
    for frame in range(1, tokens.shape[1]):
        held = tokens[:, frame] == hold
        sounding[:, frame] = torch.where(held, sounding[:, frame - 1], tokens[:, frame])
    before = torch.full_like(tokens, -1)
    before[:, 1:] = sounding[:, :-1]
    return before


def folded_nats(
    log_probs: torch.Tensor, targets: torch.Tensor, width: int, hold: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per target (rows, steps): its nats with holds folded, whether it is a voice's step, and
    whether it is a frame token or the end (both only where the target is real)."""
    rows, steps = targets.shape
    frames = -(-steps // width)
    padded = torch.full((rows, frames * width), IGNORE, dtype=targets.dtype)
    padded[:, :steps] = targets
    safe = padded.clamp(min=0)
    before = sounding_before(safe.view(rows, frames, width), hold).view(rows, -1)[:, :steps]
    safe = safe[:, :steps]
    own = log_probs.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    again = log_probs.gather(-1, before.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    folds = (safe == hold) & (before >= 0)
    nats = -torch.where(folds, torch.logaddexp(own, again), own)
    real = targets != IGNORE
    slot = torch.arange(steps) % width
    return nats, real & (slot != 0), real & (slot == 0)


class FoldedView:
    """The folded figures of the module docstring for pieces of ``voices`` voices in frames."""

    name = "folded"

    def __init__(self, vocabulary: Vocabulary, voices: tuple[str, ...]):
        self.width = 1 + len(voices)
        self.hold = vocabulary.index[HOLD]

    def totals(self, log_probs: torch.Tensor, targets: torch.Tensor) -> Counter:
        nats, voice, frame = folded_nats(log_probs, targets, self.width, self.hold)
        voice_nats = (nats * voice).sum(dim=1)
        voice_steps = voice.sum(dim=1)
        return Counter(
            voice_nats=voice_nats.sum().item(),
            voice_steps=voice_steps.sum().item(),
            frame_nats=(nats * frame).sum().item(),
            piece_means=(voice_nats / voice_steps.clamp(min=1)).sum().item(),
        )

    def metrics(self, totals: Counter, pieces: int) -> dict:
        steps = totals["voice_steps"]
        return {
            "pieces": pieces,
            "voice_steps": int(steps),
            "nats_per_voice_step": totals["voice_nats"] / steps if steps else None,
            "nats_per_voice_step_by_piece": totals["piece_means"] / pieces if pieces else None,
            "frame_nats_per_voice_step": totals["frame_nats"] / steps if steps else None,
        }
