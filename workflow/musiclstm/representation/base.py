"""The seam between music and models: what every representation of music provides.

A representation owns how songs of one texture (melodies today) become tokens (``encode``) and
back (``decode``), the order of its vocabulary and which tokens are special, and what a model
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
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np


class Meter(NamedTuple):
    """Where a song's steps fall in its bars and where it ends: steps per bar (0 if unknown),
    the anacrusis (steps of the first, incomplete bar; 0 if the song starts on a bar line), steps
    per beat (0 if unknown: 6/8 and 3/4 have bars of the same length and beats of 6 and 4
    sixteenths), the song's length in steps (0 if unknown: a song sampled without a length) and
    its form, one label per bar from the first (:mod:`musiclstm.music.form`; empty if unknown)."""

    bar: int
    pickup: int
    beat: int = 0
    length: int = 0
    form: tuple[int, ...] = ()


UNKNOWN_METER = Meter(0, 0)


@dataclass(frozen=True)
class EncodedSong:
    """A song as tokens, in C major or A minor where it was transposed, with what the song
    table records of it: its written ``key``, the ``transposition`` (semitones) that moved it,
    its ``time_signature`` and the steps of its anacrusis (``pickup_steps``)."""

    tokens: list[str]
    key: str
    transposition: int
    time_signature: str
    pickup_steps: int


class StepInputs(ABC):
    """The per-step inputs of a batch of songs being sampled, one step at a time."""

    @abstractmethod
    def next(self, tokens: np.ndarray | None) -> np.ndarray:
        """Record ``tokens`` (rows,) as the step just written (None: nothing new, only the seed
        so far) and return the inputs (rows, columns) of the step after it."""

    @abstractmethod
    def leading(self, steps: int) -> np.ndarray:
        """The inputs (rows, steps, columns) of the first ``steps`` steps, from the seed alone
        (what the seed is fed with)."""

    @abstractmethod
    def reorder(self, rows: np.ndarray) -> None:
        """Keep the songs ``rows``, in that order (beam search)."""


class Representation(ABC):
    """A texture of music as token ids and per-step inputs."""

    name: str
    special_tokens: tuple[str, ...]  # the vocabulary's first tokens: song boundary, unknown
    frame_width: int = 1  # tokens per time step: 1 for one voice, 1 + N for N voices' frames

    @abstractmethod
    def encode(self, song: Any, encoding) -> EncodedSong:
        """A parsed song (a music21 score, a MIDI song) as tokens, with the encoding settings;
        raises :class:`~musiclstm.data.rejects.Rejected` with the reason where it cannot."""

    @abstractmethod
    def decode(self, tokens: list[str]) -> list:
        """The music of ``tokens``, as the events scores, MIDI and audio are written from."""

    @abstractmethod
    def token_order(self, token: str) -> tuple:
        """The sort key of ``token`` in the vocabulary: the special tokens first."""

    @property
    @abstractmethod
    def input_columns(self) -> tuple[str, ...]:
        """The names of the per-step input columns, in order."""

    @property
    @abstractmethod
    def token_columns(self) -> slice:
        """The input columns that hold the tokens at fixed offsets (lookbacks) that the model
        embeds; :attr:`transposed_columns` are all that hold token ids."""

    @property
    def transposed_columns(self) -> list[int]:
        """The input columns a transposition moves with the song: those that hold token ids."""
        return list(range(self.token_columns.start, self.token_columns.stop))

    def for_vocabulary(self, tokens: list[str]) -> Representation:
        """This representation over the vocabulary ``tokens``, for one whose inputs depend on
        which id is which token (itself, the default)."""
        return self

    def voice_leading_inputs(self, tokens: list[str]) -> dict:
        """The step model's ``voice_leading`` argument over the vocabulary ``tokens`` ({}, the
        default: a representation whose inputs show no sounding pitches of other voices)."""
        return {}

    @abstractmethod
    def song_inputs(self, song: np.ndarray, meter: Meter, boundary: int) -> np.ndarray:
        """(len(song) + 1, columns) inputs of every step of ``song`` (token ids) and its end."""

    @abstractmethod
    def step_inputs(
        self,
        seed: list[int],
        meters: list[Meter],
        boundary: int,
        max_steps: int,
        given: np.ndarray | None = None,
    ) -> StepInputs:
        """Inputs for sampling ``len(meters)`` songs that start with ``seed`` and grow by up to
        ``max_steps`` tokens, one step at a time. ``given`` holds the token ids fixed in
        advance at each step from the song's start (-1 where the model chooses), for the
        representations whose inputs read ahead (a melody being harmonised)."""

    def bar_form(self, tokens: list[str], bar: int, pickup: int) -> tuple[int, ...]:
        """The form labels of a song of ``tokens`` that the model reads, one per bar; () (the
        default) where the representation reads no form."""
        return ()

    def model_inputs(self) -> dict:
        """The arguments of the step model that say which input columns it reads and how: the
        token columns (``lookback``) and, after them, columns of categories (``categories``,
        how many values each takes)."""
        return {}

    @abstractmethod
    def opening_bans(self, tokens: list[str]) -> list[list[int]]:
        """Indices in ``tokens`` (a vocabulary) that the first steps of a song without a seed
        cannot write, one list per step from the start."""

    def cycle_bans(self, tokens: list[str]) -> list[list[int]]:
        """Indices in ``tokens`` (a vocabulary) that step ``i`` of a song may not write, for a
        representation whose steps come in a fixed cycle: entry ``i % len(cycle)``; [] (the
        default) bans nothing."""
        return []

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
