"""What a generated song is besides its tokens: results/generated/{name}.json, written with the
song and read by every stage that engraves, plays or measures it.

A song's meter is not always its `generate:` entry's: `time_signature: auto` draws one per
song, and a harmonised melody keeps its file's. So the scores, the audio and the statistics
read it here, from the one file that knows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class SongInfo:
    """The written song's ``time_signature``, ``tempo_bpm``, length in ``steps``, and the steps
    into its first bar at which it starts (``pickup_steps``: a seed file's anacrusis)."""

    time_signature: str
    tempo_bpm: float
    steps: int
    pickup_steps: int = 0


def write_song_info(info: SongInfo, path) -> None:
    Path(path).write_text(json.dumps(asdict(info), indent=2) + "\n")


def read_song_info(path) -> SongInfo:
    values = json.loads(Path(path).read_text())
    return SongInfo(
        values["time_signature"],
        float(values["tempo_bpm"]),
        int(values["steps"]),
        int(values["pickup_steps"]),
    )
