"""Step inputs laid out once in advance: a table of every step's columns, and for the columns
that hold earlier tokens (lookbacks) the position of the token each one reads.

A step then costs one ``take`` into the tokens written so far, whatever the representation, so
sampling pays for a texture's inputs once, when it starts. Columns of sounding pitches (a
voice's last note, through its holds) read a second history, in which each hold is replaced by
what it holds as it is written.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from musiclstm.representation.base import StepInputs


class Sounding(NamedTuple):
    """Columns that read the token sounding at a position rather than the one written there:
    ``columns`` (a slice of the inputs), ``back`` (rows, steps, columns) the positions they
    read, as a lookback's; a ``hold`` token sounds the token ``stride`` positions before it.
    Those of ``previous`` (one flag per column) read the note sounded before that one
    (:func:`previous_note_stream`)."""

    columns: slice
    back: np.ndarray
    hold: int
    stride: int
    previous: np.ndarray


def sounding_stream(stream: np.ndarray, hold: int, stride: int) -> np.ndarray:
    """``stream`` (..., steps) with every ``hold`` replaced by the token it holds, the last
    other token ``stride`` positions back at a time (a hold with none before it stays)."""
    stream = np.asarray(stream)
    sounding = stream.copy()
    for start in range(min(stride, stream.shape[-1])):
        slot = stream[..., start::stride]
        positions = np.arange(slot.shape[-1])
        last = np.maximum.accumulate(np.where(slot != hold, positions, 0), axis=-1)
        sounding[..., start::stride] = np.take_along_axis(slot, last, axis=-1)
    return sounding


def previous_note_stream(
    stream: np.ndarray, sounding: np.ndarray, hold: int, stride: int, none: int
) -> np.ndarray:
    """For each position of ``stream`` (..., steps), the token sounded ``stride`` positions
    before the note sounding there was struck (``sounding`` is the :func:`sounding_stream`): a
    voice's note before its current one; ``none`` where there is none."""
    stream, sounding = np.asarray(stream), np.asarray(sounding)
    previous = np.full_like(stream, none)
    for start in range(min(stride, stream.shape[-1])):
        slot = stream[..., start::stride]
        positions = np.arange(slot.shape[-1])
        struck = np.maximum.accumulate(np.where(slot != hold, positions, 0), axis=-1)
        before = np.take_along_axis(sounding[..., start::stride], np.maximum(struck - 1, 0), -1)
        previous[..., start::stride] = np.where(struck >= 1, before, none)
    return previous


class LookupStepInputs(StepInputs):
    """``table`` (rows, steps, columns) holds every column known in advance; ``back`` (rows,
    steps, len(token_columns)) the song position whose token fills each of ``token_columns``
    at each step (negative: before the song, which reads the boundary)."""

    def __init__(
        self,
        table: np.ndarray,
        back: np.ndarray,
        token_columns: slice,
        seed: list[int],
        boundary: int,
        sounding: Sounding | None = None,
    ):
        rows, total = table.shape[:2]
        self.table = table
        self.lookbacks = token_columns
        # history[:, 0] is the boundary, history[:, 1 + i] token i: a lookback reaching before
        # the song reads column 0.
        self.back = np.clip(back + 1, 0, None)
        self.history = np.full((rows, total + 1), boundary, dtype=np.int64)
        self.history[:, 1 : 1 + len(seed)] = seed
        self.flat_back = self.flattened(self.back)
        self.step = len(seed)
        self.sounding = sounding
        if sounding is not None:
            self.sounding_back = np.clip(sounding.back + 1, 0, None)
            self.flat_sounding_back = self.flattened(self.sounding_back)
            self.sounded = self.history.copy()
            self.sounded[:, 1:] = sounding_stream(
                self.history[:, 1:], sounding.hold, sounding.stride
            )
            self.reads_previous = bool(sounding.previous.any())  # not with the first version
            self.preceded = self.history.copy()
            self.preceded[:, 1:] = previous_note_stream(
                self.history[:, 1:], self.sounded[:, 1:], sounding.hold, sounding.stride, boundary
            )

    def flattened(self, back: np.ndarray) -> np.ndarray:
        """``back`` as indices into ``history.ravel()``: each row's offset added."""
        width = self.history.shape[1]
        return back + (np.arange(len(back)) * width)[:, None, None]

    def next(self, tokens: np.ndarray | None) -> np.ndarray:
        if tokens is not None:
            self.history[:, 1 + self.step] = tokens
            if self.sounding is not None:
                self.record_sounding(tokens)
            self.step += 1
        inputs = self.table[:, self.step]
        inputs[:, self.lookbacks] = self.history.take(self.flat_back[:, self.step])
        if self.sounding is not None:
            inputs[:, self.sounding.columns] = self.sounded_at(
                self.flat_sounding_back[:, self.step]
            )
        return inputs

    def sounded_at(self, flat_back: np.ndarray) -> np.ndarray:
        """The sounding columns that read the histories at ``flat_back``."""
        sounded = self.sounded.take(flat_back)
        if not self.reads_previous:
            return sounded
        return np.where(self.sounding.previous, self.preceded.take(flat_back), sounded)

    def record_sounding(self, tokens: np.ndarray) -> None:
        """What the tokens just written sound (a hold, what it holds), and the note each
        sounded before."""
        hold, position = self.sounding.hold, 1 + self.step
        before = position - self.sounding.stride
        held = self.sounded[:, before] if before >= 1 else tokens
        self.sounded[:, position] = np.where(tokens == hold, held, tokens)
        if before >= 1:
            self.preceded[:, position] = np.where(
                tokens == hold, self.preceded[:, before], self.sounded[:, before]
            )
        else:
            self.preceded[:, position] = self.history[:, 0]  # none: the boundary

    def leading(self, steps: int) -> np.ndarray:
        inputs = self.table[:, :steps].copy()
        inputs[..., self.lookbacks] = self.history.take(self.flat_back[:, :steps])
        if self.sounding is not None:
            inputs[..., self.sounding.columns] = self.sounded_at(self.flat_sounding_back[:, :steps])
        return inputs

    def reorder(self, rows: np.ndarray) -> None:
        self.history = self.history[rows]
        self.table, self.back = self.table[rows], self.back[rows]
        self.flat_back = self.flattened(self.back)
        if self.sounding is not None:
            self.sounded, self.preceded = self.sounded[rows], self.preceded[rows]
            self.sounding_back = self.sounding_back[rows]
            self.flat_sounding_back = self.flattened(self.sounding_back)
