"""Hyper-parameter sweeps: the points of a sweep, their names and settings, and their comparison.

A sweep (an entry of ``sweeps:`` in config.yaml) names values to try for model and training keys:
a ``grid``, whose every combination is a point, and optionally ``random.n`` draws from ranges,
each combined with every grid point. A point is named by its values, e.g.
``hidden_size=256,num_layers=2``, and its settings are the base config's ``model`` and
``training`` with those values put in. The name and the base config are all a point depends on,
so adding a value to a sweep trains only the new points and removing one leaves the others be.
"""

from __future__ import annotations

import copy
import csv
import itertools
import json
import math
import re
import time
from collections import Counter
from pathlib import Path

import jsonschema
import numpy as np

from melodylstm.config import ConfigError, load_schema

SWEPT_SECTIONS = ("model", "training")
# A point's name is a folder name and a Snakemake wildcard: values stay within these characters.
VALUE_TEXT = re.compile(r"^[A-Za-z0-9_.:+-]+$")
# Random draws of a number are rounded to this many significant digits, for names one can read.
SIGNIFICANT_DIGITS = 3
METRIC_COLUMNS = (
    "valid_bits_per_step",
    "test_bits_per_step",
    "valid_bits_per_note",
    "test_bits_per_note",
    "epochs",
    "best_epoch",
    "train_minutes",
    "parameters",
)

KeyInfo = tuple[str, str, dict]  # (section, key, the key's schema)


def sweepable_keys(schema: dict | None = None) -> dict[str, KeyInfo]:
    """Every name a sweep may vary -> (section, key, the key's schema).

    A model or training key goes by its own name (``hidden_size``) or with its section
    (``model.hidden_size``); a name both sections use needs its section.
    """
    schema = schema or load_schema()
    keys = {
        f"{section}.{key}": (section, key, key_schema)
        for section in SWEPT_SECTIONS
        for key, key_schema in schema["properties"][section]["properties"].items()
    }
    uses = Counter(key for _, key, _ in keys.values())
    keys.update({info[1]: info for info in list(keys.values()) if uses[info[1]] == 1})
    return keys


def resolve_key(name: str, keys: dict[str, KeyInfo], where: str) -> KeyInfo:
    if name not in keys:
        allowed = [k for k in keys if "." not in k] + [
            k for k in keys if "." in k and k.split(".", 1)[1] not in keys
        ]
        raise ConfigError(
            f"{where}: {name!r} is not a model or training key; a sweep may vary "
            f"{', '.join(sorted(allowed))}"
        )
    return keys[name]


def key_types(key_schema: dict) -> list[str]:
    kind = key_schema.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def format_value(value) -> str:
    """How a value is written in a point's name (``repr`` keeps a float exact and short)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def canonical_value(value, key_schema: dict, where: str):
    """``value`` as its key holds it (3 -> 3.0 for a number, 3.0 -> 3 for an integer), checked."""
    types = key_types(key_schema)
    if isinstance(value, int) and not isinstance(value, bool):
        if "number" in types and "integer" not in types:
            value = float(value)
    elif isinstance(value, float) and "integer" in types and value.is_integer():
        value = int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: {value!r} is not a finite number")
    errors = list(jsonschema.Draft202012Validator(key_schema).iter_errors(value))
    if errors:
        raise ConfigError(f"{where}: {errors[0].message}")
    if isinstance(value, str) and not VALUE_TEXT.match(value):
        raise ConfigError(
            f"{where}: {value!r} cannot be part of a point's name; use letters, digits and _.:+-"
        )
    return value


def parse_value(text: str, key_schema: dict, where: str):
    """The value that ``text`` (as written by :func:`format_value`) stands for, checked."""
    types = key_types(key_schema)
    if text == "null" and "null" in types:
        value = None
    elif text in ("true", "false") and "boolean" in types:
        value = text == "true"
    elif "integer" in types and re.fullmatch(r"-?[0-9]+", text):
        value = int(text)
    elif "number" in types and re.fullmatch(r"-?[0-9.]+(e[+-]?[0-9]+)?", text):
        value = float(text)
    elif "string" in types:
        value = text
    else:
        raise ConfigError(f"{where}: {text!r} is not a value of type {' or '.join(types)}")
    value = canonical_value(value, key_schema, where)
    # One spelling per value, so that one setting never trains in two folders.
    if format_value(value) != text:
        raise ConfigError(f"{where}: write {text!r} as {format_value(value)!r}")
    return value


def point_name(values: dict) -> str:
    """``{"hidden_size": 256, "dropout": 0.2}`` -> ``hidden_size=256,dropout=0.2``."""
    return ",".join(f"{key}={format_value(value)}" for key, value in values.items())


def parse_point(name: str, schema: dict | None = None) -> dict:
    """A point's values by key, as its name gives them; fails naming a bad key or value."""
    keys = sweepable_keys(schema)
    values: dict = {}
    seen: set[tuple[str, str]] = set()
    for part in name.split(","):
        key, equals, text = part.partition("=")
        if not equals or not key or not text:
            raise ConfigError(f"sweep point {name!r}: {part!r} is not key=value")
        section, setting, key_schema = resolve_key(key, keys, f"sweep point {name!r}")
        if (section, setting) in seen:
            raise ConfigError(f"sweep point {name!r}: {section}.{setting} is given twice")
        seen.add((section, setting))
        values[key] = parse_value(text, key_schema, f"sweep point {name!r}: {key}")
    return values


def point_settings(name: str, config: dict, schema: dict | None = None) -> dict:
    """The ``model`` and ``training`` settings of a point: the base config's, with its values."""
    keys = sweepable_keys(schema)
    settings = {section: copy.deepcopy(config[section]) for section in SWEPT_SECTIONS}
    for key, value in parse_point(name, schema).items():
        section, setting, _ = keys[key]
        settings[section][setting] = value
    return settings


def sweep_points(name: str, sweep: dict, schema: dict | None = None) -> list[str]:
    """The point names of sweep ``name`` (its config entry, defaults filled), checked.

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
    for key, values in sweep["grid"].items():
        key_schema = claim(key, f"{where}.grid.{key}")
        canonical = [
            canonical_value(value, key_schema, f"{where}.grid.{key}[{i}]")
            for i, value in enumerate(values)
        ]
        repeated = [format_value(v) for v, n in Counter(canonical).items() if n > 1]
        if repeated:
            raise ConfigError(f"{where}.grid.{key}: {', '.join(repeated)} is listed twice")
        grid[key] = canonical
    ranges = {key: claim(key, f"{where}.random.ranges.{key}") for key in sweep["random"]["ranges"]}
    draws = random_draws(sweep["random"], ranges, f"{where}.random")
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


def random_draws(spec: dict, key_schemas: dict[str, dict], where: str) -> list[dict]:
    """``spec["n"]`` draws of the ``ranges`` keys, from a generator seeded with ``spec["seed"]``.

    Each draw takes one uniform number per key, so the first draws stay the same when ``n``
    grows: raising ``n`` only adds points.
    """
    n, ranges, log_keys = spec["n"], spec["ranges"], spec["log_uniform"]
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
    rng = np.random.default_rng(spec["seed"])
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


def train_point(
    point: str,
    data: dict,
    outputs: dict,
    settings: dict,
    time_step: float,
    threads: int = 1,
    state_path=None,
) -> dict:
    """Train and score one point; writes the checkpoint, history and ``metrics.json``.

    ``data`` holds the paths of the ``train``, ``valid`` and ``test`` tensors and the
    ``vocabulary``; ``outputs`` those of the ``checkpoint``, ``history`` and ``metrics``. The
    metrics are :func:`~melodylstm.evaluation.evaluate_checkpoint`'s, with a ``training`` entry
    (epochs, best epoch, minutes, parameters) and the point's settings added. With a
    ``state_path`` an interrupted training continues where it stopped (see ``train_model``).
    """
    from melodylstm.evaluation.metrics import evaluate_checkpoint
    from melodylstm.training.loop import train_model

    started = time.perf_counter()
    checkpoint = train_model(
        Path(data["train"]),
        Path(data["valid"]),
        Path(data["vocabulary"]),
        Path(outputs["checkpoint"]),
        Path(outputs["history"]),
        model_config=settings["model"],
        training=settings["training"],
        encoding={"time_step": time_step},
        threads=threads,
        state_path=Path(state_path) if state_path else None,
    )
    minutes = (time.perf_counter() - started) / 60
    metrics = evaluate_checkpoint(
        outputs["checkpoint"],
        {"valid": data["valid"], "test": data["test"]},
        outputs["metrics"],
        threads=threads,
    )
    with open(outputs["history"], newline="") as handle:
        epochs = sum(1 for _ in csv.DictReader(handle))
    metrics["training"] = {
        "epochs": epochs,
        "best_epoch": checkpoint["epoch"],
        "minutes": round(minutes, 3),
        "parameters": sum(tensor.numel() for tensor in checkpoint["state_dict"].values()),
        "best_valid_bits_per_step": checkpoint["best_valid_bits_per_step"],
    }
    metrics["point"] = {"name": point, **settings}
    Path(outputs["metrics"]).write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def summary_row(point: str, metrics: dict, schema: dict | None = None) -> dict:
    """One row of a sweep's table: the point, its values, and its metrics."""
    training = metrics["training"]
    return {
        "point": point,
        **parse_point(point, schema),
        "valid_bits_per_step": metrics["valid"]["bits_per_step"],
        "test_bits_per_step": metrics["test"]["bits_per_step"],
        "valid_bits_per_note": metrics["valid"]["bits_per_note"],
        "test_bits_per_note": metrics["test"]["bits_per_note"],
        "epochs": training["epochs"],
        "best_epoch": training["best_epoch"],
        "train_minutes": training["minutes"],
        "parameters": training["parameters"],
    }


def by_valid_loss(row: dict) -> tuple[bool, float]:
    loss = row["valid_bits_per_step"]
    return (loss is None, loss if loss is not None else 0.0)


def swept_keys(rows: list[dict]) -> list[str]:
    """The keys the rows vary, in the order their points name them."""
    keys = [key for row in rows for key in row if key != "point" and key not in METRIC_COLUMNS]
    return list(dict.fromkeys(keys))


def write_summary(rows: list[dict], path) -> None:
    """The table, one row per point, as TSV (values as the point names write them)."""
    columns = ["point", *swept_keys(rows), *METRIC_COLUMNS]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                ["" if column not in row else table_text(column, row[column]) for column in columns]
            )


def table_text(column: str, value) -> str:
    if column in METRIC_COLUMNS:
        if value is None:
            return ""
        if column == "train_minutes":
            return f"{value:.2f}"
        return f"{value:.4f}" if isinstance(value, float) else str(value)
    return value if column == "point" else format_value(value)


def read_summary(path) -> list[dict]:
    """The rows of a table written by :func:`write_summary`, as text."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def best_point(summary_path) -> str:
    """The point with the lowest validation loss: the first row of a sweep's table."""
    rows = [row for row in read_summary(summary_path) if row["valid_bits_per_step"]]
    if not rows:
        raise ValueError(f"{summary_path}: no point has a validation loss")
    return rows[0]["point"]


def summarize_sweep(metrics_paths: list, table_path, plot_path, schema: dict | None = None):
    """Gather the points' metrics (each ``{point}/metrics.json``) into one table and a plot.

    The table is sorted by validation loss, best first. Returns its rows.
    """
    rows = [
        summary_row(Path(path).parent.name, json.loads(Path(path).read_text()), schema)
        for path in metrics_paths
    ]
    rows.sort(key=by_valid_loss)
    write_summary(rows, table_path)
    plot_sweep(rows, plot_path)
    return rows


def plot_sweep(rows: list[dict], path) -> None:
    """Validation loss against each swept value: one panel per key, every point a dot, and a
    line through the best point at each value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = swept_keys(rows)
    scored = [row for row in rows if row["valid_bits_per_step"] is not None]
    figure, axes = plt.subplots(
        1, len(keys), figsize=(4 * len(keys), 3.6), squeeze=False, sharey=True
    )
    for axis, key in zip(axes[0], keys, strict=True):
        values = [row[key] for row in scored]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        levels = sorted(set(values)) if numeric else list(dict.fromkeys(map(format_value, values)))
        where = values if numeric else [levels.index(format_value(v)) for v in values]
        losses = [row["valid_bits_per_step"] for row in scored]
        axis.scatter(where, losses, color="tab:blue", alpha=0.7, label="a point")
        best = [
            min(loss for x, loss in zip(where, losses, strict=True) if x == level)
            for level in (levels if numeric else range(len(levels)))
        ]
        axis.plot(
            levels if numeric else range(len(levels)),
            best,
            color="tab:orange",
            marker="o",
            label="best at this value",
        )
        if numeric and min(levels) > 0 and max(levels) / min(levels) >= 8:
            axis.set_xscale("log")
        if numeric:
            axis.set_xticks(levels, [format_value(level) for level in levels])
            axis.minorticks_off()
        else:
            axis.set_xticks(range(len(levels)), levels)
        axis.set_xlabel(key)
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("validation bits/step")
    axes[0][0].legend(fontsize="small")
    figure.suptitle(f"{Path(path).parent.name}: {len(scored)} points, lower is better")
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)
