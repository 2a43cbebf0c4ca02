"""Which representation a run uses: from its settings, or from a checkpoint's description."""

from __future__ import annotations

from melodylstm.representation.base import Representation
from melodylstm.representation.melody import MelodyRepresentation
from melodylstm.settings import ModelSettings


def representation_for(model: ModelSettings) -> Representation:
    """The representation that a model of these settings reads."""
    return MelodyRepresentation(model.lookback)


def representation_from(description: dict) -> Representation:
    """The representation that :meth:`Representation.describe` described."""
    if description["name"] != MelodyRepresentation.name:
        raise ValueError(f"unknown representation {description['name']!r}")
    return MelodyRepresentation(tuple(description["lookback_bars"]))
