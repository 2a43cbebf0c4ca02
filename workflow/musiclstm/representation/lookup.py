"""Step inputs laid out once in advance: a table of every step's columns, and for the columns
that hold earlier tokens (lookbacks) the position of the token each one reads.

A step then costs one ``take`` into the tokens written so far, whatever the representation, so
sampling pays for a texture's inputs once, when it starts.
"""

from __future__ import annotations

import numpy as np

from musiclstm.representation.base import StepInputs


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

    def flattened(self, back: np.ndarray) -> np.ndarray:
        """``back`` as indices into ``history.ravel()``: each row's offset added."""
        width = self.history.shape[1]
        return back + (np.arange(len(back)) * width)[:, None, None]

    def next(self, tokens: np.ndarray | None) -> np.ndarray:
        if tokens is not None:
            self.history[:, 1 + self.step] = tokens
            self.step += 1
        inputs = self.table[:, self.step]
        inputs[:, self.lookbacks] = self.history.take(self.flat_back[:, self.step])
        return inputs

    def leading(self, steps: int) -> np.ndarray:
        inputs = self.table[:, :steps].copy()
        inputs[..., self.lookbacks] = self.history.take(self.flat_back[:, :steps])
        return inputs

    def reorder(self, rows: np.ndarray) -> None:
        self.history = self.history[rows]
        self.table, self.back = self.table[rows], self.back[rows]
        self.flat_back = self.flattened(self.back)
