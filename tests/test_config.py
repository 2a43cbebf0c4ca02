"""config.yaml is checked at start: every bad value fails naming its key and the reason."""

import copy

import pytest
import torch
import yaml

from conftest import REPO
from musiclstm.config import validate_config
from musiclstm.schema import ConfigError, fill_defaults, load_schema

DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())


def test_default_config_is_valid_and_complete():
    config = validate_config(copy.deepcopy(DEFAULT))
    assert config["generate"]["song"]["steps"] > 0
    assert config == fill_defaults(config, load_schema())


def test_defaults_fill_every_key_left_out():
    config = validate_config({"sources": DEFAULT["sources"], "generate": {"tune": {}}})
    assert config["training"]["epochs"] == 50
    assert config["generate"]["tune"]["temperature"] == 1.0
    assert config["encoding"]["duration_policy"] == "skip"


def test_every_key_of_the_schema_has_a_description_and_a_default():
    def walk(schema, path):
        for key, sub in schema.get("properties", {}).items():
            assert "description" in sub, f"{path}{key}"
            if path or key != "sources":
                assert "default" in sub or key in ("name", "corpus", "files"), f"{path}{key}"
            walk(sub, f"{path}{key}.")
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], f"{path}*.")
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{path}[].")

    walk(load_schema(), "")


def mutate(path, value):
    config = copy.deepcopy(DEFAULT)
    *parents, last = path
    node = config
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return config


DELETE = object()
ESSEN = {"name": "essen", "corpus": "essenFolksong/erk5.abc"}

BAD = [
    (("trainig",), {}, "trainig: unknown key"),
    (("training", "epochz"), 3, "training.epochz: unknown key"),
    (("training", "epochs"), "ten", "training.epochs: 'ten' is not of type 'integer'"),
    (("training", "epochs"), 0, "training.epochs: 0 is less than the minimum"),
    (("training", "batch_size"), -4, "training.batch_size"),
    (("training", "learning_rate"), 0, "training.learning_rate"),
    (("training", "device"), "gpu", "training.device"),
    (("model", "hidden_size"), -1, "model.hidden_size"),
    (("model", "num_layers"), 2.5, "model.num_layers"),
    (("model", "dropout"), 1.0, "model.dropout"),
    (("encoding", "time_step"), 0, "encoding.time_step"),
    (
        ("encoding", "time_step"),
        0.333,
        "encoding.time_step: 0.333 quarter notes is not a whole number",
    ),
    (("encoding", "duration_policy"), "round", "encoding.duration_policy"),
    (("encoding", "shards"), 0, "encoding.shards"),
    (("sources",), [], "sources: [] should be non-empty"),
    (("sources",), [{"name": "x", "files": "resources/nothing/*.krn"}], "sources[0].files"),
    (("sources",), [{"name": "x"}], "give exactly one of 'corpus' or 'files'"),
    (("sources",), [{"name": "x", "corpus": "a", "files": "b"}], "exactly one"),
    (("split", "valid_fraction"), 0.9, "must be below 1"),
    (("split", "test_fraction"), 1.2, "split.test_fraction"),
    (("generate", "song", "temperature"), 0, "generate.song.temperature"),
    (("generate", "song", "temperature"), -1.0, "generate.song.temperature"),
    (("generate", "song", "steps"), 0, "generate.song.steps"),
    (("generate", "song", "seed"), "60 _ X", "token 'X' at position 2"),
    (("generate", "song", "tempo"), 90, "generate.song.tempo: unknown key"),
    (("generate", "song", "time_signature"), "4-4", "generate.song.time_signature"),
    (("generate", "bad name!"), {}, "generate"),
    (("encoding", "melody_part"), "loudest", "encoding.melody_part: 'loudest' is not one of"),
    (("encoding", "melody_part"), "named", "encoding.melody_part_name: give the name"),
    (("encoding", "melody_part_name"), 3, "encoding.melody_part_name: 3 is not of type 'string'"),
    (("encoding", "chords"), "bottom", "encoding.chords: 'bottom' is not one of"),
    (("encoding", "triplets"), "round", "encoding.triplets: 'round' is not one of"),
    (
        ("encoding", "acceptable_durations"),
        [],
        "encoding.acceptable_durations: [] should be non-empty",
    ),
    (
        ("encoding", "acceptable_durations"),
        [0.25, -1],
        "encoding.acceptable_durations[1]: -1 is less",
    ),
    (("encoding", "time_step"), 8, "encoding.time_step: 8 is greater than the maximum of 4"),
    (("encoding", "transpose"), "yes", "encoding.transpose: 'yes' is not of type 'boolean'"),
    (("encoding", "shards"), 2.5, "encoding.shards: 2.5 is not of type 'integer'"),
    (("encoding", "encoding_policy"), "skip", "encoding.encoding_policy: unknown key"),
    (("sources",), [{"name": "x", "files": "README.md"}], "'README.md' matches no music files"),
    (("sources",), [{"name": "a b", "files": "x/*.krn"}], "sources[0].name: 'a b' does not match"),
    (("sources",), [{**ESSEN, "max_songs": 0}], "sources[0].max_songs: 0 is less than the minimum"),
    (("sources",), [ESSEN, ESSEN], "sources[0].name: 'essen' is used twice"),
    (("encoding", "timing_tolerance"), -0.1, "encoding.timing_tolerance: -0.1 is less than"),
    (("encoding", "timing_tolerance"), 0.2, "encoding.timing_tolerance: 0.2 is greater than"),
    (("render", "soundfont"), "no/such.sf2", "render.soundfont: 'no/such.sf2' does not exist"),
    (("render", "soundfont"), "docs", "render.soundfont: 'docs' is a directory, not a file"),
    (("training", "device"), "mps:0", "training.device: 'mps:0' does not match"),
    # A melody has no voices to move against, nor a melody given to read.
    (("model", "voice_leading"), True, "model.voice_leading needs `head: step` and a texture of"),
    (("model", "melody_reader"), 8, "model.melody_reader needs `head: step` and a texture of"),
    # No CUDA here, or fewer than 100 GPUs: either way cuda:99 is not on this machine.
    (("training", "device"), "cuda:99", "training.device: 'cuda:99' but "),
]


@pytest.mark.parametrize("path, value, message", BAD, ids=[str(b[0]) + str(b[1]) for b in BAD])
def test_bad_config_names_key_and_reason(path, value, message):
    with pytest.raises(ConfigError) as error:
        validate_config(mutate(path, value))
    assert message in str(error.value)


def test_the_chorale_configs_voice_leading_needs_its_step_model():
    chorale = yaml.safe_load((REPO / "config/chorale.yaml").read_text())
    assert validate_config(copy.deepcopy(chorale))["model"]["voice_leading"]
    chorale["model"]["head"] = "frame"
    with pytest.raises(ConfigError, match="model.voice_leading needs `head: step`"):
        validate_config(chorale)


def test_a_soundfont_that_is_a_file_passes(tmp_path):
    font = tmp_path / "my font.sf2"
    font.write_bytes(b"RIFF")
    assert validate_config(mutate(("render", "soundfont"), str(font)))["render"]["soundfont"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_a_gpu_fails_at_start(device):
    with pytest.raises(ConfigError) as error:
        validate_config(mutate(("training", "device"), device))
    message = str(error.value)
    assert f"training.device: {device!r} but PyTorch finds no CUDA GPU on this machine" in message
    assert "use auto (a GPU where there is one) or cpu" in message


@pytest.mark.skipif(not torch.cuda.is_available(), reason="this machine has no CUDA GPU")
def test_cuda_on_a_gpu_passes_and_a_gpu_it_lacks_fails():
    assert validate_config(mutate(("training", "device"), "cuda"))["training"]["device"] == "cuda"
    missing = f"cuda:{torch.cuda.device_count()}"
    with pytest.raises(ConfigError, match=f"'{missing}' but the last CUDA GPU on this machine"):
        validate_config(mutate(("training", "device"), missing))


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has an MPS device")
def test_mps_without_an_apple_gpu_fails_at_start():
    with pytest.raises(ConfigError, match="training.device: 'mps' but PyTorch finds no MPS device"):
        validate_config(mutate(("training", "device"), "mps"))
