"""Bars in steps: the one place that turns a time signature into steps per bar."""

from __future__ import annotations

from fractions import Fraction

MAX_BAR = 64  # the longest bar, in steps, the workflow places steps in; longer ones count unknown


def steps_per_bar(time_signature: str, time_step: float) -> int | None:
    """Steps in one bar of ``time_signature`` (e.g. 12 for ``"3/4"`` in sixteenths), or None if
    the signature is missing or unreadable or the bar is not a whole number of steps."""
    try:
        numerator, denominator = (int(part) for part in time_signature.split("/"))
    except ValueError:
        return None
    steps = Fraction(4 * numerator, denominator) / Fraction(time_step).limit_denominator(10_000)
    return int(steps) if steps.denominator == 1 and steps > 0 else None


def bar_steps(time_signature: str, time_step: float) -> int:
    """:func:`steps_per_bar`, raising where a bar is not a whole number of steps."""
    steps = steps_per_bar(time_signature, time_step)
    if steps is None:
        raise ValueError(f"a bar of {time_signature} is not a whole number of {time_step} steps")
    return steps


def bar_length(time_signature: str, time_step: float) -> int:
    """Steps per bar as songs store it: 0 if unknown or longer than :data:`MAX_BAR`."""
    steps = steps_per_bar(time_signature, time_step)
    return steps if steps is not None and steps <= MAX_BAR else 0


def is_compound(numerator: int) -> bool:
    """6/8, 9/8, 12/8 (and 6/4, 6/16, ...) group their notes in threes: the beat is dotted."""
    return numerator > 3 and numerator % 3 == 0


def beat_length(time_signature: str, time_step: float) -> int:
    """Steps in one beat of ``time_signature``: the denominator's note, dotted in a compound
    meter (6 sixteenths in 6/8, 4 in 3/4, 8 in 2/2); 0 if unknown or not a whole number of
    steps. With the bar's length it tells meters of the same bar apart (6/8 from 3/4)."""
    try:
        numerator, denominator = (int(part) for part in time_signature.split("/"))
    except ValueError:
        return 0
    if numerator <= 0 or denominator <= 0 or not bar_length(time_signature, time_step):
        return 0
    beat = Fraction(4 * (3 if is_compound(numerator) else 1), denominator)
    steps = beat / Fraction(time_step).limit_denominator(10_000)
    return int(steps) if steps.denominator == 1 and 0 < steps <= MAX_BAR else 0
