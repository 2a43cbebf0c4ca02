"""Typed, frozen settings built from the validated config; every default comes from the schema.

Library code reads attributes of these objects, never ``config.get(key, fallback)``: a second
default in code would drift from the schema's. Each class names its section of
``workflow/schemas/config.schema.yaml``; :func:`settings` builds one from a config section (or
from nothing) with the schema's defaults for whatever is left out, so tests and benchmarks build
exactly what the workflow ships, overriding only what they name::

    settings(ModelSettings, hidden_size=32)          # the default model, smaller
    settings(TrainingSettings, config["training"])   # the config's training section
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, TypeVar

import jsonschema

from musiclstm.schema import ConfigError, describe, fill_defaults, load_schema


class Section:
    """What every settings class says of itself: the path of its section in the schema
    (``"*"`` for every entry of a mapping, ``"[]"`` for every item of a list), and which of its
    fields are sections of their own."""

    SECTION: ClassVar[tuple[str, ...]]
    NESTED: ClassVar[dict[str, type]] = {}


@dataclass(frozen=True)
class SourceSettings(Section):
    """One dataset of ``sources:``: a glob inside music21's corpus or one of files."""

    SECTION: ClassVar[tuple[str, ...]] = ("sources", "[]")
    name: str
    max_songs: int | None
    work: str  # which songs are one work for `split.by: work`: song, file or folder
    corpus: str | None = None  # exactly one of corpus and files is given
    files: str | None = None

    @property
    def pattern(self) -> str:
        return self.corpus if self.corpus is not None else self.files


@dataclass(frozen=True)
class EncodingSettings(Section):
    """How scores become tokens (schema section ``encoding``)."""

    SECTION: ClassVar[tuple[str, ...]] = ("encoding",)
    time_step: float
    duration_policy: str
    acceptable_durations: tuple[float, ...]
    timing_tolerance: float
    melody_part: str
    melody_part_name: str
    chords: str
    grace_notes: str
    meter_changes: str
    repeats: str
    missing_voices: str
    triplets: str
    transpose: bool
    shards: int


@dataclass(frozen=True)
class SplitSettings(Section):
    """How songs are dealt into train, valid and test (schema section ``split``)."""

    SECTION: ClassVar[tuple[str, ...]] = ("split",)
    valid_fraction: float
    test_fraction: float
    seed: int
    folds: int | None  # cross-validation folds; None or 0 for none
    by: str  # what is dealt whole: song or work


@dataclass(frozen=True)
class ModelSettings(Section):
    """The model's shape and inputs (schema section ``model``)."""

    SECTION: ClassVar[tuple[str, ...]] = ("model",)
    head: str
    cell: str
    bar_position: bool
    lookback: tuple[int, ...]
    lookahead: tuple[int, ...]
    melody_reader: int
    voice_leading: bool
    sounding_inputs: bool
    bar_number: bool
    bars_left: bool
    form: bool
    window: int
    embedding_size: int
    hidden_size: int
    num_layers: int
    dropout: float


# The model settings only a step model of several voices reads (`head: step`, a texture of two or
# more voices), each with its value when off.
SEVERAL_VOICE_STEP_SETTINGS = {"melody_reader": 0, "voice_leading": False, "sounding_inputs": False}


def misplaced_model_setting(model: Mapping, voices: int) -> str | None:
    """Why the model section ``model`` cannot be trained for a texture of ``voices`` voices (a
    sentence naming the key), or None where it can."""
    for key, off in SEVERAL_VOICE_STEP_SETTINGS.items():
        if model.get(key, off) != off and (model["head"] != "step" or voices < 2):
            return f"model.{key} needs `head: step` and a texture of several voices"
    return None


def for_head(model: Mapping, head: str) -> dict:
    """The model section ``model`` with ``head``, the settings only a step model reads turned
    off for another head."""
    return dict(model) | {"head": head} | ({} if head == "step" else SEVERAL_VOICE_STEP_SETTINGS)


@dataclass(frozen=True)
class TrainingSettings(Section):
    """How the model is trained (schema section ``training``)."""

    SECTION: ClassVar[tuple[str, ...]] = ("training",)
    batch_size: int
    sequence_length: int
    learning_rate: float
    lr_schedule: str
    lr_decay: float
    augment_semitones: int
    weight_decay: float
    clip_norm: float
    epochs: int
    patience: int
    max_minutes: float | None
    seed: int
    device: str
    threads: int
    init_from: str | None  # a checkpoint to fine-tune; None trains from scratch


@dataclass(frozen=True)
class SongSettings(Section):
    """One entry of ``generate:``: what to sample and how to write it."""

    SECTION: ClassVar[tuple[str, ...]] = ("generate", "*")
    seed: str  # tokens, or a music file (musiclstm.generation.seed_files)
    seed_bars: int
    melody: str | None
    steps: int
    temperature: float
    strategy: str
    top_k: int
    top_p: float
    beam_width: int
    voice_rules: bool
    allow_crossings: bool
    cadence_rules: bool
    refine_sweeps: int
    refine_temperature: float
    recall: bool
    form: str
    upbeat: str | float
    compass: str | float
    n_samples: int
    bars: int | None
    end_on_tonic: bool
    key: str | None
    random_seed: int
    tempo_bpm: float
    time_signature: str


@dataclass(frozen=True)
class HarmoniserSettings(Section):
    """The chorale model that harmonises a given melody (schema section ``harmoniser``)."""

    SECTION: ClassVar[tuple[str, ...]] = ("harmoniser",)
    lookahead: tuple[int, ...]
    melody_reader: int
    start_from_model: bool
    epochs: int | None
    learning_rate: float | None


@dataclass(frozen=True)
class RenderSettings(Section):
    """Scores and audio of the generated songs (schema section ``render``)."""

    SECTION: ClassVar[tuple[str, ...]] = ("render",)
    clef: str
    synthesizer: str
    soundfont: str | None
    program: int | None
    sample_rate: int


@dataclass(frozen=True)
class SweepDrawSettings(Section):
    """The random points of a sweep: ``n`` draws from ``ranges``, seeded."""

    SECTION: ClassVar[tuple[str, ...]] = ("sweeps", "*", "random")
    n: int
    seed: int
    ranges: dict
    log_uniform: tuple[str, ...]


@dataclass(frozen=True)
class SweepSettings(Section):
    """One entry of ``sweeps:``: the grid of values to try, and random draws."""

    SECTION: ClassVar[tuple[str, ...]] = ("sweeps", "*")
    NESTED: ClassVar[dict[str, type]] = {"random": SweepDrawSettings}
    grid: dict
    random: SweepDrawSettings


Settings = TypeVar("Settings")


@cache
def section_schema(section: tuple[str, ...]) -> dict:
    """The schema of one section; ``"*"`` steps into a mapping's values (``generate.*``), ``"[]"``
    into a list's items (``sources.[]``)."""
    schema = load_schema()
    for key in section:
        if key == "*":
            schema = schema["additionalProperties"]
        elif key == "[]":
            schema = schema["items"]
        else:
            schema = schema["properties"][key]
    return schema


def settings(cls: type[Settings], values: Mapping | None = None, **overrides: Any) -> Settings:
    """``cls`` built from ``values`` (a config section) with ``overrides`` on top and the schema's
    defaults for every key left out; raises :class:`~musiclstm.config.ConfigError` naming the
    key when a value breaks the schema."""
    schema = section_schema(cls.SECTION)
    merged = {**(values or {}), **overrides}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(merged))
    if errors:
        where = ".".join(cls.SECTION)
        raise ConfigError(f"{where}: " + "; ".join(describe(error) for error in errors[:5]))
    filled = fill_defaults(merged, schema)
    # A field with a default in the class is one of a schema's alternatives (corpus or files).
    given = [field.name for field in dataclasses.fields(cls) if field.name in filled]
    nested = cls.NESTED  # sections inside the section, built as settings of their own
    return cls(
        **{
            name: settings(nested[name], filled[name])
            if name in nested
            else frozen(name, filled[name])
            for name in given
        }
    )


def source_settings(sources: list[dict]) -> list[SourceSettings]:
    """The datasets of a config's ``sources:``."""
    return [settings(SourceSettings, source) for source in sources]


def frozen(name: str, value):
    """A config value as the settings hold it: lists become tuples, ``lookback: true`` the two
    bars it stands for."""
    if name == "lookback":
        if value is True:
            return (1, 2)
        return tuple(int(bars) for bars in value or ())
    return tuple(value) if isinstance(value, list) else value


def as_dict(values) -> dict:
    """Settings as plain config values (lists, not tuples), e.g. for a checkpoint or a hash."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in dataclasses.asdict(values).items()
    }
