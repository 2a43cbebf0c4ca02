"""Which representation a run uses: from its settings, or from a checkpoint's description."""

from __future__ import annotations

from melodylstm.representation.base import Representation
from melodylstm.representation.melody import MelodyRepresentation
from melodylstm.settings import ModelSettings


def texture_representation(name: str = MelodyRepresentation.name) -> Representation:
    """The representation of a texture of music, for the stages that read and write music
    (encoding, the vocabulary) whatever the model reads."""
    if name != MelodyRepresentation.name:
        raise ValueError(f"unknown texture {name!r}; known: {MelodyRepresentation.name}")
    return MelodyRepresentation()


def representation_for(model: ModelSettings) -> Representation:
    """The representation that a model of these settings reads."""
    return MelodyRepresentation(model.lookback)


def representation_from(description: dict) -> Representation:
    """The representation that :meth:`Representation.describe` described."""
    texture_representation(description["name"])  # a name this version knows
    return MelodyRepresentation(tuple(description["lookback_bars"]))
