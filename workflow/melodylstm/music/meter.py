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
