"""Integer arrays of a split: all songs' token ids end to end, plus where each song starts.

The arrays are as small as the vocabulary allows (``uint8`` below 256 tokens), so the default
corpus is a few hundred kilobytes; nothing is one-hot encoded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from musiclstm.data.vocabulary import Vocabulary


def songs_to_arrays(
    songs: list[list[str]], vocabulary: Vocabulary, meters: dict[str, list] | None = None
) -> dict[str, np.ndarray]:
    """``tokens``: all ids end to end; song ``i`` is ``tokens[offsets[i] : offsets[i + 1]]``.

    ``meters`` (from :func:`split_meters`: per song, 0 or "" where unknown) places each step in
    its bar and beat and records each song's time signature.
    """
    dtype = np.uint8 if len(vocabulary) <= 256 else np.int16
    ids = [vocabulary.encode(song) for song in songs]
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(song) for song in ids])
    tokens = np.fromiter((i for song in ids for i in song), dtype=dtype, count=int(offsets[-1]))
    meters = meters or {}
    unknown = [0] * len(ids)
    return {
        "tokens": tokens,
        "offsets": offsets,
        **{
            name: np.asarray(meters.get(name, unknown), dtype=np.int16)
            for name in ("bar_steps", "pickup_steps", "beat_steps")
        },
        # Unicode, not objects: np.load reads it without pickle.
        "time_signature": np.asarray(meters.get("time_signature", [""] * len(ids)), dtype="U8"),
        **phrase_arrays(meters.get("phrase_ends", [()] * len(ids))),
    }


def phrase_arrays(phrase_ends: list) -> dict[str, np.ndarray]:
    """Every song's phrase ends end to end (``phrase_ends``), song ``i``'s from
    ``phrase_offsets[i]`` to ``phrase_offsets[i + 1]``."""
    offsets = np.zeros(len(phrase_ends) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(ends) for ends in phrase_ends])
    flat = [end for ends in phrase_ends for end in ends]
    return {"phrase_ends": np.asarray(flat, dtype=np.int32), "phrase_offsets": offsets}


def load_phrase_ends(path: Path) -> list[tuple[int, ...]]:
    """The phrase ends of each song of a saved split (() where unknown)."""
    with np.load(path) as data:
        songs = len(data["offsets"]) - 1
        if "phrase_offsets" not in data:
            return [()] * songs
        ends, offsets = data["phrase_ends"].tolist(), data["phrase_offsets"].tolist()
    return [tuple(ends[offsets[i] : offsets[i + 1]]) for i in range(songs)]


def save_arrays(arrays: dict[str, np.ndarray], path: Path) -> None:
    """Write the arrays as an uncompressed ``.npz`` (through a handle, so the name is kept)."""
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def load_meters(path: Path) -> list[tuple[int, int, int]]:
    """``(bar steps, pickup steps, beat steps)`` of each song of a saved split; 0 where unknown."""
    with np.load(path) as data:
        songs = len(data["offsets"]) - 1
        columns = [
            data[name].tolist() if name in data else [0] * songs
            for name in ("bar_steps", "pickup_steps", "beat_steps")
        ]
    return list(zip(*columns, strict=True))


def load_time_signatures(path: Path) -> list[str]:
    """The written time signature of each song of a saved split ("" where unknown)."""
    with np.load(path) as data:
        if "time_signature" not in data:
            return [""] * (len(data["offsets"]) - 1)
        return data["time_signature"].tolist()


def split_meters(songs_table: Path, split: str, time_step: float) -> dict[str, list]:
    """Bar, pickup and beat lengths (in steps) and time signatures of a split's songs, in the
    order of its text file."""
    from musiclstm.data.song_table import split_rows
    from musiclstm.music.meter import bar_length, beat_length

    rows = split_rows(songs_table, split)
    bars = [bar_length(row["time_signature"], time_step) for row in rows]
    return {
        "bar_steps": bars,
        "pickup_steps": [
            int(row["pickup_steps"]) % bar if bar else 0
            for row, bar in zip(rows, bars, strict=True)
        ],
        "beat_steps": [beat_length(row["time_signature"], time_step) for row in rows],
        "time_signature": [row["time_signature"] for row in rows],
        "phrase_ends": [tuple(map(int, (row.get("phrase_ends") or "").split())) for row in rows],
    }


def load_songs(path: Path) -> list[np.ndarray]:
    """The songs of a saved split, each an array of token ids."""
    with np.load(path) as data:
        tokens, offsets = data["tokens"], data["offsets"]
    return [tokens[offsets[i] : offsets[i + 1]].astype(np.int64) for i in range(len(offsets) - 1)]
