"""The points of a sweep: every combination of its ``grid``, each with every random draw.

A sweep (an entry of ``sweeps:`` in config.yaml) names values to try for model and training keys:
a ``grid``, whose every combination is a point, and optionally ``random.n`` draws from ranges
(:mod:`.draws`), each combined with every grid point. A point is named by its values (see
:mod:`.points`), and the name and the base config are all it depends on, so adding a value to a
sweep trains only the new points and removing one leaves the others be.
"""

from __future__ import annotations

import itertools
from collections import Counter

from musiclstm.schema import ConfigError
from musiclstm.settings import SweepSettings
from musiclstm.sweeps.draws import random_draws
from musiclstm.sweeps.points import (
    canonical_value,
    format_value,
    point_name,
    resolve_key,
    sweepable_keys,
)


def sweep_points(name: str, sweep: SweepSettings, schema: dict | None = None) -> list[str]:
    """The point names of sweep ``name``, checked.

    Every combination of the grid, in the order the values are listed, each with every random
    draw; a point drawn twice is trained once.
    """
    keys = sweepable_keys(schema)
    where = f"config.yaml: sweeps.{name}"
    varied: dict[tuple[str, str], str] = {}

    def claim(key: str, at: str) -> dict:
        section, setting, key_schema = resolve_key(key, keys, at)
        if (section, setting) in varied:
            raise ConfigError(
                f"{at}: {section}.{setting} is already varied by {varied[section, setting]}"
            )
        varied[section, setting] = at.removeprefix("config.yaml: ")
        return key_schema

    grid = {}
    for key, values in sweep.grid.items():
        key_schema = claim(key, f"{where}.grid.{key}")
        canonical = [
            canonical_value(value, key_schema, f"{where}.grid.{key}[{i}]")
            for i, value in enumerate(values)
        ]
        repeated = [format_value(v) for v, n in Counter(canonical).items() if n > 1]
        if repeated:
            raise ConfigError(f"{where}.grid.{key}: {', '.join(repeated)} is listed twice")
        grid[key] = canonical
    ranges = {key: claim(key, f"{where}.random.ranges.{key}") for key in sweep.random.ranges}
    draws = random_draws(sweep.random, ranges, f"{where}.random")
    if not grid and not draws:
        raise ConfigError(
            f"{where}: names no values to try; list values under `grid`, or set `random.n` "
            "and `random.ranges`"
        )
    combinations = [
        dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())
    ]
    points = [
        point_name(combination | draw) for combination in combinations for draw in draws or [{}]
    ]
    return list(dict.fromkeys(points))
