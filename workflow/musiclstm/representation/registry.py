"""Which representation a run uses: from its texture and model settings, or from a
checkpoint's description."""

from __future__ import annotations

from musiclstm.representation.base import Representation
from musiclstm.representation.chorale import ChoraleRepresentation
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.settings import ModelSettings

TEXTURES = (MelodyRepresentation.name, ChoraleRepresentation.name)


def texture_representation(name: str = MelodyRepresentation.name) -> Representation:
    """The representation of a texture of music, for the stages that read and write music
    (encoding, the vocabulary) whatever the model reads."""
    if name == MelodyRepresentation.name:
        return MelodyRepresentation()
    if name == ChoraleRepresentation.name:
        return ChoraleRepresentation()
    raise ValueError(f"unknown texture {name!r}; known: {', '.join(TEXTURES)}")


def representation_for(
    model: ModelSettings, texture: str = MelodyRepresentation.name
) -> Representation:
    """The representation that a model of these settings reads, in a texture."""
    texture_representation(texture)  # a texture this version knows
    if texture == ChoraleRepresentation.name:
        return ChoraleRepresentation(model.lookback, model.lookahead)
    return MelodyRepresentation(model.lookback)


def representation_from(description: dict) -> Representation:
    """The representation that :meth:`Representation.describe` described."""
    texture_representation(description["name"])  # a name this version knows
    if description["name"] == ChoraleRepresentation.name:
        return ChoraleRepresentation(
            tuple(description["lookback_bars"]), tuple(description["lookahead"])
        )
    return MelodyRepresentation(tuple(description["lookback_bars"]))
