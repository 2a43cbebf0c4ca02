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
from musiclstm.data.vocabulary import Vocabulary
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


def song_ids(targets: torch.Tensor, boundary: int) -> torch.Tensor:
    """The songs of a batch's ``targets`` as the ids at each step, -1 past their end: what a
    model that reads a given part ahead is given of them (:meth:`LanguageModel.start`)."""
    return torch.where((targets >= 0) & (targets != boundary), targets, -1)


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
# songs whose length it is not told (sampled with `bars: null`), and the form of another one in
# this many, so that it also writes songs without a plan of their form.
HIDDEN_LENGTH_EVERY = 4
HIDDEN_FORM_AT = 2  # the songs whose form is hidden: i % HIDDEN_LENGTH_EVERY == this


def load_split(
    path: Path, representation: Representation, vocabulary: Vocabulary, hide: bool = False
) -> SplitData:
    """A saved split (see :mod:`musiclstm.data.tensors`) with the inputs ``representation``
    gives each of its steps, each song's length and form known (``hide``: but for one song in
    :data:`HIDDEN_LENGTH_EVERY` each, the training songs)."""
    songs = load_songs(path)
    meters = [
        song_meter(representation, vocabulary, song, meter, i if hide else None)
        for i, (meter, song) in enumerate(zip(load_meters(path), songs, strict=True))
    ]
    inputs = representation.songs_inputs(songs, meters, vocabulary.boundary)
    return SplitData(songs, meters, inputs)


def song_meter(
    representation: Representation,
    vocabulary: Vocabulary,
    song: np.ndarray,
    meter: tuple[int, int, int],
    index: int | None = None,
) -> Meter:
    """The :class:`Meter` of ``song`` (token ids) whose bar, pickup and beat are ``meter``, with
    its length and the form labels the representation reads; the ``index``-th training song may
    have either hidden (None: neither)."""
    bar, pickup, _ = meter
    turn = None if index is None else index % HIDDEN_LENGTH_EVERY
    form = (
        ()
        if turn == HIDDEN_FORM_AT
        else representation.bar_form(vocabulary.decode(song.tolist()), bar, pickup)
    )
    return Meter(*meter, length=0 if turn == 0 else len(song), form=form)


def padding_share(songs: list[np.ndarray], batches: list[list[int]]) -> float:
    """Share of the padded batch cells that are padding."""
    real = sum(len(songs[i]) + 1 for batch in batches for i in batch)
    total = sum(len(batch) * (max(len(songs[i]) for i in batch) + 1) for batch in batches)
    return 1.0 - real / total if total else 0.0
