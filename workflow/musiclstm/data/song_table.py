"""The song table, ``songs.tsv``: one row per encoded song with its split, its line in that
split's text file and what the encoder found (key, transposition, time signature, anacrusis).
The split writes it (:func:`~musiclstm.data.splits.split_dataset`); every reader reads it here.
"""

from __future__ import annotations

from pathlib import Path

from musiclstm.data.encode import read_table


def split_rows(songs_table: Path, split: str) -> list[dict]:
    """The rows of the songs of ``split``, in the order of its text file."""
    rows = [row for row in read_table(Path(songs_table)) if row.get("split") == split]
    return sorted(rows, key=lambda row: int(row["line"]))


def has_columns(songs_table: Path | None, columns: set[str]) -> bool:
    """Whether the table exists and has ``columns`` (an older table may lack some)."""
    if songs_table is None or not Path(songs_table).exists():
        return False
    with open(songs_table, encoding="utf-8") as handle:
        return columns <= set(handle.readline().rstrip("\n").split("\t"))
