"""Split encoded songs into train, valid and test sets, deterministically and by whole songs."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from .encode import ENCODED_COLUMNS, REJECT_COLUMNS, read_table, write_table

SPLITS = ("train", "valid", "test")


def song_rank(song_id: str, seed: int) -> str:
    """A stable pseudo-random rank for a song: the hash of its id salted with the split seed."""
    return hashlib.sha256(f"{seed}:{song_id}".encode()).hexdigest()


def assign_splits(
    song_ids: list[str], valid_fraction: float, test_fraction: float, seed: int
) -> dict[str, str]:
    """Map each song id to a split.

    Songs are ordered by a salted hash of their id and cut at exact counts, so the result does not
    depend on file order or on the machine, and a fraction above zero gets at least one song when
    there are songs enough to give every split one.
    """
    ranked = sorted(song_ids, key=lambda song_id: song_rank(song_id, seed))
    n = len(ranked)
    n_test = round(n * test_fraction)
    n_valid = round(n * valid_fraction)
    if n >= 3:
        n_test = max(n_test, 1 if test_fraction > 0 else 0)
        n_valid = max(n_valid, 1 if valid_fraction > 0 else 0)
    assignment = {}
    for position, song_id in enumerate(ranked):
        if position < n_test:
            assignment[song_id] = "test"
        elif position < n_test + n_valid:
            assignment[song_id] = "valid"
        else:
            assignment[song_id] = "train"
    return assignment


def split_dataset(
    encoded_paths: list[Path],
    rejects_paths: list[Path],
    split: dict,
    split_text_paths: dict[str, Path],
    songs_path: Path,
    rejects_path: Path,
    summary_path: Path,
) -> dict:
    """Merge encoded shards, split them, and write the split texts and the tables.

    Each split text holds one song per line, in the order of the song table; the song table gives
    every song's split and its line within that split's text.
    """
    rows = [row for path in encoded_paths for row in read_table(path)]
    rejects = [row for path in rejects_paths for row in read_table(path)]
    rows.sort(key=lambda row: row["song_id"])
    rejects.sort(key=lambda row: row["song_id"])
    assignment = assign_splits(
        [row["song_id"] for row in rows],
        split["valid_fraction"],
        split["test_fraction"],
        split["seed"],
    )
    lines: dict[str, list[str]] = {name: [] for name in SPLITS}
    table = []
    for row in rows:
        name = assignment[row["song_id"]]
        table.append({**row, "split": name, "line": len(lines[name]) + 1})
        lines[name].append(row["tokens"])
    for name in SPLITS:
        split_text_paths[name].write_text("".join(line + "\n" for line in lines[name]))
    columns = tuple(c for c in ENCODED_COLUMNS if c != "tokens") + ("split", "line")
    write_table([{c: row[c] for c in columns} for row in table], columns, songs_path)
    write_table(rejects, REJECT_COLUMNS, rejects_path)
    summary = {
        "songs_encoded": len(rows),
        "songs_rejected": len(rejects),
        "rejected_by_reason": dict(sorted(Counter(r["reason"] for r in rejects).items())),
        "songs_per_split": {name: len(lines[name]) for name in SPLITS},
        "steps_per_split": {
            name: sum(len(line.split()) for line in lines[name]) for name in SPLITS
        },
    }
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def read_songs(path: Path) -> list[list[str]]:
    """Read a split text: one song per line, tokens separated by spaces."""
    return [line.split() for line in Path(path).read_text().splitlines() if line.strip()]
