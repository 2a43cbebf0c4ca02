"""Representations by name: rebuilding one from its description in a checkpoint."""

from __future__ import annotations

from musiclstm.music.frames import SATB
from musiclstm.representation.base import Representation
from musiclstm.representation.chorale import ChoraleRepresentation
from musiclstm.representation.melody import MelodyRepresentation


def melody_from(description: dict) -> Representation:
    return MelodyRepresentation(tuple(description["lookback_bars"]), description.get("form", False))


def frames_from(description: dict) -> Representation:
    return ChoraleRepresentation(
        tuple(description["lookback_bars"]),
        tuple(description["lookahead"]),
        tuple(description.get("voices", SATB)),
        # The version of the voice-leading columns; saved as ``true`` before there were two.
        int(description.get("voice_leading", 0)),
        description.get("hold"),
        description.get("ahead_pitches", False),
        description.get("form", False),
    )


REPRESENTATIONS = {MelodyRepresentation.name: melody_from, ChoraleRepresentation.name: frames_from}


def representation_from(description: dict) -> Representation:
    """The representation that :meth:`Representation.describe` described."""
    name = description["name"]
    if name not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {name!r}; known: {', '.join(REPRESENTATIONS)}")
    return REPRESENTATIONS[name](description)
