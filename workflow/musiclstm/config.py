"""Checking config.yaml before any job runs: the JSON schema, its defaults, and cross-key rules.

Every error names the key (as a dotted path, e.g. ``training.epochs``) and the reason.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from musiclstm.data.sources import MUSIC_SUFFIXES, dataset_files
from musiclstm.music.midi import TICKS_PER_QUARTER, step_ticks
from musiclstm.music.tokens import parse_token_string
from musiclstm.schema import ConfigError, describe, fill_defaults, load_schema


def validate_config(config: dict, workdir: Path = Path("."), schema: dict | None = None) -> dict:
    """Validate ``config`` and return it with defaults filled; raise :class:`ConfigError` if bad."""
    schema = schema or load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("config.yaml: " + "; ".join(describe(e) for e in errors[:5]))
    given = {name: set(song) for name, song in config.get("generate", {}).items()}
    config = fill_defaults(config, schema)
    check_rules(config, workdir)
    return with_seed_files(config, given, workdir)


def check_rules(config: dict, workdir: Path) -> None:
    """The rules a schema cannot state."""
    texture = check_texture(config)
    check_split(config["split"])
    check_encoding(config["encoding"])
    check_sources(config["sources"], workdir)
    check_model(config["model"], texture)
    check_generate(config["generate"], texture)
    check_comparison(config["distinguishability"], config["generate"])
    check_soundfont(config["render"]["soundfont"], workdir)
    check_device(config["training"]["device"])


def check_texture(config: dict):
    """The texture the config names, one of the registry's, with voices it can take."""
    from musiclstm.textures import TEXTURES, config_texture

    if config["texture"] not in TEXTURES:
        raise ConfigError(
            f"config.yaml: texture: {config['texture']!r} is not a texture; known: "
            f"{', '.join(TEXTURES)}"
        )
    try:
        return config_texture(config)
    except ValueError as error:
        raise ConfigError(f"config.yaml: voices: {error}") from None


def check_model(model: dict, texture) -> None:
    """The model settings that only a step model of several voices reads."""
    from musiclstm.settings import misplaced_model_setting

    misplaced = misplaced_model_setting(model, len(texture.voices))
    if misplaced:
        raise ConfigError(f"config.yaml: {misplaced}")
    if model["sounding_inputs"] and not model["voice_leading"]:
        raise ConfigError(
            "config.yaml: model.sounding_inputs reads the columns of model.voice_leading; set "
            "voice_leading: true as well, or sounding_inputs: false"
        )


def check_split(split: dict) -> None:
    """Songs are left to train on, and a cross-validation has two folds or more."""
    if split["valid_fraction"] + split["test_fraction"] >= 1:
        raise ConfigError(
            "config.yaml: split.valid_fraction + split.test_fraction must be below 1 so that "
            f"songs are left to train on, not {split['valid_fraction'] + split['test_fraction']:g}"
        )
    if split["folds"] == 1:
        raise ConfigError(
            "config.yaml: split.folds: 1 fold cannot cross-validate; give 2 or more folds, or "
            "null (or 0) for no cross-validation"
        )


def check_encoding(encoding: dict) -> None:
    """A grid MIDI files can hold, and the name of a named melody part."""
    step = encoding["time_step"]
    try:
        step_ticks(step)  # the MIDI writer's own check, before any song is written
    except ValueError:
        raise ConfigError(
            f"config.yaml: encoding.time_step: {step} quarter notes is not a whole number of "
            f"MIDI ticks ({TICKS_PER_QUARTER} per quarter); use e.g. 0.25, 0.125 or 0.5"
        ) from None
    if encoding["melody_part"] == "named" and not encoding["melody_part_name"].strip():
        raise ConfigError(
            "config.yaml: encoding.melody_part_name: give the name (or part of it) of the melody's "
            "part or track when encoding.melody_part is 'named'"
        )


def check_sources(sources: list[dict], workdir: Path) -> None:
    """Each dataset has a name of its own and matches music files."""
    from musiclstm.settings import source_settings  # settings builds on this module

    names = [dataset["name"] for dataset in sources]
    for index, dataset in enumerate(sources):
        if names.count(dataset["name"]) > 1:
            raise ConfigError(
                f"config.yaml: sources[{index}].name: {dataset['name']!r} is used twice"
            )
        if not dataset_files(source_settings([dataset])[0], workdir):
            key = "corpus" if "corpus" in dataset else "files"
            raise ConfigError(
                f"config.yaml: sources[{index}].{key}: {dataset[key]!r} matches no music files "
                f"({', '.join(MUSIC_SUFFIXES)})"
            )


def check_generate(songs: dict, texture) -> None:
    """Each entry of `generate:` is one the texture can write, and a seed of tokens parses (a
    seed file is read by :func:`with_seed_files`)."""
    from musiclstm.generation.seed_files import is_seed_file

    for name, song in songs.items():
        wrong = texture.check_generate_entry(name, song)
        if wrong:
            raise ConfigError(f"config.yaml: {wrong}")
        if is_seed_file(song["seed"]):
            continue
        try:
            parse_token_string(song["seed"], what=f"generate.{name}.seed")
        except ValueError as error:
            raise ConfigError(f"config.yaml: {error}") from None


def check_comparison(distinguishability: dict, songs: dict) -> None:
    """The entry whose settings write the pieces set beside the held-out ones is one of
    `generate:`, and composes (a melody to harmonise or a seed would make every piece alike)."""
    entry = distinguishability["entry"]
    if entry in (None, "auto"):
        return
    if entry not in songs:
        raise ConfigError(
            f"config.yaml: distinguishability.entry: {entry!r} is not an entry of generate:; "
            f"entries: {', '.join(songs) or 'none'} (or auto, or null for no comparison)"
        )
    if songs[entry].get("melody"):
        raise ConfigError(
            f"config.yaml: distinguishability.entry: {entry!r} harmonises a melody; name an "
            "entry that composes"
        )


def check_soundfont(soundfont: str | None, workdir: Path) -> None:
    """A soundfont the config names must be a file (relative paths from ``workdir``): found
    missing at start, not when the first song's audio is rendered after training."""
    if soundfont is None:
        return
    path = Path(workdir, soundfont)
    if not path.is_file():
        problem = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise ConfigError(
            f"config.yaml: render.soundfont: {soundfont!r} {problem}; give the path of a .sf2 "
            "soundfont, or null to use an installed one"
        )


def check_device(device: str) -> None:
    """A device ``training.device`` names (``cuda``, ``cuda:N``, ``mps``) must be one PyTorch
    finds on this machine, so that a run does not fail when training starts. ``auto`` and
    ``cpu`` always work; torch is imported only to check the others."""
    if device in ("auto", "cpu"):
        return
    import torch

    if device == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(
                "config.yaml: training.device: 'mps' but PyTorch finds no MPS device (an Apple "
                "GPU) on this machine; use auto or cpu"
            )
        return
    if not torch.cuda.is_available():
        why = "this PyTorch is built without CUDA" if torch.version.cuda is None else "no GPU"
        raise ConfigError(
            f"config.yaml: training.device: {device!r} but PyTorch finds no CUDA GPU on this "
            f"machine ({why}); use auto (a GPU where there is one) or cpu"
        )
    index = int(device.partition(":")[2] or 0)
    count = torch.cuda.device_count()
    if index >= count:
        raise ConfigError(
            f"config.yaml: training.device: {device!r} but the last CUDA GPU on this machine "
            f"is cuda:{count - 1}"
        )


def with_seed_files(config: dict, given: dict[str, set], workdir: Path) -> dict:
    """``config`` with each song of `generate:` whose seed is a music file in the file's time
    signature, where the song (whose keys ``given`` lists) names none of its own. The file is
    read here, so that what is wrong with it fails before any job runs."""
    from musiclstm.generation.seed_files import is_seed_file, read_seed_file
    from musiclstm.settings import EncodingSettings, settings

    encoding = settings(EncodingSettings, config["encoding"])
    for name, song in config["generate"].items():
        if not is_seed_file(song["seed"]):
            continue
        try:
            seed = read_seed_file(
                song["seed"], song["seed_bars"], encoding, song["time_signature"], workdir
            )
        except ValueError as error:
            raise ConfigError(f"config.yaml: generate.{name}.seed: {error}") from None
        # The key stays the entry's: a song without one is written back in the file's own key,
        # its mode and octave included (musiclstm.generation.melodies.song_seed).
        if "time_signature" not in given[name]:
            song["time_signature"] = seed.time_signature
    return config


def load_config(path: Path, workdir: Path = Path(".")) -> dict:
    """Read and validate a config file."""
    return validate_config(yaml.safe_load(Path(path).read_text()) or {}, workdir)
