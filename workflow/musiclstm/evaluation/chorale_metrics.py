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

from musiclstm.data.batches import IGNORE, SplitData, length_batches, pad_batch, pad_inputs
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.model.base import LanguageModel
from musiclstm.music.tokens import is_onset
from musiclstm.music.voices import FRAME_WIDTH, VOICES

LN2 = math.log(2.0)
NGRAM_ORDERS = range(2, 9)  # order 6 is the first to see the same voice one frame back


def slot_totals(log_probs: torch.Tensor, targets: torch.Tensor, is_onset: torch.Tensor) -> Counter:
    """Nats, steps and onsets of one batch's real targets, by slot of the frame."""
    real = targets != IGNORE
    safe = targets.clamp(min=0)
    nats = -log_probs.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    slots = torch.arange(targets.shape[1]) % FRAME_WIDTH
    onset = real & is_onset[safe]
    totals = Counter()
    for slot in range(FRAME_WIDTH):
        here = real & (slots == slot)
        totals[f"nats_{slot}"] = nats[here].sum().item()
        totals[f"steps_{slot}"] = here.sum().item()
        totals[f"onsets_{slot}"] = (onset & here).sum().item()
    return totals


@torch.no_grad()
def chorale_totals(
    model: LanguageModel, data: SplitData, vocabulary: Vocabulary, batch_size: int = 16
) -> Counter:
    model.eval()
    is_onset_id = torch.tensor([is_onset(token) for token in vocabulary.tokens])
    totals = Counter()
    for indices in length_batches([len(song) for song in data.songs], batch_size):
        tokens, targets = pad_batch(data.songs, indices, vocabulary.boundary)
        inputs = pad_inputs(data.inputs, indices, tokens.shape[1])
        logits, _ = model(tokens, inputs)
        logits = logits.float()
        logits[..., vocabulary.unknown] = -math.inf
        totals.update(slot_totals(torch.log_softmax(logits, dim=-1), targets, is_onset_id))
    return totals


def chorale_metrics_of(totals: Counter, chorales: int) -> dict:
    """The metrics of the module docstring from :func:`chorale_totals`."""
    frames = totals["steps_1"]  # one soprano step per frame
    voice_slots = range(1, FRAME_WIDTH)
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
        "nats_per_voice_step": ratio(voice_nats, len(VOICES) * frames),
        "bits_per_voice_step": ratio(voice_nats / LN2, len(VOICES) * frames),
        "bits_per_onset": ratio(voice_nats / LN2, onsets),
        "atb_bits_per_step": ratio(atb_nats / LN2, (len(VOICES) - 1) * frames),
        "atb_bits_per_onset": ratio(atb_nats / LN2, atb_onsets),
        "fermata_bits_per_frame": ratio(totals["nats_0"] / LN2, frames),
        "voices": {
            voice: ratio(totals[f"nats_{slot}"] / LN2, totals[f"steps_{slot}"])
            for voice, slot in zip(VOICES, voice_slots, strict=True)
        },
    }


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def evaluate_chorales(
    model: LanguageModel, data: SplitData, vocabulary: Vocabulary, batch_size: int = 16
) -> dict:
    """The chorale metrics of a split's chorales under ``model``."""
    return chorale_metrics_of(chorale_totals(model, data, vocabulary, batch_size), len(data))


def ngram_baseline(train: SplitData, splits: dict[str, SplitData], vocabulary: Vocabulary) -> dict:
    """The n-gram baseline: fitted on ``train``, its order chosen by bits per frame on
    ``splits["valid"]``, and scored on every split."""
    from musiclstm.model.ngram import KneserNey, NgramCounts

    counts = NgramCounts(train.songs, max(NGRAM_ORDERS), len(vocabulary), vocabulary.boundary)
    by_order = {
        order: evaluate_chorales(KneserNey(counts, order), splits["valid"], vocabulary, 64)
        for order in NGRAM_ORDERS
    }
    order = min(by_order, key=lambda k: by_order[k]["bits_per_frame"])
    scored = {"order": order}
    scored |= {
        name: by_order[order]
        if name == "valid"
        else evaluate_chorales(KneserNey(counts, order), data, vocabulary, 64)
        for name, data in splits.items()
    }
    return scored
