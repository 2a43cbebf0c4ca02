"""Held-out metrics of a chorale model, every chorale scored from its start on its own.

A chorale is scored as the model reads it, one frame at a time: its frame token (fermata or not),
then soprano, alto, tenor and bass. The totals are split by the slot of the frame each target is:

- ``bits_per_frame`` (and ``nats_per_frame``): everything a frame costs, its frame token and four
  voices (the chorale's end counted with the frame tokens), per frame;
- ``bits_per_voice_step`` (and nats): the four voices' tokens only, per voice and frame, the
  measure BachBot reported (0.477 nats per voice-step on music21's chorales);
- ``voices``: bits per step of each voice, and ``bits_per_onset``: the voices' bits per note or
  rest onset;
- ``atb_bits_per_step`` and ``atb_bits_per_onset``: alto, tenor and bass only, given the true
  soprano, which is what harmonising a melody costs;
- ``fermata_bits_per_frame``: the frame tokens, where the model places phrase ends.

The baseline is an interpolated Kneser-Ney n-gram over the same stream, fitted on the training
chorales in the same run, its order chosen on the validation chorales.
"""

from __future__ import annotations

import math
from collections import Counter

import torch

from musiclstm.data.batches import IGNORE, SplitData
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.music.tokens import is_onset

LN2 = math.log(2.0)
NGRAM_ORDERS = range(2, 9)  # order 6 is the first to see the same voice one frame back


def slot_totals(
    log_probs: torch.Tensor, targets: torch.Tensor, is_onset: torch.Tensor, width: int
) -> Counter:
    """Nats, steps and onsets of one batch's real targets, by slot of the frame (``width``
    tokens)."""
    real = targets != IGNORE
    safe = targets.clamp(min=0)
    nats = -log_probs.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    slots = torch.arange(targets.shape[1]) % width
    onset = real & is_onset[safe]
    totals = Counter()
    for slot in range(width):
        here = real & (slots == slot)
        totals[f"nats_{slot}"] = nats[here].sum().item()
        totals[f"steps_{slot}"] = here.sum().item()
        totals[f"onsets_{slot}"] = (onset & here).sum().item()
    return totals


class FrameView:
    """The per-frame and per-voice view of a split's log-probabilities, for
    :func:`~musiclstm.evaluation.metrics.evaluate_songs`: its totals by slot of the frame and
    the metrics of the module docstring (under ``chorale`` in a split's metrics)."""

    name = "chorale"

    def __init__(self, vocabulary: Vocabulary, voices: tuple[str, ...]):
        self.voices = tuple(voices)
        self.is_onset = torch.tensor([is_onset(token) for token in vocabulary.tokens])

    def totals(self, log_probs: torch.Tensor, targets: torch.Tensor) -> Counter:
        return slot_totals(log_probs, targets, self.is_onset, 1 + len(self.voices))

    def metrics(self, totals: Counter, pieces: int) -> dict:
        return chorale_metrics_of(totals, pieces, self.voices)


def chorale_metrics_of(totals: Counter, chorales: int, voices: tuple[str, ...]) -> dict:
    """The metrics of the module docstring from :class:`FrameView` totals of ``voices``."""
    frames = totals["steps_1"]  # one top-voice step per frame
    voice_slots = range(1, 1 + len(voices))
    voice_nats = sum(totals[f"nats_{slot}"] for slot in voice_slots)
    atb_nats = sum(totals[f"nats_{slot}"] for slot in voice_slots[1:])
    all_nats = voice_nats + totals["nats_0"]
    onsets = sum(totals[f"onsets_{slot}"] for slot in voice_slots)
    atb_onsets = sum(totals[f"onsets_{slot}"] for slot in voice_slots[1:])
    return {
        "chorales": chorales,
        "frames": int(frames),
        "nats_per_frame": ratio(all_nats, frames),
        "bits_per_frame": ratio(all_nats / LN2, frames),
        "nats_per_voice_step": ratio(voice_nats, len(voices) * frames),
        "bits_per_voice_step": ratio(voice_nats / LN2, len(voices) * frames),
        "bits_per_onset": ratio(voice_nats / LN2, onsets),
        "atb_bits_per_step": ratio(atb_nats / LN2, (len(voices) - 1) * frames),
        "atb_bits_per_onset": ratio(atb_nats / LN2, atb_onsets),
        "fermata_bits_per_frame": ratio(totals["nats_0"] / LN2, frames),
        "voices": {
            voice: ratio(totals[f"nats_{slot}"] / LN2, totals[f"steps_{slot}"])
            for voice, slot in zip(voices, voice_slots, strict=True)
        },
    }


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def evaluate_chorales(
    model, data: SplitData, vocabulary: Vocabulary, voices: tuple[str, ...], batch_size: int = 64
) -> dict:
    """The frame metrics of a split's pieces under ``model`` (a model or the n-gram), scored in
    the one pass of :func:`~musiclstm.evaluation.metrics.evaluate_songs`."""
    from musiclstm.evaluation.metrics import evaluate_songs

    view = FrameView(vocabulary, voices)
    return evaluate_songs(model, data, vocabulary, batch_size, views=(view,))[view.name]


def ngram_baseline(
    train: SplitData, splits: dict[str, SplitData], vocabulary: Vocabulary, voices: tuple[str, ...]
) -> dict:
    """The n-gram baseline: fitted on ``train``, its order chosen by bits per frame on
    ``splits["valid"]``, and scored on every split."""
    from musiclstm.model.ngram import KneserNey, NgramCounts

    counts = NgramCounts(train.songs, max(NGRAM_ORDERS), len(vocabulary), vocabulary.boundary)

    def scored(order: int, data: SplitData) -> dict:
        return evaluate_chorales(KneserNey(counts, order), data, vocabulary, voices)

    by_order = {order: scored(order, splits["valid"]) for order in NGRAM_ORDERS}
    order = min(by_order, key=lambda k: by_order[k]["bits_per_frame"])
    return {"order": order} | {
        name: by_order[order] if name == "valid" else scored(order, data)
        for name, data in splits.items()
    }


def frame_views(vocabulary: Vocabulary, texture) -> tuple[FrameView]:
    """The views of a texture of several voices: by frame and by voice."""
    return (FrameView(vocabulary, texture.voice_names),)


def frames_baseline(train: SplitData, splits: dict, vocabulary: Vocabulary, texture) -> dict:
    """The n-gram baseline of a texture of several voices (:func:`ngram_baseline`)."""
    return ngram_baseline(train, splits, vocabulary, texture.voice_names)
