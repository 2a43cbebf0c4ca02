"""The evaluation's JSON files on disk: ``metrics.json`` and ``music_stats.json``.

``metrics.json`` holds a checkpoint's held-out metrics (see :mod:`.metrics`; a sweep point's adds
its training and settings); ``music_stats.json`` the musical statistics of the generated songs
(see :mod:`.music_stats`). Their writers and readers go through here, so that each file has one
format in one place: indented JSON ending in a newline.
"""

from __future__ import annotations

import json
from pathlib import Path


def write_json(data: dict, path) -> None:
    """``data`` as JSON indented by 2, with a final newline (the form of both files)."""
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


def write_metrics(metrics: dict, path) -> None:
    """Write a ``metrics.json``."""
    write_json(metrics, path)


def read_metrics(path) -> dict:
    """The metrics of a ``metrics.json``: by split (``valid``, ``test``), ``checkpoint_epoch``,
    and for a sweep point ``training`` and ``point``."""
    return json.loads(Path(path).read_text())


def write_music_stats_file(stats: dict, path) -> None:
    """Write a ``music_stats.json``."""
    write_json(stats, path)


def read_music_stats(path) -> dict:
    """The statistics of a ``music_stats.json``: ``generated`` and ``held_out`` (each with its
    ``histograms``), ``histogram_overlap`` and ``copying``."""
    return json.loads(Path(path).read_text())
