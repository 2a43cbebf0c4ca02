"""``history.csv``, the per-epoch record of a training run: its columns, its writer and its reader.

The training loop writes it (one row per epoch); the loss plot, the sweeps and the model
comparison benchmark read it. This module is the one place that knows its columns and how each
is written, so a reader gets numbers of the right type instead of the CSV's text.
"""

from __future__ import annotations

import csv
from pathlib import Path

from musiclstm.files import atomic_path

# Every column and the type its values are read back as, in the order they are written.
HISTORY_TYPES = {
    "epoch": int,
    "train_bits_per_step": float,
    "valid_bits_per_step": float,
    "learning_rate": float,
    "tokens_per_second": int,
    "seconds": float,
    "best": int,  # 1 where the epoch improved on every earlier one: the checkpoint is its model
}
HISTORY_COLUMNS = tuple(HISTORY_TYPES)


def write_history(rows: list[dict], path: Path) -> None:
    """Write the rows (one dict per epoch, keyed by :data:`HISTORY_COLUMNS`) as CSV.

    The file is written to a temporary name and renamed, so a reader (or a killed run's rerun)
    never sees half of it.
    """
    with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
        writer = csv.DictWriter(handle, HISTORY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_history(path: Path) -> list[dict]:
    """The rows of a history written by :func:`write_history`, each value of its column's type."""
    with open(path, newline="") as handle:
        return [
            {column: HISTORY_TYPES[column](text) for column, text in row.items()}
            for row in csv.DictReader(handle)
        ]
