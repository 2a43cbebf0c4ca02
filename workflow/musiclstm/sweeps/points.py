"""The points of a sweep: their names, how a name reads back to values, and a point's settings.

A point is named by the values it tries, e.g. ``hidden_size=256,num_layers=2``: the name is a
folder name and a Snakemake wildcard, and with the base config it is all a point depends on. Each
value has one spelling (:func:`format_value`), checked against the config schema of its key, so
that one setting never trains in two folders.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter

import jsonschema

from musiclstm.schema import ConfigError, load_schema

SWEPT_SECTIONS = ("model", "training")
# A point's name is a folder name and a Snakemake wildcard: values stay within these characters.
VALUE_TEXT = re.compile(r"^[A-Za-z0-9_.:+-]+$")

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
    """The key a sweep names; fails (at ``where``) listing the names a sweep may use."""
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
    """The JSON types a key's schema allows (its ``type``, one or a list) as a list."""
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
