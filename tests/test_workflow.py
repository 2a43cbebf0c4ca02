"""The real workflow, run by Snakemake on a tiny config: outputs, rejects, and what reruns."""

import json
import math
import shutil
import subprocess
from pathlib import Path

import mido
import pytest
import yaml
from workflow_runs import run_snakemake

from conftest import FIXTURES
from musiclstm.music.midi import read_midi_tokens

pytestmark = pytest.mark.slow

TINY = {
    "sources": [
        {"name": "essen", "corpus": "essenFolksong/erk5.abc", "max_songs": 14},
        {"name": "mine", "files": "resources/songs/**/*"},
    ],
    "encoding": {"shards": 2},
    "split": {"valid_fraction": 0.2, "test_fraction": 0.2, "seed": 0},
    "model": {"embedding_size": 8, "hidden_size": 16, "num_layers": 1, "dropout": 0.0},
    "training": {"batch_size": 4, "epochs": 2, "patience": 2, "seed": 1},
    "generate": {
        "song": {"seed": "60 _ _ _ 64 _", "steps": 32, "temperature": 1.0, "random_seed": 1},
        "other": {
            "seed": "",
            "strategy": "top_k",
            "n_samples": 2,
            "bars": 2,
            "end_on_tonic": True,
            "key": "D",
            "time_signature": "3/4",
        },
    },
}


def snakemake(workdir: Path, *args: str, config: dict | None = None) -> subprocess.CompletedProcess:
    """The real workflow on ``workdir`` with 2 cores (and ``config`` written first, if given)."""
    return run_snakemake(workdir, "--cores", "2", *args, config=config, timeout=600)


def planned_jobs(result: subprocess.CompletedProcess) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of a dry run."""
    assert result.returncode == 0, result.stderr + result.stdout
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:")[1].split("total")[0].splitlines()[3:]
    return {line.split()[0]: int(line.split()[1]) for line in table if line.strip()}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("run")
    songs = workdir / "resources" / "songs" / "folder with spaces"
    songs.mkdir(parents=True)
    for name in ("pickup_ties_g_major.krn", "not_really.mid", "two_tunes_one_broken.abc"):
        shutil.copy(FIXTURES / name, songs / name)
    result = snakemake(workdir, config=TINY)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


def test_song_midi_reads_back_to_its_tokens(workdir):
    tokens = (workdir / "results/generated/song.txt").read_text().split()
    assert tokens[:6] == "60 _ _ _ 64 _".split()
    midi_path = workdir / "results/generated/song.mid"
    assert read_midi_tokens(midi_path) == tokens
    notes = [m for m in mido.MidiFile(midi_path).play() if m.type == "note_on" and m.velocity]
    assert len(notes) == sum(token.isdigit() for token in tokens) >= 2


def test_variations_have_the_asked_bars_tonic_ending_and_key(workdir):
    for i in (1, 2):
        tokens = (workdir / f"results/generated/other_{i}.txt").read_text().split()
        assert len(tokens) == 2 * 12  # two bars of 3/4 in sixteenths
        # The D is struck on the last bar line: after an upbeat drawn from a training song the
        # last bar is as much shorter as the upbeat is long.
        pickup = json.loads((workdir / f"results/generated/other_{i}.json").read_text())[
            "pickup_steps"
        ]
        last_line = (pickup + len(tokens) - 1) // 12 * 12 - pickup
        assert int(tokens[last_line]) % 12 == 2 and set(tokens[last_line + 1 :]) <= {"_"}
        assert read_midi_tokens(workdir / f"results/generated/other_{i}.mid") == tokens
    assert not (workdir / "results/generated/other.mid").exists()


def test_metrics_are_finite(workdir):
    metrics = json.loads((workdir / "results/evaluation/metrics.json").read_text())
    for split in ("valid", "test"):
        assert metrics[split]["songs"] >= 1
        for key in ("bits_per_step", "bits_per_note", "pitch_bits_per_note", "accuracy"):
            assert math.isfinite(metrics[split][key]), (split, key)
    history = (workdir / "results/model/history.csv").read_text().splitlines()
    assert len(history) == 3
    # A melody is recalled as it stands and by its moves; it has no top line of its own.
    assert set(metrics["recall"]) == {"bands", "lengths", "weights", "moved_weights"}
    assert metrics["valid_with_recall"]["bits_per_step"] <= metrics["valid"]["bits_per_step"] + 1e-6


def test_every_song_is_encoded_or_rejected_with_a_reason(workdir):
    summary = json.loads((workdir / "results/data/summary.json").read_text())
    rejects = (workdir / "results/data/rejects.tsv").read_text().splitlines()[1:]
    reasons = {line.split("\t")[0].split("/")[-1]: line.split("\t")[2] for line in rejects}
    assert reasons == {
        "not_really.mid": "unreadable",
        "two_tunes_one_broken.abc#2": "triplet",
    }
    index = (workdir / "results/encoded/song_index.tsv").read_text().splitlines()[1:]
    assert summary["songs_encoded"] + summary["songs_rejected"] == len(index) == 14 + 4
    songs = (workdir / "results/data/songs.tsv").read_text()
    assert "folder with spaces/pickup_ties_g_major.krn" in songs


def test_nothing_reruns_without_a_change(workdir):
    assert planned_jobs(snakemake(workdir, "-n")) == {}


# A new song is engraved, played and plotted, and the statistics and summary follow it.
RENDERING = {
    "render_score",
    "render_audio",
    "plot_piano_roll",
    "song_page",
    "music_stats",
    "plot_histogram",
    "summary_page",
}
# The pieces set beside the held-out songs are written with the settings of the song `song`.
AFTER_TRAINING = {
    "train_model",
    "fit_recall",
    "evaluate_model",
    "generate_song",
    "generate_other",
    "all",
}
AFTER_TRAINING |= RENDERING | {"plot_loss", "generate_comparison"}
AFTER_SPLIT = {"split_songs", "build_vocabulary", "build_tensors"} | AFTER_TRAINING


@pytest.mark.parametrize(
    "section, key, value, expected",
    [
        ("training", "epochs", 3, AFTER_TRAINING),
        ("model", "hidden_size", 12, AFTER_TRAINING),
        (
            "generate",
            "song",
            {"seed": "62 _", "steps": 20},
            {"generate_song", "generate_comparison", "all"} | RENDERING,
        ),
        ("split", "seed", 5, AFTER_SPLIT),
        ("encoding", "time_step", 0.125, {"encode_shard", "account_songs"} | AFTER_SPLIT),
    ],
)
def test_only_stale_stages_rerun(workdir, section, key, value, expected):
    config = json.loads(json.dumps(TINY))
    config[section][key] = value
    jobs = planned_jobs(snakemake(workdir, "-n", config=config))
    (workdir / "config.yaml").write_text(yaml.safe_dump(TINY))
    assert set(jobs) == expected


def test_bad_config_fails_before_any_job_naming_the_key(tmp_path):
    config = json.loads(json.dumps(TINY))
    config["training"]["epohcs"] = 3
    result = snakemake(tmp_path, config=config)
    assert result.returncode != 0
    assert "training.epohcs: unknown key" in result.stderr + result.stdout
    assert not (tmp_path / "results").exists()


def test_seed_token_outside_the_vocabulary_fails_naming_it(workdir):
    config = json.loads(json.dumps(TINY))
    config["generate"]["bad"] = {"seed": "60 _ 127 _", "steps": 8}
    result = snakemake(workdir, "results/generated/bad.mid", config=config)
    (workdir / "config.yaml").write_text(yaml.safe_dump(TINY))
    assert result.returncode != 0
    log = (workdir / "logs/generate_bad.log").read_text()
    assert "token '127' at position 2 is not in the model's vocabulary" in log
    assert "allowed tokens are: " in log and " r _" in log
    assert not (workdir / "results/generated/bad.mid").exists()
