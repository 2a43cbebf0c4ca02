"""Held-out metrics of a model, every song scored from its start on its own.

- ``bits_per_step``: mean -log2 p over every token of each song plus its end-of-song token;
- ``bits_per_note``: the same total divided by the number of note and rest onsets;
- ``pitch_bits_per_note``: where the true token is a pitch, -log2 of its probability renormalised
  over the pitch tokens only (how well the model knows *which* note comes, given that one does);
- ``accuracy`` on all steps and ``onset_accuracy`` on steps whose true token is a note or rest.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from melodylstm.data.batches import IGNORE, length_batches, pad_batch, pad_features, songs_features
from melodylstm.data.vocabulary import Vocabulary
from melodylstm.model.lstm import MelodyLSTM, run_model
from melodylstm.music.tokens import is_onset, is_pitch

LN2 = math.log(2.0)


@torch.no_grad()
def evaluate_songs(
    model: MelodyLSTM,
    songs: list[np.ndarray],
    vocabulary: Vocabulary,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    meters: list[tuple[int, int]] | None = None,
) -> dict:
    """The metrics of ``songs`` (arrays of token ids) under ``model``."""
    model.eval()
    uses_features = getattr(model, "uses_features", False)
    song_features = songs_features(
        songs,
        meters if uses_features else None,
        vocabulary.boundary,
        getattr(model, "lookback_bars", ()),
    )
    if uses_features and song_features is None:
        raise ValueError("this model reads bar positions: pass the songs' meters")
    pitch_ids = torch.tensor([i for i, t in enumerate(vocabulary.tokens) if is_pitch(t)])
    is_pitch_id = torch.zeros(len(vocabulary), dtype=torch.bool)
    is_pitch_id[pitch_ids] = True
    is_onset_id = torch.tensor([is_onset(t) for t in vocabulary.tokens])
    totals = dict.fromkeys(
        (
            "nats",
            "steps",
            "onsets",
            "pitch_nats",
            "pitches",
            "correct",
            "onsets_correct",
            "unknown",
        ),
        0.0,
    )
    for indices in length_batches([len(song) for song in songs], batch_size):
        inputs, targets = pad_batch(songs, indices, vocabulary.boundary)
        features = None
        if song_features is not None:
            features = pad_features(song_features, indices, inputs.shape[1]).to(device)
        logits, _ = run_model(model, inputs.to(device), None, features)
        log_probs = torch.log_softmax(logits.float(), dim=-1).cpu()
        real = targets != IGNORE
        safe_targets = targets.clamp(min=0)
        true_log_probs = log_probs.gather(-1, safe_targets.unsqueeze(-1)).squeeze(-1)
        onset = real & is_onset_id[safe_targets]
        pitch = real & is_pitch_id[safe_targets]
        correct = real & (log_probs.argmax(-1) == targets)
        # Renormalise over the pitch tokens: log p(pitch) - log sum over pitches p.
        pitch_log_norm = torch.logsumexp(log_probs[..., pitch_ids], dim=-1)
        totals["nats"] -= true_log_probs[real].sum().item()
        totals["steps"] += real.sum().item()
        totals["onsets"] += onset.sum().item()
        totals["pitch_nats"] -= (true_log_probs - pitch_log_norm)[pitch].sum().item()
        totals["pitches"] += pitch.sum().item()
        totals["correct"] += correct.sum().item()
        totals["onsets_correct"] += (correct & onset).sum().item()
        totals["unknown"] += (real & (targets == vocabulary.unknown)).sum().item()
    return {
        "songs": len(songs),
        "steps": int(totals["steps"]),
        "onsets": int(totals["onsets"]),
        "unknown_tokens": int(totals["unknown"]),
        "bits_per_step": ratio(totals["nats"] / LN2, totals["steps"]),
        "bits_per_note": ratio(totals["nats"] / LN2, totals["onsets"]),
        "pitch_bits_per_note": ratio(totals["pitch_nats"] / LN2, totals["pitches"]),
        "accuracy": ratio(totals["correct"], totals["steps"]),
        "onset_accuracy": ratio(totals["onsets_correct"], totals["onsets"]),
    }


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None (null in JSON) for an empty split."""
    return numerator / denominator if denominator else None


def evaluate_checkpoint(
    checkpoint_path, split_paths: dict, metrics_path, threads: int = 1, batch_size: int = 64
) -> dict:
    """Score a checkpoint on each named split and write the metrics as JSON."""
    import json
    from pathlib import Path

    from melodylstm.data.tensors import load_meters, load_songs
    from melodylstm.model.lstm import load_checkpoint

    torch.set_num_threads(threads)
    model, checkpoint = load_checkpoint(checkpoint_path)
    vocabulary = Vocabulary(checkpoint["vocabulary"])
    metrics = {
        "checkpoint_epoch": checkpoint["epoch"],
        **{
            name: evaluate_songs(
                model, load_songs(path), vocabulary, batch_size, meters=load_meters(path)
            )
            for name, path in split_paths.items()
        },
    }
    Path(metrics_path).write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics
