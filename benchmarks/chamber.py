"""String quartets from little data: a model trained on the quartets alone, one pre-trained on
every four-voice ensemble piece that ships (Bach's chorales, Palestrina's four-voice mass
movements) and fine-tuned on the quartets, and the n-gram baseline, scored on the same held-out
quartet movements; with training and generation speed, all in one run.

    .venv/bin/python benchmarks/chamber.py [--pretrain-epochs 2] [--cores 2]

It runs the real workflow three times (each stage reused where its files are up to date):

1. ``config/quartet.yaml`` as it ships (results/quartet/, what `make quartet` trains): the
   quartets alone, for the config's epochs; its evaluation fits the n-gram baseline on the same
   training movements and scores it on the same test movements;
2. the same texture, encoding and model on the four-voice pieces (results/four_voices/):
   the chorales and every Palestrina movement in four voices, for ``--pretrain-epochs``;
3. the quartet config again, its training started from the checkpoint of 2
   (``training.init_from``), for the same epochs as 1 (results/quartet_finetuned/).

The split is the quartet config's, by whole works: no quartet has movements on both sides.
Printed: held-out nats per voice-step, bits per onset and nats per step of each part; training
frames per second and minutes of each run; and the frames per second of composing a quartet
with the trained model. Give ``--device cuda`` to train on a GPU where there is one.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml
from chorales import frames_per_second  # benchmarks/chorales.py, beside this script

from musiclstm.generation.ensembles import compose_request
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.settings import SongSettings, settings
from musiclstm.training.history import read_history

REPO = Path(__file__).resolve().parent.parent
QUARTET = yaml.safe_load((REPO / "config/quartet.yaml").read_text())
# Bach's chorales and Palestrina's mass movements; those not in four voices are rejected.
FOUR_VOICE_SOURCES = [
    {"name": "bach", "corpus": "bach/bwv*.mxl"},
    {"name": "palestrina", "corpus": "palestrina/*.krn"},
]


def pretraining_config(epochs: int, device: str) -> dict:
    """The quartet's texture, encoding and model, learnt from the four-voice pieces."""
    return QUARTET | {
        "results_dir": "results/four_voices",
        "sources": FOUR_VOICE_SOURCES,
        "split": {"by": "song", "valid_fraction": 0.05, "test_fraction": 0.05, "seed": 0},
        "training": QUARTET["training"] | {"epochs": epochs, "device": device},
        "generate": {},
    }


def quartet_config(device: str) -> dict:
    return QUARTET | {"training": QUARTET["training"] | {"device": device}}


def fine_tuning_config(device: str) -> dict:
    training = QUARTET["training"] | {
        "init_from": "results/four_voices/model/checkpoint.pt",
        "device": device,
    }
    return QUARTET | {
        "results_dir": "results/quartet_finetuned",
        "training": training,
        "generate": {},
    }


EVALUATION = "evaluation/metrics.json"
PRETRAINED = ["model/checkpoint.pt", "data/summary.json"]  # what fine-tuning and the table read
# Each run: its label in the tables, its results directory under results/, its config, and the
# files of it the benchmark reads.
RUNS = {
    "quartets alone": ("quartet", lambda args: quartet_config(args.device), [EVALUATION]),
    "pre-training": (
        "four_voices",
        lambda args: pretraining_config(args.pretrain_epochs, args.device),
        PRETRAINED,
    ),
    "fine-tuned": (
        "quartet_finetuned",
        lambda args: fine_tuning_config(args.device),
        [EVALUATION],
    ),
}


def run_workflow(config: dict, name: str, targets: list[str], cores: int) -> float:
    """Snakemake on ``config`` (written to results/benchmarks/{name}.yaml) up to ``targets``
    (paths under results/{name}/); its minutes."""
    path = REPO / f"results/benchmarks/{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    targets = [f"results/{name}/{target}" for target in targets]
    # The targets before --configfile, which would take them for more config files.
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores), *targets]
    start = time.perf_counter()
    print(f"{name}: snakemake {' '.join(targets)}", flush=True)
    subprocess.run([*command, "--configfile", str(path)], cwd=REPO, check=True)
    return (time.perf_counter() - start) / 60


def training_speed(results: Path, frame_width: int) -> dict:
    history = read_history(results / "model/history.csv")
    tokens = statistics.median(float(row["tokens_per_second"]) for row in history)
    return {
        "epochs": len(history),
        "frames_per_second": tokens / frame_width,
        "training_minutes": sum(float(row["seconds"]) for row in history) / 60,
    }


def held_out(metrics: dict) -> dict:
    """The test movements' figures: nats per voice-step, bits per onset, nats per part-step."""
    return {
        "nats_per_voice_step": metrics["nats_per_voice_step"],
        "bits_per_onset": metrics["bits_per_onset"],
        "nats_per_step_by_part": {
            part: bits * math.log(2) for part, bits in metrics["voices"].items()
        },
    }


def held_out_rows() -> dict:
    """The quartet model's, the fine-tuned model's and the n-gram's test figures."""
    alone = json.loads((REPO / f"results/quartet/{EVALUATION}").read_text())
    tuned = json.loads((REPO / f"results/quartet_finetuned/{EVALUATION}").read_text())
    return {
        "quartets alone": held_out(alone["test"]["chorale"]),
        "pre-trained, fine-tuned": held_out(tuned["test"]["chorale"]),
        f"{alone['baseline']['order']}-gram baseline": held_out(alone["baseline"]["test"]),
    }


def composing_speed(checkpoint: Path, bars: int, repeats: int) -> dict:
    """Frames per second of composing ``bars`` of 4/4, with the step kernel and the modules."""
    trained = TrainedModel.load(checkpoint)
    width = trained.representation.frame_width
    request = compose_request(settings(SongSettings, seed="", bars=bars), [], 0.25, width)
    return {
        "kernel" if fast else "modules": frames_per_second(trained, request, fast, repeats)
        for fast in (True, False)
    }


def print_tables(speeds: dict, rows: dict, generation: dict, bars: int) -> None:
    pieces = json.loads((REPO / "results/four_voices/data/summary.json").read_text())
    print(f"pre-training pieces: {pieces['songs_encoded']} encoded of {pieces['songs_in']}")
    for name, speed in speeds.items():
        print(
            f"{name}: {speed['epochs']} epochs in {speed['training_minutes']:.1f} min, "
            f"{speed['frames_per_second']:.0f} frames/s; this run {speed['run_minutes']:.1f} min"
        )
    parts = list(rows["quartets alone"]["nats_per_step_by_part"])
    print(
        f"{'held-out quartets':<26} {'nats/voice-step':>15} {'bits/onset':>10} "
        + " ".join(f"{p:>11}" for p in parts)
    )
    for name, row in rows.items():
        by_part = " ".join(f"{row['nats_per_step_by_part'][p]:>11.3f}" for p in parts)
        print(
            f"{name:<26} {row['nats_per_voice_step']:>15.3f} "
            f"{row['bits_per_onset']:>10.3f} {by_part}"
        )
    for how, value in generation.items():
        print(f"composing {bars} bars, {how}: {value:.0f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrain-epochs", type=int, default=2)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    width = 1 + len(QUARTET["voices"])
    speeds = {}
    for label, (name, config, targets) in RUNS.items():
        minutes = run_workflow(config(args), name, targets, args.cores)
        # A run whose files were up to date took no time here; its training's own minutes stand.
        speeds[label] = training_speed(REPO / f"results/{name}", width) | {"run_minutes": minutes}
    torch.set_num_threads(QUARTET["training"].get("threads") or 2)
    generation = composing_speed(
        REPO / "results/quartet/model/checkpoint.pt", args.bars, args.repeats
    )
    rows = held_out_rows()
    print_tables(speeds, rows, generation, args.bars)
    print(json.dumps({"training": speeds, "test": rows, "generation": generation}))


if __name__ == "__main__":
    main()
