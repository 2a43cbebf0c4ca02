"""The config's JSON schema: loading it, its defaults, and errors that name the key.

Apart from :mod:`musiclstm.config` (the whole check at start), so that the settings every rule
script builds need neither the start-time checks nor what they import (PyTorch, to look for a
GPU).
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """config.yaml is not valid; the message names the key and the reason."""


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    return yaml.safe_load(Path(path).read_text())


def fill_defaults(instance, schema: dict):
    """A copy of ``instance`` with the schema's defaults filled in, nested objects included."""
    if instance is None and "default" in schema:
        instance = copy.deepcopy(schema["default"])
    if isinstance(instance, dict) and schema.get("type") == "object":
        filled = dict(instance)
        for key, sub_schema in schema.get("properties", {}).items():
            if key not in filled and "default" in sub_schema:
                filled[key] = copy.deepcopy(sub_schema["default"])
            if key in filled:
                filled[key] = fill_defaults(filled[key], sub_schema)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in filled:
                if key not in schema.get("properties", {}):
                    filled[key] = fill_defaults(filled[key], extra)
        return filled
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return [fill_defaults(item, schema["items"]) for item in instance]
    return instance


def key_path(error: jsonschema.ValidationError) -> str:
    parts = [
        str(part) if not isinstance(part, int) else f"[{part}]" for part in error.absolute_path
    ]
    return ".".join(parts).replace(".[", "[") or "(top level)"


def describe(error: jsonschema.ValidationError) -> str:
    """A message for one schema violation, naming the key."""
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        where = key_path(error)
        names = ", ".join(f"{where}.{k}" if where != "(top level)" else k for k in unknown)
        return f"{names}: unknown key; allowed keys here: {', '.join(allowed)}"
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        return f"{key_path(error)}: give exactly one of 'corpus' or 'files'"
    return f"{key_path(error)}: {error.message}"
