"""Per-step inputs besides the previous token: where the step falls in the bar, and what was
played one and two bars earlier (the "lookback" idea of Magenta's melody models).

For the step being predicted (step ``i`` of a song, or ``len(song)`` for the end of the song):

- ``meter``: the bar length in steps (0 where the song has no usable time signature);
- ``position``: steps since the last bar line, anacrusis counted (0 where the meter is unknown);
- ``lookback_1`` / ``lookback_2``: the token one / two bars before, or the song boundary before the
  song starts (a 4/4 bar is assumed where the meter is unknown).

Folk tunes repeat whole bars and phrases, so the token a bar back is often the answer, and the
position in the bar says where notes may start and how long they may last.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

MAX_BAR = 64  # bar lengths (in steps) the model has embeddings for; longer bars count as unknown
DEFAULT_BAR = 16
FEATURES = ("meter", "position", "lookback_1", "lookback_2")


def steps_per_bar(time_signature: str, time_step: float) -> int | None:
    """Steps in one bar of ``time_signature`` (e.g. 12 for ``"3/4"`` in sixteenths), or None if
    the signature is missing or unreadable or the bar is not a whole number of steps."""
    try:
        numerator, denominator = (int(part) for part in time_signature.split("/"))
    except ValueError:
        return None
    steps = Fraction(4 * numerator, denominator) / Fraction(time_step).limit_denominator(10_000)
    return int(steps) if steps.denominator == 1 and steps > 0 else None


def bar_length(time_signature: str, time_step: float) -> int:
    """The ``meter`` feature: steps per bar, or 0 if unknown or longer than :data:`MAX_BAR`."""
    steps = steps_per_bar(time_signature, time_step)
    return steps if steps is not None and steps <= MAX_BAR else 0


def step_features(
    song: np.ndarray, bar: int, pickup: int, boundary: int, length: int | None = None
) -> np.ndarray:
    """Features of the steps ``0 .. length - 1`` (default: every step of the song and its end).

    Returns an int64 array of shape (length, 4) in the order of :data:`FEATURES`. ``song`` holds
    the token ids known so far; a step whose lookback lies beyond them gets the boundary.
    """
    n = len(song) + 1 if length is None else length
    steps = np.arange(n)
    span = bar if bar else DEFAULT_BAR
    known = np.concatenate([np.asarray(song, dtype=np.int64), np.full(1, boundary)])
    features = np.empty((n, len(FEATURES)), dtype=np.int64)
    features[:, 0] = bar
    features[:, 1] = (pickup + steps) % bar if bar else 0
    for column, bars_back in ((2, 1), (3, 2)):
        back = steps - bars_back * span
        valid = (back >= 0) & (back < len(song))
        features[:, column] = np.where(valid, known[np.clip(back, 0, len(known) - 1)], boundary)
    return features
