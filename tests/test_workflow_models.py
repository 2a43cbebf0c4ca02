"""The real workflow trains, scores and samples the hand-written LSTM and the window model."""

import copy
import json
import math

import pytest
import torch
from test_workflow import TINY, planned_jobs, snakemake

from musiclstm.music.midi import read_midi_tokens

pytestmark = pytest.mark.slow

TARGETS = ("results/generated/song.mid", "results/evaluation/metrics.json")
MODEL_STAGES = {"train_model", "fit_recall", "evaluate_model", "generate_song"}


def tiny_config(**model) -> dict:
    config = copy.deepcopy(TINY)
    config["sources"] = [source for source in config["sources"] if source["name"] == "essen"]
    # Two bars of 4/4 in sixteenths: 32 steps, so a model that barely learned cannot end at once.
    config["generate"] = {"song": config["generate"]["song"] | {"bars": 2}}
    config["model"] |= model
    return config


def assert_trained_and_sampled(workdir):
    metrics = json.loads((workdir / "results/evaluation/metrics.json").read_text())
    for split in ("valid", "test"):
        for key in ("bits_per_step", "bits_per_note", "pitch_bits_per_note"):
            assert math.isfinite(metrics[split][key]), (split, key)
    tokens = (workdir / "results/generated/song.txt").read_text().split()
    assert tokens[:6] == "60 _ _ _ 64 _".split() and len(tokens) == 32
    assert read_midi_tokens(workdir / "results/generated/song.mid") == tokens
    return torch.load(workdir / "results/model/checkpoint.pt", weights_only=True)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("models")
    result = snakemake(workdir, *TARGETS, config=tiny_config(cell="scratch"))
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


def test_scratch_cell_trains_evaluates_and_generates(workdir):
    checkpoint = assert_trained_and_sampled(workdir)
    assert checkpoint["model_args"]["cell"] == "scratch"
    assert "window" not in checkpoint["model_args"]


def test_window_model_reruns_only_the_model_stages_and_goes_end_to_end(workdir):
    config = tiny_config(head="window", window=8)
    assert set(planned_jobs(snakemake(workdir, "-n", *TARGETS, config=config))) == MODEL_STAGES
    result = snakemake(workdir, *TARGETS, config=config)
    assert result.returncode == 0, result.stderr[-5000:]
    checkpoint = assert_trained_and_sampled(workdir)
    assert checkpoint["model_args"]["window"] == 8
    assert checkpoint["model_args"]["cell"] == "torch"
    weights = checkpoint["state_dict"]
    assert weights["head.weight"].shape == (checkpoint["model_args"]["vocab_size"], 16 * 8)
    assert "embedding.weight" not in weights  # one-hot inputs
