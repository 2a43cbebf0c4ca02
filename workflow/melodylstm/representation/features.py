"""Per-step inputs besides the previous token: where the step falls in the bar and in the song,
and what was played some bars earlier (the "lookback" idea of Magenta's melody models).

For the step being predicted (step ``i`` of a song, or ``len(song)`` for the end of the song):

- ``meter``: the bar length in steps (0 where the song has no usable time signature);
- ``position``: steps since the last bar line, anacrusis counted (0 where the meter is unknown);
- ``bar_number``: which bar the step is in, the first full bar being 1 and an anacrusis 0; bars
  past :data:`MAX_BAR_NUMBER` share the last number (0 where the meter is unknown);
- ``lookback_{n}``, one per entry of ``lookback_bars``: the token ``n`` bars before, or the song
  boundary before the song starts (a 4/4 bar is assumed where the meter is unknown).

Folk tunes repeat bars and whole phrases (AABB, ABAB'), so the token one, two, four or eight bars
back is often the answer; the position in the bar says where notes may start and how long they
may last, and the bar number where phrases begin and cadences fall.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

MAX_BAR = 64  # bar lengths (in steps) the model has embeddings for; longer bars count as unknown
MAX_BAR_NUMBER = 32  # bar numbers the model tells apart; later bars share the last one
DEFAULT_BAR = 16
METER_COLUMNS = ("meter", "position", "bar_number")


def feature_names(lookback_bars: tuple[int, ...]) -> tuple[str, ...]:
    """The columns of :func:`step_features`, in order."""
    return METER_COLUMNS + tuple(f"lookback_{bars}" for bars in lookback_bars)


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


def meter_columns(steps, bar: int, pickup: int):
    """``meter``, ``position`` and ``bar_number`` of step(s) ``steps`` (an int or an array)."""
    if not bar:
        zero = np.zeros_like(steps)
        return zero, zero, zero
    counted = pickup + steps
    # A song that starts on a bar line has no anacrusis: its first bar is number 1.
    number = np.minimum(counted // bar + (0 if pickup else 1), MAX_BAR_NUMBER)
    return np.full_like(steps, bar), counted % bar, number


def normalise_lookback(lookback) -> tuple[int, ...]:
    """``lookback`` as configured (a list of bar counts, or the older true/false) as a tuple."""
    if lookback is True:
        return (1, 2)
    if not lookback:
        return ()
    return tuple(int(bars) for bars in lookback)


def step_features(
    song: np.ndarray,
    bar: int,
    pickup: int,
    boundary: int,
    length: int | None = None,
    lookback_bars: tuple[int, ...] = (1, 2),
) -> np.ndarray:
    """Features of the steps ``0 .. length - 1`` (default: every step of the song and its end).

    Returns an int64 array of shape (length, 3 + len(lookback_bars)) with the columns of
    :func:`feature_names`. ``song`` holds the token ids known so far; a step whose lookback lies
    beyond them gets the boundary.
    """
    n = len(song) + 1 if length is None else length
    steps = np.arange(n)
    span = bar if bar else DEFAULT_BAR
    known = np.concatenate([np.asarray(song, dtype=np.int64), np.full(1, boundary)])
    features = np.empty((n, len(METER_COLUMNS) + len(lookback_bars)), dtype=np.int64)
    features[:, 0], features[:, 1], features[:, 2] = meter_columns(steps, bar, pickup)
    for column, bars_back in enumerate(lookback_bars, start=len(METER_COLUMNS)):
        back = steps - bars_back * span
        valid = (back >= 0) & (back < len(song))
        features[:, column] = np.where(valid, known[np.clip(back, 0, len(known) - 1)], boundary)
    return features
