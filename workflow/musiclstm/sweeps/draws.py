"""Random points of a sweep: ``random.n`` draws from ``random.ranges``, seeded.

Each draw takes one uniform number per key from a generator seeded with ``random.seed``, so the
first draws stay the same when ``n`` grows: raising ``n`` only adds points. Numbers are rounded to
:data:`SIGNIFICANT_DIGITS` digits, so that the points' names stay readable.
"""

from __future__ import annotations

import math

import numpy as np

from musiclstm.schema import ConfigError
from musiclstm.settings import SweepDrawSettings
from musiclstm.sweeps.points import canonical_value, key_types

# Random draws of a number are rounded to this many significant digits, for names one can read.
SIGNIFICANT_DIGITS = 3


def random_draws(spec: SweepDrawSettings, key_schemas: dict[str, dict], where: str) -> list[dict]:
    """``spec.n`` draws of the ``ranges`` keys, from a generator seeded with ``spec.seed``.

    Each draw takes one uniform number per key, so the first draws stay the same when ``n``
    grows: raising ``n`` only adds points.
    """
    n, ranges, log_keys = spec.n, spec.ranges, spec.log_uniform
    if n and not ranges:
        raise ConfigError(f"{where}.n: {n} points to draw, but random.ranges names no keys")
    if ranges and not n:
        raise ConfigError(f"{where}.ranges: set random.n, the number of points to draw")
    for key in log_keys:
        if key not in ranges:
            raise ConfigError(f"{where}.log_uniform: {key!r} is not a key of random.ranges")
    bounds = {}
    for key, (low, high) in ranges.items():
        at, key_schema = f"{where}.ranges.{key}", key_schemas[key]
        types = key_types(key_schema)
        if "integer" not in types and "number" not in types:
            raise ConfigError(f"{at}: only numbers are drawn from a range; list the values in grid")
        if "integer" in types:
            low, high = math.ceil(low), math.floor(high)
        if not low < high:
            raise ConfigError(f"{at}: the range [{low}, {high}] holds no more than one value")
        if key in log_keys and low <= 0:
            raise ConfigError(f"{at}: a log-uniform range needs a low end above 0, not {low}")
        canonical_value(low, key_schema, f"{at} low end")
        canonical_value(high, key_schema, f"{at} high end")
        bounds[key] = (low, high, "integer" in types, key in log_keys, key_schema)
    rng = np.random.default_rng(spec.seed)
    draws = []
    for _ in range(n):
        draw = {}
        for key, (low, high, integer, log, key_schema) in bounds.items():
            value = draw_value(float(rng.random()), low, high, integer, log)
            draw[key] = canonical_value(value, key_schema, f"{where}.ranges.{key}")
        draws.append(draw)
    return draws


def draw_value(u: float, low: float, high: float, integer: bool, log: bool):
    """The value at quantile ``u`` of a uniform (or log-uniform) range; integers included."""
    if integer:
        top = high + 1  # every integer of [low, high] gets an equal share of [0, 1)
        value = math.exp(math.log(low) + u * math.log(top / low)) if log else low + u * (top - low)
        return min(int(value), high)
    value = math.exp(math.log(low) + u * math.log(high / low)) if log else low + u * (high - low)
    rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return min(max(rounded, low), high)
