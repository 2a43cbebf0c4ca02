"""The summary of a cross-validation: every fold's test metrics, pooled, and their spread.

Each fold's model is scored on its own test songs (``metrics.json`` of :mod:`.metrics`). The
pooled figures are over every note and step of every fold, total bits over the total count (not
the mean of the folds' means, which would weigh a short fold's songs more); the spread is the
folds' own values: mean, standard deviation (n - 1), minimum and maximum. The summary is
``summary.json``, written and read here, and ``summary.tsv``, one row per fold and one per
pooled or spread figure.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from musiclstm.data.encode import read_table
from musiclstm.data.song_table import split_rows
from musiclstm.evaluation.result_files import read_metrics, write_json

# Each rate of metrics.json and the count it is a rate over.
RATES = {
    "bits_per_step": "steps",
    "bits_per_note": "onsets",
    "pitch_bits_per_note": "pitches",
    "accuracy": "steps",
    "onset_accuracy": "onsets",
}
COUNTS = ("songs", "steps", "onsets", "pitches", "unknown_tokens")
SPREAD = ("mean", "std", "min", "max")
TABLE_COLUMNS = ("fold", *COUNTS, *RATES, "valid_bits_per_step", "checkpoint_epoch")


def fold_test_songs(songs_path) -> list[str]:
    """The song ids of a fold's test split, from its song table (``songs.tsv``)."""
    return [row["song_id"] for row in split_rows(Path(songs_path), "test")]


def check_test_folds(songs_paths: list) -> int:
    """Check that every song of the folds' song tables is in exactly one fold's test split;
    return the number of songs."""
    every_song = {row["song_id"] for row in read_table(Path(songs_paths[0]))}
    seen: dict[str, int] = {}
    for fold, path in enumerate(songs_paths, start=1):
        for song_id in fold_test_songs(path):
            if song_id in seen:
                raise ValueError(
                    f"song {song_id!r} is a test song of folds {seen[song_id]} and {fold}"
                )
            seen[song_id] = fold
    untested = sorted(every_song - set(seen))
    if untested:
        raise ValueError(f"{len(untested)} songs are in no fold's test split, e.g. {untested[0]!r}")
    return len(every_song)


def pooled_metrics(folds: list[dict]) -> dict:
    """The counts of the folds' test splits added up, and each rate as its total over the total
    count: the whole collection scored once, each song by the model that did not train on it."""
    pooled = {count: sum(fold[count] for fold in folds) for count in COUNTS}
    for rate, count in RATES.items():
        total = sum((fold[rate] or 0.0) * fold[count] for fold in folds)
        pooled[rate] = total / pooled[count] if pooled[count] else None
    return pooled


def fold_spread(folds: list[dict]) -> dict:
    """Each rate's mean, standard deviation (n - 1), minimum and maximum over the folds."""
    spread = {}
    for rate in RATES:
        values = [fold[rate] for fold in folds if fold[rate] is not None]
        spread[rate] = {
            "mean": statistics.fmean(values) if values else None,
            "std": statistics.stdev(values) if len(values) > 1 else None,
            "min": min(values, default=None),
            "max": max(values, default=None),
        }
    return spread


def summarize_cross_validation(metrics_paths: list, songs_paths: list, json_path, tsv_path) -> dict:
    """The summary of folds 1, 2, ... (their ``metrics.json`` and ``songs.tsv``, in fold order),
    written to ``json_path`` and ``tsv_path``; fails when a song is tested twice or never."""
    if len(metrics_paths) != len(songs_paths):
        raise ValueError(f"{len(metrics_paths)} metrics files for {len(songs_paths)} folds")
    songs = check_test_folds(songs_paths)
    metrics = [read_metrics(path) for path in metrics_paths]
    tests = [fold["test"] for fold in metrics]
    summary = {
        "folds": len(metrics),
        "songs": songs,
        "per_fold": [
            {
                "fold": number,
                "checkpoint_epoch": fold["checkpoint_epoch"],
                "valid": fold["valid"],
                "test": fold["test"],
            }
            for number, fold in enumerate(metrics, start=1)
        ],
        "pooled": pooled_metrics(tests),
        "across_folds": fold_spread(tests),
    }
    write_json(summary, json_path)
    write_table(summary, tsv_path)
    return summary


def read_summary(path) -> dict:
    """A ``summary.json``: ``folds``, ``songs``, ``per_fold`` (each fold's ``valid`` and
    ``test`` metrics), ``pooled`` and ``across_folds`` (each rate's mean, std, min, max)."""
    return read_metrics(path)


def table_rows(summary: dict) -> list[dict]:
    """The rows of ``summary.tsv``: each fold's test metrics, the pooled ones, then the spread."""
    rows = [
        {
            "fold": fold["fold"],
            **fold["test"],
            "valid_bits_per_step": fold["valid"]["bits_per_step"],
            "checkpoint_epoch": fold["checkpoint_epoch"],
        }
        for fold in summary["per_fold"]
    ]
    rows.append({"fold": "pooled", **summary["pooled"]})
    for figure in SPREAD:
        rows.append(
            {"fold": figure}
            | {rate: values[figure] for rate, values in summary["across_folds"].items()}
        )
    return rows


def write_table(summary: dict, path) -> None:
    """``summary.tsv``: rates to 4 decimals, an empty cell where a row has no such value."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(TABLE_COLUMNS)
        for row in table_rows(summary):
            writer.writerow([cell_text(row.get(column)) for column in TABLE_COLUMNS])


def cell_text(value) -> str:
    if value is None:
        return ""
    return f"{value:.4f}" if isinstance(value, float) else str(value)
