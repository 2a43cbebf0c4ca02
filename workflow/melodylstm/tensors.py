"""Integer arrays of a split: all songs' token ids end to end, plus where each song starts.

The arrays are as small as the vocabulary allows (``uint8`` below 256 tokens), so the default
corpus is a few hundred kilobytes; nothing is one-hot encoded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .vocabulary import Vocabulary


def songs_to_arrays(songs: list[list[str]], vocabulary: Vocabulary) -> dict[str, np.ndarray]:
    """``tokens``: all ids end to end; song ``i`` is ``tokens[offsets[i] : offsets[i + 1]]``."""
    dtype = np.uint8 if len(vocabulary) <= 256 else np.int16
    ids = [vocabulary.encode(song) for song in songs]
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(song) for song in ids])
    tokens = np.fromiter((i for song in ids for i in song), dtype=dtype, count=int(offsets[-1]))
    return {"tokens": tokens, "offsets": offsets}


def save_arrays(arrays: dict[str, np.ndarray], path: Path) -> None:
    """Write the arrays as an uncompressed ``.npz`` (through a handle, so the name is kept)."""
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def load_songs(path: Path) -> list[np.ndarray]:
    """The songs of a saved split, each an array of token ids."""
    with np.load(path) as data:
        tokens, offsets = data["tokens"], data["offsets"]
    return [tokens[offsets[i] : offsets[i + 1]].astype(np.int64) for i in range(len(offsets) - 1)]
