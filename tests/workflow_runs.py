"""Running the real workflow on a small config in a scratch directory, and comparing two runs."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from conftest import REPO

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")

# Small but not trivial: dropout and an annealed learning rate make a resumed run depend on
# every random generator and the optimizer being restored, and six epochs leave time to kill one.
SMALL = {
    "sources": [{"name": "essen", "corpus": "essenFolksong/erk5.abc", "max_songs": 24}],
    "encoding": {"shards": 2},
    "split": {"valid_fraction": 0.2, "test_fraction": 0.2, "seed": 0},
    "model": {"embedding_size": 8, "hidden_size": 64, "num_layers": 2, "dropout": 0.2},
    "training": {"batch_size": 4, "epochs": 6, "patience": 6, "lr_decay": 0.5, "seed": 1},
    "generate": {
        # Four bars: a length the model is told, so that even a model of six epochs writes
        # them rather than ending the song where it reads an unknown length.
        "song": {"seed": "60 _ _ _ 64 _", "bars": 4, "temperature": 1.0, "random_seed": 3}
    },
}

# What the runs make (not `all`, which also draws and renders).
TARGETS = ["results/evaluation/metrics.json", "results/generated/song.mid"]

# Identical runs write identical bytes here.
SAME_BYTES = [
    "results/encoded/song_index.tsv",
    "results/encoded/shard_0.tsv",
    "results/encoded/shard_1.tsv",
    "results/data/train.txt",
    "results/data/valid.txt",
    "results/data/test.txt",
    "results/data/songs.tsv",
    "results/data/rejects.tsv",
    "results/data/vocabulary.json",
    "results/model/checkpoint.pt",
    "results/evaluation/metrics.json",
    "results/generated/song.txt",
    "results/generated/song.mid",
]
TENSORS = ["results/data/train.npz", "results/data/valid.npz", "results/data/test.npz"]
CHECKPOINT = "results/model/checkpoint.pt"
HISTORY = "results/model/history.csv"
STATE = "results/model/training_state.pt"
TIMING_COLUMNS = {"tokens_per_second", "seconds"}


def snakemake_command(workdir: Path, *args: str) -> list[str]:
    return [
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        *args,
    ]


def snakemake_env(**extra: str) -> dict[str, str]:
    return os.environ | {"PYTHONHASHSEED": "0"} | extra


def write_config(workdir: Path, config: dict) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def run_snakemake(
    workdir: Path, *args: str, config: dict | None = None, timeout: float = 900, **env: str
) -> subprocess.CompletedProcess:
    if config is not None:
        write_config(workdir, config)
    return subprocess.run(
        snakemake_command(workdir, *args),
        capture_output=True,
        text=True,
        env=snakemake_env(**env),
        timeout=timeout,
        cwd=workdir,
    )


def failure(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"


def history_without_timings(path: Path) -> list[dict]:
    """The history's rows without its wall-clock columns, which differ from run to run."""
    rows = csv.DictReader(io.StringIO(path.read_text()))
    return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in rows]


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def assert_same_checkpoint(path_a: Path, path_b: Path) -> None:
    a, b = load_checkpoint(path_a), load_checkpoint(path_b)
    assert a.keys() == b.keys()
    assert a["state_dict"].keys() == b["state_dict"].keys()
    for name, tensor in a["state_dict"].items():
        assert torch.equal(tensor, b["state_dict"][name]), f"{path_b}: tensor {name} differs"
    rest_a = {k: v for k, v in a.items() if k != "state_dict"}
    rest_b = {k: v for k, v in b.items() if k != "state_dict"}
    assert rest_a == rest_b


def assert_same_results(run_a: Path, run_b: Path, files: list[str] | None = None) -> None:
    """The two working directories hold the same tokens, vocabulary, tensors, checkpoint
    tensors, history (but for timings), metrics and song, byte for byte."""
    for name in files if files is not None else SAME_BYTES:
        a, b = (run_a / name).read_bytes(), (run_b / name).read_bytes()
        assert a == b, f"{name} differs between {run_a} and {run_b}"
    for name in TENSORS:
        with np.load(run_a / name) as a, np.load(run_b / name) as b:
            assert a.files == b.files
            for key in a.files:
                assert a[key].dtype == b[key].dtype and a[key].tobytes() == b[key].tobytes(), name
    assert_same_checkpoint(run_a / CHECKPOINT, run_b / CHECKPOINT)
    assert history_without_timings(run_a / HISTORY) == history_without_timings(run_b / HISTORY)


def small_run(tmp_path_factory) -> Path:
    """One complete local run of SMALL on 2 cores, shared by every test module of a session."""
    workdir = tmp_path_factory.getbasetemp() / "small_run"
    if not (workdir / "done").exists():
        shutil.rmtree(workdir, ignore_errors=True)
        result = run_snakemake(workdir, "--cores", "2", *TARGETS, config=SMALL)
        assert result.returncode == 0, failure(result)
        (workdir / "done").touch()
    return workdir


def copy_run(source: Path, destination: Path) -> Path:
    """A copy of a working directory, Snakemake's records and file times included."""
    shutil.copytree(source, destination, symlinks=True)
    (destination / "done").unlink(missing_ok=True)
    return destination


def wait_for(condition, what: str, timeout: float = 300, interval: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(interval)


def script_process(workdir: Path, script: str) -> int | None:
    """The id of the process running a rule's script (e.g. ``train_model.py``) in ``workdir``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        if f"{workdir}/.snakemake/scripts/" in command and command.endswith(f".{script}\0"):
            return int(entry.name)
    return None
