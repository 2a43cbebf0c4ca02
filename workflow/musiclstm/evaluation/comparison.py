"""Songs to set beside the held-out songs: one per held-out song, in its time signature and
number of bars, written with the settings of an entry of `generate:` (its upbeat and form drawn
from the training songs as that entry draws them, never from the held-out song). What a
classifier then tells apart is the model's writing, not a mix of meters or lengths.

Held-out songs whose meter is unknown are left out.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import numpy as np

from musiclstm.data.tensors import load_meters, load_songs, load_time_signatures
from musiclstm.evaluation.distinguishability import distinguishability
from musiclstm.generation.requests import GenerateRequest
from musiclstm.generation.song_info import SongInfo
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.meter import bar_length, beat_length
from musiclstm.settings import SongSettings

# The features the repetition table shows, per meter, generated beside held-out.
FORM_FEATURES = ("exact_repeats", "moved_repeats", "rhythm_repeats", "motif_reuse", "upbeat")


def held_out_frames(
    held_out_path, time_step: float, frame_width: int = 1
) -> list[tuple[int, str, int, int]]:
    """``(index, time signature, bars, pickup)`` of each held-out song in a usable meter, its
    tokens ``frame_width`` to a time step."""
    frames = []
    songs = load_songs(held_out_path)
    for index, (signature, (bar, pickup, _), song) in enumerate(
        zip(load_time_signatures(held_out_path), load_meters(held_out_path), songs, strict=True)
    ):
        if bar and bar == bar_length(signature, time_step):
            bars = max(1, round(len(song) / frame_width / bar))
            frames.append((index, signature, bars, pickup))
    return frames


def comparison_songs(
    trained: TrainedModel, song: SongSettings, held_out_path, train_path
) -> list[tuple[list[str], SongInfo]]:
    """One piece per held-out song of a usable meter (:func:`held_out_frames`), in its time
    signature and bars, written as the checkpoint's texture writes ``song`` (piece ``i`` with
    random seed ``song.random_seed + i``; a melody's upbeat and form drawn from the training
    songs at ``train_path``), left in C major / A minor."""
    written = []
    frames = held_out_frames(held_out_path, trained.time_step, trained.representation.frame_width)
    for number, (_, signature, bars, _) in enumerate(frames):
        entry = dataclasses.replace(
            song,
            time_signature=signature,
            bars=bars,
            seed="",
            key=None,
            n_samples=1,
            random_seed=song.random_seed + number,
        )
        request = GenerateRequest(trained, entry, "comparison", 1, train_path=train_path)
        written += trained.texture.generate(request)
    return written


def write_comparison(songs: list[tuple[list[str], SongInfo]], tokens_path, shapes_path) -> None:
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


def comparison_stats(
    texture,
    generated: list[tuple[list[str], str, int]],
    held_out: list[tuple[list[str], str, int]],
    time_step: float,
) -> dict:
    """The classifier two-sample test of ``generated`` against ``held_out`` (tokens, time
    signature, pickup) on the ``texture``'s features of each piece, and the form features per
    meter, each group's mean."""

    def features(pieces):
        return [
            texture.piece_features(
                tokens, bar_length(signature, time_step), pickup, beat_length(signature, time_step)
            )
            for tokens, signature, pickup in pieces
        ]

    ours, theirs = features(generated), features(held_out)
    return {
        **distinguishability(ours, theirs),
        "form_by_meter": form_by_meter(
            ours, [s for _, s, _ in generated], theirs, [s for _, s, _ in held_out]
        ),
    }


def form_by_meter(ours: list[dict], our_meters: list[str], theirs: list[dict], their_meters):
    """Per meter (and over all), the mean of each of :data:`FORM_FEATURES` in each group."""
    counts = Counter(their_meters)
    table = {}
    for meter in [*sorted(counts, key=lambda m: -counts[m]), "all"]:

        def mean(rows, meters, name, meter=meter):
            values = [r[name] for r, m in zip(rows, meters, strict=True) if meter in ("all", m)]
            return float(np.mean(values)) if values else None

        table[meter] = {
            "songs": {
                "generated": sum(meter in ("all", m) for m in our_meters),
                "held_out": sum(meter in ("all", m) for m in their_meters),
            },
            **{
                name: {
                    "generated": mean(ours, our_meters, name),
                    "held_out": mean(theirs, their_meters, name),
                }
                for name in FORM_FEATURES
                if name in (theirs[0] if theirs else {})
            },
        }
    return table
