"""Cross-validation: songs dealt to folds by hash, and the real workflow's three folds of 24
songs, each trained and scored, pooled into one summary and shown on the summary page."""

import copy
import csv
import json
import statistics

import pytest
import torch
from test_workflow import planned_jobs
from workflow_runs import SMALL, failure, run_snakemake

from musiclstm.config import ConfigError, validate_config
from musiclstm.data.splits import assign_fold_splits, assign_folds
from musiclstm.evaluation.cross_validation import RATES, pooled_metrics

IDS = [f"essen:erk{n // 7}.abc#{n}" for n in range(103)]


def test_every_song_is_in_one_fold_by_its_hash_whatever_the_order():
    folds = assign_folds(IDS, 10, seed=0)
    assert sorted(folds) == sorted(IDS)
    sizes = [list(folds.values()).count(fold) for fold in range(1, 11)]
    assert sorted(sizes) == [10] * 7 + [11] * 3
    assert assign_folds(list(reversed(IDS)), 10, seed=0) == folds
    assert assign_folds(IDS, 10, seed=1) != folds
    # Neighbours in the list fall in different folds: the hash deals them, not the order.
    assert len({folds[song_id] for song_id in IDS[:10]}) > 1


def test_a_folds_test_songs_are_its_own_and_validation_comes_from_the_rest():
    folds = assign_folds(IDS, 5, seed=3)
    tested, valid_sets = [], []
    for fold in range(1, 6):
        splits = assign_fold_splits(IDS, fold, 5, valid_fraction=0.1, seed=3)
        assert splits == assign_fold_splits(IDS[::-1], fold, 5, valid_fraction=0.1, seed=3)
        test = {s for s, name in splits.items() if name == "test"}
        valid = {s for s, name in splits.items() if name == "valid"}
        assert test == {s for s in IDS if folds[s] == fold}
        assert len(valid) == 10 and not valid & test
        assert sorted(splits) == sorted(IDS)
        tested.append(test)
        valid_sets.append(valid)
    assert sorted(s for test in tested for s in test) == sorted(IDS)
    assert len({frozenset(valid) for valid in valid_sets}) == 5


def test_a_fold_outside_the_folds_or_one_fold_fails_naming_it():
    with pytest.raises(ValueError, match="fold 4 is not one of the folds 1 to 3"):
        assign_fold_splits(IDS, 4, 3, valid_fraction=0.1, seed=0)
    with pytest.raises(ValueError, match="2 folds or more, not 1"):
        assign_folds(IDS, 1, seed=0)
    with pytest.raises(ConfigError, match="split.folds: 1 fold cannot cross-validate"):
        validate_config(copy.deepcopy(SMALL) | {"split": {"folds": 1}})


def test_pooled_rates_weigh_each_fold_by_its_count_not_the_mean_of_means():
    short = {"songs": 1, "steps": 100, "onsets": 10, "pitches": 8, "unknown_tokens": 0}
    long = {"songs": 3, "steps": 300, "onsets": 90, "pitches": 72, "unknown_tokens": 1}
    short |= dict.fromkeys(RATES, 2.0)
    long |= dict.fromkeys(RATES, 1.0)
    pooled = pooled_metrics([short, long])
    assert pooled["steps"] == 400 and pooled["pitches"] == 80 and pooled["unknown_tokens"] == 1
    assert pooled["bits_per_step"] == pytest.approx((200 + 300) / 400)
    assert pooled["bits_per_note"] == pytest.approx((20 + 90) / 100)
    assert pooled["pitch_bits_per_note"] == pytest.approx((16 + 72) / 80)


# The real workflow: three folds of 24 songs, a tiny model trained for two epochs.
CONFIG = copy.deepcopy(SMALL) | {
    "split": {"valid_fraction": 0.1, "test_fraction": 0.2, "seed": 0, "folds": 3},
    "model": {"embedding_size": 8, "hidden_size": 16, "num_layers": 1, "dropout": 0.0},
    "training": {"batch_size": 4, "epochs": 2, "patience": 2, "seed": 1},
}
SUMMARY = "results/cv/summary.json"


def snakemake(workdir, *args, config=CONFIG):
    return run_snakemake(workdir, "--cores", "2", *args, config=config, timeout=900)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cross_validation")
    result = snakemake(workdir, SUMMARY)
    assert result.returncode == 0, failure(result)
    return workdir


def fold_songs(workdir, fold: int) -> dict[str, str]:
    """Song id -> split in a fold's song table."""
    with open(workdir / f"results/cv/fold_{fold}/data/songs.tsv", newline="") as handle:
        return {row["song_id"]: row["split"] for row in csv.DictReader(handle, delimiter="\t")}


def fold_metrics(workdir, fold: int) -> dict:
    return json.loads((workdir / f"results/cv/fold_{fold}/evaluation/metrics.json").read_text())


@pytest.mark.slow
def test_every_song_is_tested_in_exactly_one_of_the_three_folds(workdir):
    summary = json.loads((workdir / SUMMARY).read_text())
    assert summary["folds"] == 3 and len(summary["per_fold"]) == 3 and summary["songs"] == 24
    with open(workdir / "results/data/songs.tsv", newline="") as handle:
        every_song = sorted(row["song_id"] for row in csv.DictReader(handle, delimiter="\t"))
    assert len(every_song) == 24
    tested = []
    for fold in (1, 2, 3):
        splits = fold_songs(workdir, fold)
        assert sorted(splits) == every_song
        test = [song_id for song_id, name in splits.items() if name == "test"]
        assert len(test) == 8
        assert list(splits.values()).count("valid") == 2  # 0.1 of 24 songs, rounded
        assert fold_metrics(workdir, fold)["test"]["songs"] == len(test)
        tested += test
    assert sorted(tested) == every_song


@pytest.mark.slow
def test_pooled_figures_are_total_bits_over_total_counts_of_the_folds(workdir):
    summary = json.loads((workdir / SUMMARY).read_text())
    tests = [fold_metrics(workdir, fold)["test"] for fold in (1, 2, 3)]
    assert [fold["test"] for fold in summary["per_fold"]] == tests
    pooled = summary["pooled"]
    for count in ("songs", "steps", "onsets", "pitches"):
        assert pooled[count] == sum(test[count] for test in tests) > 0
    for rate, count in RATES.items():
        total = sum(test[rate] * test[count] for test in tests)
        assert pooled[rate] == pytest.approx(total / pooled[count], rel=1e-12), rate
        values = [test[rate] for test in tests]
        spread = summary["across_folds"][rate]
        assert spread["min"] == min(values) and spread["max"] == max(values)
        assert spread["std"] == pytest.approx(statistics.stdev(values), rel=1e-12)
    assert 0 < pooled["pitch_bits_per_note"] < pooled["bits_per_note"]
    # Folds of different lengths: pooling is not the mean of the folds' means.
    assert len({test["steps"] for test in tests}) > 1
    with open(workdir / "results/cv/summary.tsv", newline="") as handle:
        rows = {row["fold"]: row for row in csv.DictReader(handle, delimiter="\t")}
    assert list(rows) == ["1", "2", "3", "pooled", "mean", "std", "min", "max"]
    assert rows["pooled"]["pitch_bits_per_note"] == f"{pooled['pitch_bits_per_note']:.4f}"
    assert rows["pooled"]["steps"] == str(pooled["steps"])


@pytest.mark.slow
def test_the_folds_share_one_vocabulary_of_every_song_so_no_test_token_is_unknown(workdir):
    tokens = json.loads((workdir / "results/cv/vocabulary.json").read_text())["tokens"]
    every_token = set((workdir / "results/data/train.txt").read_text().split())
    every_token |= set((workdir / "results/data/valid.txt").read_text().split())
    every_token |= set((workdir / "results/data/test.txt").read_text().split())
    assert every_token <= set(tokens)
    for fold in (1, 2, 3):
        checkpoint = torch.load(
            workdir / f"results/cv/fold_{fold}/model/checkpoint.pt", weights_only=True
        )
        assert checkpoint["vocabulary"] == tokens
        assert fold_metrics(workdir, fold)["test"]["unknown_tokens"] == 0
    # The main model is not trained for a cross-validation.
    assert not (workdir / "results/model").exists()


def with_folds(folds):
    return CONFIG | {"split": CONFIG["split"] | {"folds": folds}}


@pytest.mark.slow
def test_folds_leave_the_main_workflow_alone_and_need_the_key(workdir):
    # The main split was made for the folds' vocabulary; no other number of folds remakes it.
    for folds in (None, 5):
        result = snakemake(workdir, "results/data/test.txt", "-n", config=with_folds(folds))
        assert planned_jobs(result) == {}
    result = snakemake(workdir, SUMMARY, "-n", config=with_folds(4))
    assert planned_jobs(result) == {
        "split_fold": 4,
        "build_fold_tensors": 12,
        "train_fold_model": 4,
        "evaluate_fold_model": 4,
        "summarize_cross_validation": 1,
    }
    result = snakemake(workdir, SUMMARY, "-n", config=with_folds(None))
    assert result.returncode != 0
    assert "config.yaml sets no cross-validation; give split.folds: K" in (
        result.stderr + result.stdout
    )


@pytest.mark.slow
def test_the_summary_page_shows_the_cross_validation_once_it_exists(workdir):
    result = snakemake(workdir, "results/report/summary.html")
    assert result.returncode == 0, failure(result)
    page = (workdir / "results/report/summary.html").read_text()
    summary = json.loads((workdir / SUMMARY).read_text())
    assert "Cross-validation: 3 folds" in page
    assert f"{summary['pooled']['pitch_bits_per_note']:.3f}" in page
    assert page.count("<td>fold ") == 3
