"""A sweep's table: one row per point with its values and metrics, best validation loss first.

The table (``summary.tsv``) is what a sweep is compared by; its first row is the best point,
which ``generate_sweep_best_{name}`` samples from.
"""

from __future__ import annotations

import csv

from musiclstm.evaluation.result_files import read_metrics
from musiclstm.sweeps.points import format_value, parse_point

METRIC_COLUMNS = (
    "valid_bits_per_step",
    "test_bits_per_step",
    "valid_bits_per_note",
    "test_bits_per_note",
    "epochs",
    "best_epoch",
    "train_minutes",
    "parameters",
)


def summary_row(point: str, metrics: dict, schema: dict | None = None) -> dict:
    """One row of a sweep's table: the point, its values, and its metrics."""
    training = metrics["training"]
    return {
        "point": point,
        **parse_point(point, schema),
        "valid_bits_per_step": metrics["valid"]["bits_per_step"],
        "test_bits_per_step": metrics["test"]["bits_per_step"],
        "valid_bits_per_note": metrics["valid"]["bits_per_note"],
        "test_bits_per_note": metrics["test"]["bits_per_note"],
        "epochs": training["epochs"],
        "best_epoch": training["best_epoch"],
        "train_minutes": training["minutes"],
        "parameters": training["parameters"],
    }


def by_valid_loss(row: dict) -> tuple[bool, float]:
    """Sort key: lowest validation loss first, and a point without one (no songs) last."""
    loss = row["valid_bits_per_step"]
    return (loss is None, loss if loss is not None else 0.0)


def swept_keys(rows: list[dict]) -> list[str]:
    """The keys the rows vary, in the order their points name them."""
    keys = [key for row in rows for key in row if key != "point" and key not in METRIC_COLUMNS]
    return list(dict.fromkeys(keys))


def write_summary(rows: list[dict], path) -> None:
    """The table, one row per point, as TSV (values as the point names write them)."""
    columns = ["point", *swept_keys(rows), *METRIC_COLUMNS]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                ["" if column not in row else table_text(column, row[column]) for column in columns]
            )


def table_text(column: str, value) -> str:
    """How the table writes a value: metrics rounded (an empty cell for none), a swept value as
    the point's name writes it, so that the table reads as the names do."""
    if column in METRIC_COLUMNS:
        if value is None:
            return ""
        if column == "train_minutes":
            return f"{value:.2f}"
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    return value if column == "point" else format_value(value)


def read_summary(path) -> list[dict]:
    """The rows of a table written by :func:`write_summary`, as text."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def best_point(summary_path) -> str:
    """The point with the lowest validation loss: the first row of a sweep's table."""
    rows = [row for row in read_summary(summary_path) if row["valid_bits_per_step"]]
    if not rows:
        raise ValueError(f"{summary_path}: no point has a validation loss")
    return rows[0]["point"]


def summarize_sweep(metrics_paths: dict, table_path, schema: dict | None = None) -> list[dict]:
    """Gather the points' metrics (``metrics_paths``: point name -> its ``metrics.json``) into
    one table, sorted by validation loss, best first. Returns its rows (for the sweep's plot)."""
    rows = [summary_row(point, read_metrics(path), schema) for point, path in metrics_paths.items()]
    rows.sort(key=by_valid_loss)
    write_summary(rows, table_path)
    return rows
