"""Integer arrays of a split: all songs' token ids end to end, plus where each song starts.

The arrays are as small as the vocabulary allows (``uint8`` below 256 tokens), so the default
corpus is a few hundred kilobytes; nothing is one-hot encoded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from melodylstm.data.vocabulary import Vocabulary


def songs_to_arrays(
    songs: list[list[str]],
    vocabulary: Vocabulary,
    bar_steps: list[int] | None = None,
    pickup_steps: list[int] | None = None,
) -> dict[str, np.ndarray]:
    """``tokens``: all ids end to end; song ``i`` is ``tokens[offsets[i] : offsets[i + 1]]``.

    ``bar_steps`` and ``pickup_steps`` (per song; 0 where unknown) place each step in its bar.
    """
    dtype = np.uint8 if len(vocabulary) <= 256 else np.int16
    ids = [vocabulary.encode(song) for song in songs]
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(song) for song in ids])
    tokens = np.fromiter((i for song in ids for i in song), dtype=dtype, count=int(offsets[-1]))
    return {
        "tokens": tokens,
        "offsets": offsets,
        "bar_steps": np.asarray(bar_steps or [0] * len(ids), dtype=np.int16),
        "pickup_steps": np.asarray(pickup_steps or [0] * len(ids), dtype=np.int16),
    }


def save_arrays(arrays: dict[str, np.ndarray], path: Path) -> None:
    """Write the arrays as an uncompressed ``.npz`` (through a handle, so the name is kept)."""
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def load_meters(path: Path) -> list[tuple[int, int]]:
    """``(bar steps, pickup steps)`` of each song of a saved split; (0, 0) where unknown."""
    with np.load(path) as data:
        if "bar_steps" not in data:
            return [(0, 0)] * (len(data["offsets"]) - 1)
        return list(zip(data["bar_steps"].tolist(), data["pickup_steps"].tolist(), strict=True))


def split_meters(songs_table: Path, split: str, time_step: float) -> tuple[list[int], list[int]]:
    """Bar and pickup lengths (in steps) of a split's songs, in the order of its text file."""
    import csv

    from melodylstm.music.meter import bar_length

    with open(songs_table, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["split"] == split]
    rows.sort(key=lambda row: int(row["line"]))
    bars = [bar_length(row["time_signature"], time_step) for row in rows]
    pickups = [
        int(row["pickup_steps"]) % bar if bar else 0 for row, bar in zip(rows, bars, strict=True)
    ]
    return bars, pickups


def load_songs(path: Path) -> list[np.ndarray]:
    """The songs of a saved split, each an array of token ids."""
    with np.load(path) as data:
        tokens, offsets = data["tokens"], data["offsets"]
    return [tokens[offsets[i] : offsets[i + 1]].astype(np.int64) for i in range(len(offsets) - 1)]
