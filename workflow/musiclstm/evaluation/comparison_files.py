"""The pieces written beside the held-out songs
(:mod:`musiclstm.generation.comparison`) as files: the tokens one piece per line, and each
piece's time signature and upbeat as JSON. Kept apart from the writing, so that the statistics
read them without the model's libraries."""

from __future__ import annotations

import json
from pathlib import Path


def write_comparison(songs: list[tuple[list[str], object]], tokens_path, shapes_path) -> None:
    """The songs one per line, and each one's time signature and upbeat as JSON."""
    Path(tokens_path).write_text("".join(" ".join(tokens) + "\n" for tokens, _ in songs))
    shapes = [
        {"time_signature": info.time_signature, "pickup_steps": info.pickup_steps}
        for _, info in songs
    ]
    Path(shapes_path).write_text(json.dumps(shapes, indent=1) + "\n")


def read_comparison(tokens_path, shapes_path) -> list[tuple[list[str], str, int]]:
    """The songs of :func:`write_comparison`, each with its time signature and pickup."""
    lines = Path(tokens_path).read_text().splitlines()
    shapes = json.loads(Path(shapes_path).read_text())
    return [
        (line.split(), shape["time_signature"], shape["pickup_steps"])
        for line, shape in zip(lines, shapes, strict=True)
    ]
