"""The seam between music and models: what every representation of music provides.

A representation owns how songs of one texture (melodies today) become token ids and what a model
reads at each step besides the previous token. Training, evaluation, sampling and the step kernel
talk to a representation and a model only, so a new texture of music is a new representation,
not an edit of the training loop, the evaluation or the sampler.

Per-step inputs are an int64 table with one row per step and the columns of ``input_columns``:
row ``i`` describes step ``i`` (the step being predicted), and the row after the last token
describes the end of the song. For sampling, :meth:`Representation.step_inputs` gives the same
rows one step at a time; tests check that both agree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple

import numpy as np
import torch


class Meter(NamedTuple):
    """Where a song's steps fall in its bars: steps per bar (0 if unknown) and the anacrusis
    (steps of the first, incomplete bar; 0 if the song starts on a bar line)."""

    bar: int
    pickup: int


UNKNOWN_METER = Meter(0, 0)


class StepInputs(ABC):
    """The per-step inputs of a batch of songs being sampled, one step at a time."""

    @abstractmethod
    def next(self, tokens: torch.Tensor | None) -> torch.Tensor:
        """Record ``tokens`` (rows,) as the step just written (None: nothing new, only the seed
        so far) and return the inputs (rows, columns) of the step after it."""

    @abstractmethod
    def reorder(self, rows: torch.Tensor) -> None:
        """Keep the songs ``rows``, in that order (beam search)."""


class Representation(ABC):
    """A texture of music as token ids and per-step inputs."""

    name: str

    @property
    @abstractmethod
    def input_columns(self) -> tuple[str, ...]:
        """The names of the per-step input columns, in order."""

    @property
    @abstractmethod
    def token_columns(self) -> slice:
        """The input columns that hold token ids (a transposition moves them with the song)."""

    @abstractmethod
    def song_inputs(self, song: np.ndarray, meter: Meter, boundary: int) -> np.ndarray:
        """(len(song) + 1, columns) inputs of every step of ``song`` (token ids) and its end."""

    @abstractmethod
    def step_inputs(
        self, seed: list[int], meters: list[Meter], boundary: int, max_steps: int
    ) -> StepInputs:
        """Inputs for sampling ``len(meters)`` songs that start with ``seed`` and grow by up to
        ``max_steps`` tokens, one step at a time."""

    @abstractmethod
    def opening_bans(self, tokens: list[str]) -> list[int]:
        """Indices in ``tokens`` (a vocabulary) that cannot open a song without a seed."""

    @abstractmethod
    def describe(self) -> dict:
        """Plain values that rebuild this representation (stored in checkpoints)."""

    def songs_inputs(
        self, songs: list[np.ndarray], meters: list[Meter], boundary: int
    ) -> list[np.ndarray]:
        """:meth:`song_inputs` of every song."""
        return [
            self.song_inputs(song, meter, boundary)
            for song, meter in zip(songs, meters, strict=True)
        ]
