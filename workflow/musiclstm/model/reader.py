"""A backward reader of a given melody: what a harmoniser knows of the whole tune.

A harmoniser is given every frame's frame token (a fermata or not) and top voice before it
writes a note, so at each frame it may know the melody to the end, not only a few frames ahead.
The reader runs an LSTM backwards over the given frames, from the last to the first; its output
at frame ``f`` sums up the melody from ``f`` to the end (where the phrase goes, how far its
cadence is, how the tune closes). The step model reads the output of the frame each step is in.

Each frame is read as two tokens, the frame token (slot 0) and the top voice (slot 1), both
through the step model's token embedding: a pitch means the same to both.
"""

from __future__ import annotations

import torch
from torch import nn

GIVEN_SLOTS = (0, 1)  # a frame's frame token and top voice: what a harmonised melody gives


class MelodyReader(nn.Module):
    """``reader(embedding, given)``: (rows, frames + 1, size) from (rows, steps) ids given
    (-1 where not), frame by frame; the row after a melody's last frame, and every row past
    it, is zero (the end)."""

    def __init__(self, embedding_size: int, size: int, frame_width: int):
        super().__init__()
        self.frame_width = frame_width
        self.size = size
        self.lstm = nn.LSTM(embedding_size * len(GIVEN_SLOTS), size, batch_first=True)

    def forward(self, embedding: nn.Embedding, given: torch.Tensor) -> torch.Tensor:
        rows = given.shape[0]
        frames = given.shape[1] // self.frame_width
        slots = given[:, : frames * self.frame_width].reshape(rows, frames, self.frame_width)
        slots = slots[..., list(GIVEN_SLOTS)]
        # A melody's frames are those up to the last whose frame token is given.
        known = slots[..., 0] >= 0
        positions = torch.arange(frames, device=given.device)
        lengths = torch.where(known, positions + 1, 0).amax(dim=1, keepdim=True)
        # Each row reversed within its own length, so that padding comes after the melody and
        # the LSTM reads every melody from its last frame (the reversal is its own inverse).
        backwards = torch.where(positions < lengths, lengths - 1 - positions, positions)
        reversed_slots = slots.gather(1, backwards[..., None].expand_as(slots))
        embedded = embedding(reversed_slots.clamp(min=0)).flatten(2)
        read, _ = self.lstm(embedded)
        read = read.gather(1, backwards[..., None].expand_as(read))
        read = read * (positions < lengths)[..., None]
        return torch.cat([read, read.new_zeros(rows, 1, self.size)], dim=1)
