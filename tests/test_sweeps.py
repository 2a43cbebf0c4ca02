"""Hyper-parameter sweeps: point names and settings, the draws, the table, and a real tiny sweep."""

import copy
import csv
import json
import math
import re

import pytest
import torch
import yaml
from test_workflow import TINY, planned_jobs, snakemake

from musiclstm.config import ConfigError, validate_config
from musiclstm.evaluation.result_files import read_metrics, write_metrics
from musiclstm.music.midi import read_midi_tokens
from musiclstm.rendering.plots import plot_sweep
from musiclstm.settings import SweepSettings, settings
from musiclstm.sweeps.grid import sweep_points
from musiclstm.sweeps.points import parse_point, point_name, point_settings
from musiclstm.sweeps.summary import best_point, summarize_sweep


def sweep(grid=None, n=0, seed=0, ranges=None, log_uniform=None):
    """A sweep's config entry with the schema's defaults filled in."""
    entry = {"grid": grid or {}, "random": {"n": n, "seed": seed, "ranges": ranges or {}}}
    entry["random"]["log_uniform"] = log_uniform or []
    return entry


def typed(entry) -> SweepSettings:
    """A sweep entry as the workflow reads it."""
    return settings(SweepSettings, entry)


BASE = validate_config(copy.deepcopy(TINY) | {"sources": TINY["sources"][:1], "generate": {}})


def test_a_point_name_reads_back_to_its_values():
    values = {"hidden_size": 256, "learning_rate": 0.0005, "max_minutes": None, "device": "cpu"}
    name = point_name(values)
    assert name == "hidden_size=256,learning_rate=0.0005,max_minutes=null,device=cpu"
    assert parse_point(name) == values
    assert parse_point("model.dropout=0.25,training.seed=3") == {
        "model.dropout": 0.25,
        "training.seed": 3,
    }


@pytest.mark.parametrize(
    "name, message",
    [
        ("hiden_size=3", "'hiden_size' is not a model or training key; a sweep may vary"),
        ("hidden_size=0", "hidden_size: 0 is less than the minimum of 1"),
        ("hidden_size=2.0", "hidden_size: '2.0' is not a value of type integer"),
        ("learning_rate=0.0020", "learning_rate: write '0.0020' as '0.002'"),
        ("dropout=nan", "dropout: 'nan' is not a value of type number"),
        ("hidden_size", "'hidden_size' is not key=value"),
        ("hidden_size=8,model.hidden_size=9", "model.hidden_size is given twice"),
        ("device=gpu", "device: 'gpu' does not match"),
    ],
)
def test_a_bad_point_name_fails_naming_the_key(name, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_point(name)


def test_a_point_changes_only_its_own_keys_of_the_base_config():
    base = copy.deepcopy(BASE)
    settings = point_settings("hidden_size=32,training.learning_rate=0.01", base)
    assert settings["model"] == BASE["model"] | {"hidden_size": 32}
    assert settings["training"] == BASE["training"] | {"learning_rate": 0.01}
    assert base == BASE


def test_a_grid_is_every_combination_in_the_order_listed():
    points = sweep_points("s", typed(sweep({"hidden_size": [64, 32], "learning_rate": [1, 0.01]})))
    assert points == [
        "hidden_size=64,learning_rate=1.0",
        "hidden_size=64,learning_rate=0.01",
        "hidden_size=32,learning_rate=1.0",
        "hidden_size=32,learning_rate=0.01",
    ]


def test_random_draws_are_seeded_in_range_and_growing_n_only_adds_points():
    ranges = {"learning_rate": [0.0001, 0.01], "num_layers": [1, 3], "dropout": [0.1, 0.5]}
    spec = sweep({"hidden_size": [16, 32]}, n=5, seed=7, ranges=ranges)
    spec["random"]["log_uniform"] = ["learning_rate"]
    points = sweep_points("s", typed(spec))
    assert len(points) == 2 * 5 and points == sweep_points("s", typed(copy.deepcopy(spec)))
    for point in points:
        values = parse_point(point)
        assert 0.0001 <= values["learning_rate"] <= 0.01
        assert values["num_layers"] in (1, 2, 3)
        assert 0.1 <= values["dropout"] <= 0.5
        assert len(repr(values["dropout"])) <= len("0.123")  # rounded to 3 digits
    assert len({parse_point(p)["learning_rate"] for p in points}) == 5
    spec["random"]["n"] = 8
    more = sweep_points("s", typed(spec))
    assert set(points) < set(more) and len(more) == 2 * 8
    spec["random"]["seed"] = 8
    assert not set(points) & set(sweep_points("s", typed(spec)))


@pytest.mark.parametrize(
    "entry, message",
    [
        (sweep({"hiden_size": [8]}), "sweeps.s.grid.hiden_size: 'hiden_size' is not a model or"),
        (sweep({"dropout": [0.1, 1.5]}), "sweeps.s.grid.dropout[1]: 1.5 is greater than or equal"),
        (sweep({"hidden_size": [8, 8.0]}), "sweeps.s.grid.hidden_size: 8 is listed twice"),
        (
            sweep({"hidden_size": [8]}, n=2, ranges={"model.hidden_size": [4, 9]}),
            "sweeps.s.random.ranges.model.hidden_size: model.hidden_size is already varied by "
            "sweeps.s.grid.hidden_size",
        ),
        (sweep(n=2, ranges={"device": [0, 1]}), "random.ranges.device: only numbers are drawn"),
        (sweep(n=2, ranges={"num_layers": [2, 2.5]}), "the range [2, 2] holds no more than one"),
        (sweep(n=2, ranges={"dropout": [0.1, 1.0]}), "dropout high end: 1.0 is greater than or"),
        (
            sweep(n=2, ranges={"weight_decay": [0, 1]}, log_uniform=["weight_decay"]),
            "a log-uniform range needs a low end above 0, not 0",
        ),
        (sweep(n=2, ranges={"dropout": [0, 0.5]}, log_uniform=["lr"]), "'lr' is not a key of"),
        (sweep(n=3), "sweeps.s.random.n: 3 points to draw, but random.ranges names no keys"),
        (sweep(ranges={"dropout": [0.1, 0.5]}), "sweeps.s.random.ranges: set random.n"),
        (sweep(), "sweeps.s: names no values to try"),
    ],
)
def test_a_bad_sweep_fails_naming_the_key(entry, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        sweep_points("s", typed(entry))


def test_the_schema_fills_a_sweeps_defaults_and_rejects_unknown_keys():
    config = validate_config(BASE | {"sweeps": {"s": {"grid": {"hidden_size": [8]}}}})
    assert config["sweeps"]["s"]["random"] == {"n": 0, "seed": 0, "ranges": {}, "log_uniform": []}
    with pytest.raises(ConfigError, match=re.escape("sweeps.s.grdi: unknown key")):
        validate_config(BASE | {"sweeps": {"s": {"grdi": {"hidden_size": [8]}}}})


def metrics(valid, test, epochs=3):
    split = {"bits_per_step": valid, "bits_per_note": 3 * valid}
    return {
        "valid": split,
        "test": {"bits_per_step": test, "bits_per_note": 3 * test},
        "training": {"epochs": epochs, "best_epoch": 2, "minutes": 0.5, "parameters": 1234},
    }


def test_metrics_are_written_as_indented_json_and_read_back(tmp_path):
    written = metrics(2.5, 2.6) | {"point": {"name": "hidden_size=8", "model": {"dropout": None}}}
    write_metrics(written, tmp_path / "metrics.json")
    assert (tmp_path / "metrics.json").read_text() == json.dumps(written, indent=2) + "\n"
    assert read_metrics(tmp_path / "metrics.json") == written


def test_the_summary_is_sorted_by_validation_loss_with_a_plot(tmp_path):
    paths = {}
    for point, valid in [("hidden_size=8,dropout=0.1", 2.5), ("hidden_size=16,dropout=0.1", 2.0)]:
        paths[point] = tmp_path / f"{point}.json"
        paths[point].write_text(json.dumps(metrics(valid, valid + 0.1)))
    rows = summarize_sweep(paths, tmp_path / "summary.tsv")
    plot_sweep(rows, tmp_path / "valid_loss.png", "s")
    assert [row["hidden_size"] for row in rows] == [16, 8]
    with open(tmp_path / "summary.tsv", newline="") as handle:
        table = list(csv.DictReader(handle, delimiter="\t"))
    assert table[0] == {
        "point": "hidden_size=16,dropout=0.1",
        "hidden_size": "16",
        "dropout": "0.1",
        "valid_bits_per_step": "2.0000",
        "test_bits_per_step": "2.1000",
        "valid_bits_per_note": "6.0000",
        "test_bits_per_note": "6.3000",
        "epochs": "3",
        "best_epoch": "2",
        "train_minutes": "0.50",
        "parameters": "1234",
    }
    assert best_point(tmp_path / "summary.tsv") == "hidden_size=16,dropout=0.1"
    assert (tmp_path / "valid_loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# The real workflow: a 2 x 2 sweep of the tiny config, on the main workflow's tensors.
GRID = {"hidden_size": [8, 16], "learning_rate": [0.01, 0.003]}
SWEEP_CONFIG = copy.deepcopy(TINY) | {
    "sources": TINY["sources"][:1],
    "sweeps": {"tiny": {"grid": GRID}},
}
SUMMARY = "results/sweeps/tiny/summary.tsv"


def with_grid(grid=GRID, **training):
    config = copy.deepcopy(SWEEP_CONFIG)
    config["sweeps"]["tiny"]["grid"] = grid
    config["training"] |= training
    return config


def planned_points(result) -> set[str]:
    return set(re.findall(r"point=(\S+)", result.stdout + result.stderr))


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sweep")
    result = snakemake(workdir, SUMMARY, config=SWEEP_CONFIG)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


@pytest.mark.slow
def test_every_point_trains_once_into_one_row_with_finite_numbers(swept):
    with open(swept / SUMMARY, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert sorted(row["point"] for row in rows) == sorted(sweep_points("tiny", typed(sweep(GRID))))
    for row in rows:
        for column in ("valid_bits_per_step", "test_bits_per_step", "valid_bits_per_note"):
            assert math.isfinite(float(row[column])) and float(row[column]) > 0, column
        assert row["epochs"] == "2" and int(row["parameters"]) > 0
        assert (
            row["point"] == f"hidden_size={row['hidden_size']},learning_rate={row['learning_rate']}"
        )
    losses = [float(row["valid_bits_per_step"]) for row in rows]
    assert losses == sorted(losses)
    assert (swept / "results/sweeps/tiny/valid_loss.png").stat().st_size > 1000
    # The points share the main workflow's tensors; the main model is not trained.
    assert (swept / "results/data/train.npz").exists()
    assert not (swept / "results/model").exists()


@pytest.mark.slow
def test_a_point_is_trained_with_its_values(swept):
    point = swept / "results/sweeps/tiny/hidden_size=8,learning_rate=0.003"
    config = torch.load(point / "checkpoint.pt", weights_only=True)["config"]
    assert config["model"] == validate_config(SWEEP_CONFIG)["model"] | {"hidden_size": 8}
    assert config["training"]["learning_rate"] == 0.003
    metrics = json.loads((point / "metrics.json").read_text())
    assert metrics["point"]["name"] == point.name
    assert metrics["training"]["best_epoch"] in (1, 2)


@pytest.mark.slow
def test_adding_a_value_trains_only_the_new_points(swept):
    result = snakemake(swept, SUMMARY, "-n", config=with_grid(GRID | {"hidden_size": [8, 16, 24]}))
    (swept / "config.yaml").write_text(yaml.safe_dump(SWEEP_CONFIG))
    assert planned_jobs(result) == {"train_sweep_point": 2, "summarize_sweep": 1}
    assert planned_points(result) == {
        "hidden_size=24,learning_rate=0.01",
        "hidden_size=24,learning_rate=0.003",
    }


@pytest.mark.slow
def test_removing_a_value_retrains_nothing(swept):
    result = snakemake(swept, SUMMARY, "-n", config=with_grid(GRID | {"hidden_size": [16]}))
    (swept / "config.yaml").write_text(yaml.safe_dump(SWEEP_CONFIG))
    assert planned_jobs(result) == {"summarize_sweep": 1}


@pytest.mark.slow
def test_changing_the_base_config_retrains_every_point(swept):
    result = snakemake(swept, SUMMARY, "-n", config=with_grid(epochs=3))
    (swept / "config.yaml").write_text(yaml.safe_dump(SWEEP_CONFIG))
    assert planned_jobs(result) == {"train_sweep_point": 4, "summarize_sweep": 1}


@pytest.mark.slow
def test_the_best_point_writes_the_songs_and_equals_the_main_model_with_its_values(swept):
    result = snakemake(swept, "results/sweeps/tiny/best/song.mid")
    assert result.returncode == 0, result.stderr[-5000:]
    best = best_point(swept / SUMMARY)
    assert f"the best point: {best}" in (swept / "logs/sweeps/tiny/best_song.log").read_text()
    tokens = (swept / "results/sweeps/tiny/best/song.txt").read_text().split()
    assert read_midi_tokens(swept / "results/sweeps/tiny/best/song.mid") == tokens
    # Promoting the point: its values in config.yaml train the same model in the main workflow.
    values = parse_point(best)
    promoted = copy.deepcopy(SWEEP_CONFIG)
    promoted["model"]["hidden_size"] = values["hidden_size"]
    promoted["training"]["learning_rate"] = values["learning_rate"]
    result = snakemake(swept, "results/model/checkpoint.pt", config=promoted)
    (swept / "config.yaml").write_text(yaml.safe_dump(SWEEP_CONFIG))
    assert result.returncode == 0, result.stderr[-5000:]
    main = torch.load(swept / "results/model/checkpoint.pt", weights_only=True)
    point = torch.load(swept / f"results/sweeps/tiny/{best}/checkpoint.pt", weights_only=True)
    assert main["state_dict"].keys() == point["state_dict"].keys()
    for key, tensor in main["state_dict"].items():
        assert torch.equal(tensor, point["state_dict"][key]), key


@pytest.mark.slow
def test_a_bad_sweep_key_or_name_fails_before_any_job(tmp_path):
    config = with_grid({"hidden_size": [8], "learning_rte": [0.01]})
    result = snakemake(tmp_path, SUMMARY, config=config)
    assert result.returncode != 0
    assert "sweeps.tiny.grid.learning_rte: 'learning_rte' is not a model or training key" in (
        result.stderr + result.stdout
    )
    result = snakemake(tmp_path, "results/sweeps/other/summary.tsv", "-n", config=with_grid())
    assert result.returncode != 0
    assert "config.yaml has no sweep 'other' under `sweeps:`" in result.stderr + result.stdout
    assert not (tmp_path / "results").exists()
