"""What a generated song is besides its tokens: results/generated/{name}.json, written with the
song and read by every stage that engraves, plays or measures it.

A song's meter is not always its `generate:` entry's: `time_signature: auto` draws one per
song, and a harmonised melody keeps its file's. So the scores, the audio and the statistics
read it here, from the one file that knows; and the texture that wrote the piece (its name and
voices), so that rendering decodes it as what it is, whatever config is loaded.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SongInfo:
    """The written song's ``time_signature``, ``tempo_bpm``, length in ``steps`` (tokens), the
    steps into its first bar at which it starts (``pickup_steps``: a file's anacrusis), the key
    it is written in (``key``, e.g. ``F major``; None: found from its notes, among those of the
    tonic ``tonic`` where one is named), the texture that wrote it (its description), the
    quarter notes of one step (``time_step``), how it was sampled (``sampling``: the
    strategy and its settings, the sampler's rules, refinement and random seed) and the steps
    where its phrases end, the last one's excepted (``phrase_ends``: a melody's, from the
    training song it took its form from; a harmonisation of it cadences there)."""

    time_signature: str
    tempo_bpm: float
    steps: int
    pickup_steps: int = 0
    key: str | None = None
    tonic: str | None = None
    texture: dict = field(default_factory=lambda: {"name": "melody"})
    time_step: float = 0.25
    sampling: dict = field(default_factory=dict)
    phrase_ends: list[int] = field(default_factory=list)


def write_song_info(info: SongInfo, path) -> None:
    Path(path).write_text(json.dumps(asdict(info), indent=2) + "\n")


def read_song_info(path) -> SongInfo:
    values = json.loads(Path(path).read_text())
    return SongInfo(
        values["time_signature"],
        float(values["tempo_bpm"]),
        int(values["steps"]),
        int(values["pickup_steps"]),
        values.get("key"),
        values.get("tonic"),
        values.get("texture", {"name": "melody"}),
        float(values.get("time_step", 0.25)),
        values.get("sampling", {}),
        [int(end) for end in values.get("phrase_ends", [])],
    )
