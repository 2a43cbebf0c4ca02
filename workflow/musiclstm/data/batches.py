"""Batches of whole songs, grouped by length so that little of each batch is padding.

Every song is one row: the input is the boundary token followed by the song, the target is the
song followed by the boundary token, so the model learns to start a song from nothing and to end
it. Rows are padded at the end; padded targets are ``IGNORE`` and cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from musiclstm.data.tensors import load_meters, load_songs
from musiclstm.representation.base import Meter, Representation

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


def pad_inputs(song_inputs: list[np.ndarray], indices: list[int], width: int) -> torch.Tensor:
    """The per-step inputs of a batch, (batch, width, columns), zero on padding."""
    columns = song_inputs[indices[0]].shape[1]
    batch = torch.zeros((len(indices), width, columns), dtype=torch.long)
    for row, i in enumerate(indices):
        batch[row, : len(song_inputs[i])] = torch.as_tensor(song_inputs[i])
    return batch


@dataclass(frozen=True)
class SplitData:
    """The songs of a split as token-id arrays, with their meters and per-step inputs."""

    songs: list[np.ndarray]
    meters: list[Meter]
    inputs: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.songs)

    def steps(self) -> int:
        return sum(len(song) for song in self.songs)


# Training hides the length of one song in this many, so that the model also learns to write
# songs whose length it is not told (sampled with `bars: null`).
HIDDEN_LENGTH_EVERY = 4


def load_split(
    path: Path, representation: Representation, boundary: int, hide_lengths: bool = False
) -> SplitData:
    """A saved split (see :mod:`musiclstm.data.tensors`) with the inputs ``representation``
    gives each of its steps, each song's length known (``hide_lengths``: but for every
    :data:`HIDDEN_LENGTH_EVERY`-th song, the training songs)."""
    songs = load_songs(path)
    meters = [
        Meter(*meter, length=0 if hide_lengths and i % HIDDEN_LENGTH_EVERY == 0 else len(song))
        for i, (meter, song) in enumerate(zip(load_meters(path), songs, strict=True))
    ]
    return SplitData(songs, meters, representation.songs_inputs(songs, meters, boundary))


def padding_share(songs: list[np.ndarray], batches: list[list[int]]) -> float:
    """Share of the padded batch cells that are padding."""
    real = sum(len(songs[i]) + 1 for batch in batches for i in batch)
    total = sum(len(batch) * (max(len(songs[i]) for i in batch) + 1) for batch in batches)
    return 1.0 - real / total if total else 0.0
