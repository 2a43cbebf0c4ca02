"""Batches of whole songs, grouped by length so that little of each batch is padding.

Every song is one row: the input is the boundary token followed by the song, the target is the
song followed by the boundary token, so the model learns to start a song from nothing and to end
it. Rows are padded at the end; padded targets are ``IGNORE`` and cost nothing.
"""

from __future__ import annotations

import numpy as np
import torch

IGNORE = -100


def length_batches(
    lengths: list[int], batch_size: int, rng: np.random.Generator | None = None
) -> list[list[int]]:
    """Song indices grouped into batches of similar length.

    With ``rng`` the lengths are jittered by up to 10 % before sorting, so batches differ from epoch
    to epoch, and the batch order is shuffled; without it the grouping is fixed (for evaluation).
    """
    keys = np.asarray(lengths, dtype=np.float64)
    if rng is not None:
        keys = keys * (1.0 + 0.1 * rng.random(len(keys)))
    order = np.argsort(keys, kind="stable")
    batches = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def pad_batch(
    songs: list[np.ndarray], indices: list[int], boundary: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets, both (batch, longest song + 1)."""
    width = max(len(songs[i]) for i in indices) + 1
    inputs = torch.full((len(indices), width), boundary, dtype=torch.long)
    targets = torch.full((len(indices), width), IGNORE, dtype=torch.long)
    for row, i in enumerate(indices):
        song = torch.as_tensor(songs[i], dtype=torch.long)
        inputs[row, 1 : len(song) + 1] = song
        targets[row, : len(song)] = song
        targets[row, len(song)] = boundary
    return inputs, targets


def pad_features(song_features: list[np.ndarray], indices: list[int], width: int) -> torch.Tensor:
    """The per-step features of a batch, (batch, width, n features), zero on padding."""
    columns = song_features[indices[0]].shape[1]
    batch = torch.zeros((len(indices), width, columns), dtype=torch.long)
    for row, i in enumerate(indices):
        batch[row, : len(song_features[i])] = torch.as_tensor(song_features[i])
    return batch


def songs_features(
    songs: list[np.ndarray],
    meters: list[tuple[int, int]] | None,
    boundary: int,
    lookback_bars: tuple[int, ...],
) -> list[np.ndarray] | None:
    """Every song's step features, with the lookbacks of ``lookback_bars``; None without
    meters."""
    from melodylstm.representation.features import step_features

    if meters is None:
        return None
    return [
        step_features(song, bar, pickup, boundary, lookback_bars=lookback_bars)
        for song, (bar, pickup) in zip(songs, meters, strict=True)
    ]


def padding_share(songs: list[np.ndarray], batches: list[list[int]]) -> float:
    """Share of the padded batch cells that are padding."""
    real = sum(len(songs[i]) + 1 for batch in batches for i in batch)
    total = sum(len(batch) * (max(len(songs[i]) for i in batch) + 1) for batch in batches)
    return 1.0 - real / total if total else 0.0
