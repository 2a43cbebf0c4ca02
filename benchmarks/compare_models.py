"""The tutorial's window model, our default model and a Kneser-Ney n-gram, side by side.

    .venv/bin/python benchmarks/compare_models.py [--minutes 10] [--data results/data]

On the encoded data and split of a workflow run (``results/data`` after
``snakemake --cores 4 results/data/test.npz``), in one run on this machine:

- trains the tutorial model (``model.head: window``: one LSTM layer of 256 over one-hot tokens,
  64-step windows, batches of 64 windows, Adam at 0.001, no annealing or early stopping) and our
  default model (``config.yaml``'s model and training, as ``make song`` trains it) for the same
  wall-clock budget, each in a fresh process with the workflow's own training
  (``training.loop.train_model``), and prints for each its test bits/step, bits/note and pitch
  bits/note (best validation epoch), predicted tokens per second and peak memory;
- reads from our run's history when our model reached the tutorial model's final validation
  loss: the training seconds (validation not counted) up to the first epoch whose validation
  loss was as low;
- times 2,000 steps of generation with the workflow's sampler for each, on one thread (a batch of
  one song is too small to share out; more threads only add waiting);
- fits an interpolated Kneser-Ney n-gram on the same split, with the order that is best on the
  validation songs;
- times the hand-written LSTM cell (``model.cell: scratch``) against ``nn.LSTM`` on our model.

The load average is printed before and after: on a machine that others are using, every speed is
lower, and more threads than free cores makes it much worse (try ``--threads 1``).

A quick check that it runs: ``--minutes 0.05 --steps 20 --max-order 3 --cell-seconds 2``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from musiclstm.config import load_config
from musiclstm.data.batches import load_split
from musiclstm.data.vocabulary import Vocabulary, load_vocabulary
from musiclstm.evaluation.metrics import evaluate_songs
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.strategies import Sampling, SongRequest
from musiclstm.model.checkpoint import TrainedModel, count_parameters
from musiclstm.model.ngram import KneserNey, NgramCounts
from musiclstm.representation.base import Meter
from musiclstm.settings import EncodingSettings, ModelSettings, TrainingSettings, settings
from musiclstm.textures.melody import MelodyTexture
from musiclstm.training.history import read_history
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings

REPO = Path(__file__).resolve().parent.parent

TUTORIAL_MODEL = {
    "head": "window",
    "cell": "torch",
    "window": 64,
    "hidden_size": 256,
    "num_layers": 1,
    "dropout": 0.2,
    "embedding_size": 1,
}
# 64 songs advance one step per update: 64 windows per batch, as the tutorial's batches.
TUTORIAL_TRAINING = {
    "batch_size": 64,
    "sequence_length": 1,
    "learning_rate": 0.001,
    "lr_schedule": "plateau",  # with a decay of 1: a constant learning rate
    "lr_decay": 1.0,
    "weight_decay": 0.0,
    "epochs": 1000,
    "patience": 1000,
}
CELL_ROUNDS = 4  # turns each LSTM cell takes in the cell comparison


def run_settings(config: dict, minutes: float, model=None, training=None) -> RunSettings:
    """config.yaml's model and training (what ``make song`` trains), with ``model`` and
    ``training`` on top, on the CPU for at most ``minutes``."""
    return RunSettings(
        settings(ModelSettings, config["model"], **(model or {})),
        settings(
            TrainingSettings,
            config["training"],
            **(training or {}),
            max_minutes=minutes,
            device="cpu",
        ),
        settings(EncodingSettings, config["encoding"]).time_step,
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def train(run: RunSettings, data: Path, threads: int) -> tuple[dict, list[dict], TrainedModel]:
    """Train as the workflow does, on ``threads`` threads: the checkpoint dict, the history's rows
    and the best model."""
    run = dataclasses.replace(run, training=dataclasses.replace(run.training, threads=threads))
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        files = TrainingFiles(
            data / "train.npz",
            data / "valid.npz",
            data / "vocabulary.json",
            work / "checkpoint.pt",
            work / "history.csv",
        )
        checkpoint = train_model(files, run)
        epochs = read_history(work / "history.csv")
        trained = TrainedModel.load(work / "checkpoint.pt")
    return checkpoint, epochs, trained


def trained_tokens(epochs: list[dict]) -> tuple[float, float]:
    """Predicted tokens and seconds of training (validation not counted) over a history."""
    seconds = sum(epoch["seconds"] for epoch in epochs)
    return sum(epoch["tokens_per_second"] * epoch["seconds"] for epoch in epochs), seconds


def train_and_score(run: RunSettings, data: Path, threads: int, steps: int) -> dict:
    """Runs in a fresh process: train, score on valid and test, time generation."""
    logging.basicConfig(level=logging.INFO, format="    %(message)s", stream=sys.stderr)
    torch.set_num_threads(threads)
    rss_before = peak_rss_mib()
    checkpoint, epochs, trained = train(run, data, threads)
    peak = peak_rss_mib()
    cuda_peak = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    vocabulary = trained.vocabulary
    test_data = load_split(data / "test.npz", trained.representation, vocabulary)
    test = evaluate_songs(trained.model, test_data, vocabulary)
    tokens, seconds = trained_tokens(epochs)
    return {
        "parameters": count_parameters(trained.model),
        "epochs": epochs,
        "train_seconds": seconds,
        "tokens_per_second": tokens / seconds,
        "best_epoch": checkpoint["epoch"],
        "best_valid_bits_per_step": checkpoint["best_valid_bits_per_step"],
        "final_valid_bits_per_step": epochs[-1]["valid_bits_per_step"],
        "test": test,
        "peak_rss_mib": peak,
        "rss_before_training_mib": rss_before,
        "cuda_peak_mib": cuda_peak,
        "generation_steps_per_second": generation_speed(trained, steps),
    }


def generation_speed(trained: TrainedModel, steps: int) -> float:
    """Steps per second of the workflow's sampler writing one song of ``steps`` tokens."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    sampling = Sampling("temperature", temperature=1.0)
    meter = Meter(16, 0)  # 4/4, for a model that reads bar positions
    sample_songs(trained, SongRequest(["60"], 20, 20, meter), 1, sampling, 0)  # warm-up
    start = time.perf_counter()
    song = sample_songs(trained, SongRequest(["60"], steps, steps, meter), 1, sampling, 1)[0]
    seconds = time.perf_counter() - start
    torch.set_num_threads(threads)
    return (len(song) - 1) / seconds


def time_to_reach(epochs: list[dict], target: float) -> dict:
    """From a run's history: the training seconds (validation not counted) up to the first epoch
    whose validation loss reached ``target`` (None if none did), and the curve until then."""
    trained, curve = 0.0, []
    for epoch in epochs:
        trained += epoch["seconds"]
        curve.append((round(trained, 1), round(epoch["valid_bits_per_step"], 4)))
        if epoch["valid_bits_per_step"] <= target:
            return {"seconds": trained, "epoch": epoch["epoch"], "curve": curve}
    return {"seconds": None, "curve": curve}


def in_fresh_process(function, *args):
    """Run ``function`` in a new process, so that its peak memory is its own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def ngram_baseline(data: Path, max_order: int) -> dict:
    vocabulary = Vocabulary(load_vocabulary(data / "vocabulary.json"))
    # The n-gram reads no per-step inputs: the splits are loaded as the default model reads them.
    representation = MelodyTexture().representation(settings(ModelSettings).lookback)
    train_songs, valid_data, test_data = (
        load_split(data / f"{split}.npz", representation, vocabulary)
        for split in ("train", "valid", "test")
    )
    start = time.perf_counter()
    counts = NgramCounts(train_songs.songs, max_order, len(vocabulary), vocabulary.boundary)
    models = {order: KneserNey(counts, order) for order in range(1, max_order + 1)}
    valid = {
        order: evaluate_songs(model, valid_data, vocabulary)["bits_per_step"]
        for order, model in models.items()
    }
    best = min(valid, key=valid.get)
    test = evaluate_songs(models[best], test_data, vocabulary)
    return {
        "order": best,
        "valid_by_order": valid,
        "test": test,
        "seconds": time.perf_counter() - start,
    }


def cell_speed(runs: dict[str, RunSettings], data: Path, threads: int) -> dict:
    """Runs in a fresh process: training tokens/s and generation steps/s of each cell's run (the
    torch and the scratch cell), trained afresh in each of ``CELL_ROUNDS`` turns, the cells
    taking turns so that both see the same load."""
    torch.set_num_threads(threads)
    totals = {cell: {"tokens": 0.0, "seconds": 0.0, "generation": []} for cell in runs}
    for _ in range(CELL_ROUNDS):
        for cell, run in runs.items():
            _, epochs, trained = train(run, data, threads)
            tokens, seconds = trained_tokens(epochs)
            totals[cell]["tokens"] += tokens
            totals[cell]["seconds"] += seconds
            totals[cell]["generation"].append(generation_speed(trained, 300))
    return {
        cell: {
            "tokens_per_second": total["tokens"] / total["seconds"],
            "generation_steps_per_second": float(np.mean(total["generation"])),
        }
        for cell, total in totals.items()
    }


def fmt(value, digits=3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def score_rows(tutorial: dict, ours: dict, ngram: dict) -> list[tuple]:
    """The report's rows of held-out and validation losses."""
    return [
        ("test bits/step", *(fmt(r["test"]["bits_per_step"]) for r in (tutorial, ours, ngram))),
        ("test bits/note", *(fmt(r["test"]["bits_per_note"]) for r in (tutorial, ours, ngram))),
        (
            "test pitch bits/note",
            *(fmt(r["test"]["pitch_bits_per_note"]) for r in (tutorial, ours, ngram)),
        ),
        (
            "best valid bits/step (epoch)",
            *(f"{r['best_valid_bits_per_step']:.3f} ({r['best_epoch']})" for r in (tutorial, ours)),
            f"{ngram['valid_by_order'][ngram['order']]:.3f} (order {ngram['order']})",
        ),
        (
            "final valid bits/step",
            fmt(tutorial["final_valid_bits_per_step"]),
            fmt(ours["final_valid_bits_per_step"]),
            "",
        ),
    ]


def cost_rows(tutorial: dict, ours: dict, ngram: dict, probe: dict, minutes: float, steps: int):
    """The report's rows of training time, speed and memory."""
    reached = probe["seconds"]
    rows = [
        (
            "training seconds",
            fmt(tutorial["train_seconds"], 0),
            fmt(ours["train_seconds"], 0),
            f"{ngram['seconds']:.0f} (counts, all orders)",
        ),
        ("epochs", *(f"{len(r['epochs'])}" for r in (tutorial, ours)), ""),
        (
            "predicted tokens/s (training)",
            fmt(tutorial["tokens_per_second"], 0),
            fmt(ours["tokens_per_second"], 0),
            "",
        ),
        ("parameters", f"{tutorial['parameters']:,}", f"{ours['parameters']:,}", ""),
        (
            "peak memory, MiB (RSS; at start)",
            *(
                f"{r['peak_rss_mib']:.0f} ({r['rss_before_training_mib']:.0f})"
                for r in (tutorial, ours)
            ),
            "",
        ),
        (
            f"generation steps/s ({steps:,} steps)",
            fmt(tutorial["generation_steps_per_second"], 0),
            fmt(ours["generation_steps_per_second"], 0),
            "",
        ),
        (
            "ours reached the tutorial's final valid",
            "",
            f"not in {minutes:g} min" if reached is None else f"after {reached:.0f} s",
            "",
        ),
    ]
    if tutorial["cuda_peak_mib"] is not None:
        rows.append(
            ("CUDA peak, MiB", fmt(tutorial["cuda_peak_mib"], 0), fmt(ours["cuda_peak_mib"], 0), "")
        )
    return rows


def print_report(
    tutorial: dict, ours: dict, ngram: dict, probe: dict, minutes: float, steps: int
) -> None:
    rows = score_rows(tutorial, ours, ngram) + cost_rows(
        tutorial, ours, ngram, probe, minutes, steps
    )
    header = (
        "",
        f"tutorial (window, {minutes:g} min)",
        f"ours (default, {minutes:g} min)",
        "Kneser-Ney n-gram",
    )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget per model")
    parser.add_argument("--data", type=Path, default=REPO / "results" / "data")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--steps", type=int, default=2000, help="generation steps to time")
    parser.add_argument("--max-order", type=int, default=32, help="highest n-gram order tried")
    parser.add_argument(
        "--cell-seconds",
        type=float,
        default=60.0,
        help="seconds of training per LSTM cell in the cell comparison (0: skip)",
    )
    parser.add_argument("--json", type=Path, help="also write every number here")
    return parser.parse_args()


def check_data(data: Path) -> None:
    missing = [
        n
        for n in ("train.npz", "valid.npz", "test.npz", "vocabulary.json")
        if not (data / n).exists()
    ]
    if missing:
        sys.exit(
            f"{data}: no {', '.join(missing)}; run the workflow's data stages first "
            "(snakemake --cores 4 results/data/test.npz) or pass --data"
        )


def compare_cells(config: dict, data: Path, threads: int, seconds: float) -> dict:
    """Our model with each LSTM cell, ``seconds`` of training each in turns; prints the speeds."""
    turn = seconds / CELL_ROUNDS / 60
    runs = {cell: run_settings(config, turn, {"cell": cell}) for cell in ("torch", "scratch")}
    cells = in_fresh_process(cell_speed, runs, data, threads)
    torch_cell, scratch_cell = cells["torch"], cells["scratch"]
    print(f"\nour model's LSTM cell, {seconds:g} s of training each, in turns:")
    for key, what in (
        ("tokens_per_second", "training tokens/s"),
        ("generation_steps_per_second", "generation steps/s"),
    ):
        print(
            f"  {what}: nn.LSTM {torch_cell[key]:.0f}, scratch {scratch_cell[key]:.0f} "
            f"({torch_cell[key] / scratch_cell[key]:.1f}x slower)"
        )
    return cells


def main() -> None:
    args = parse_args()
    check_data(args.data)
    config = load_config(REPO / "config.yaml", REPO)
    print(
        f"data {args.data}, {args.threads} threads, {args.minutes:g} minutes per model; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    print("n-gram baseline ...", flush=True)
    ngram = ngram_baseline(args.data, args.max_order)
    runs = {
        "tutorial": run_settings(config, args.minutes, TUTORIAL_MODEL, TUTORIAL_TRAINING),
        "ours": run_settings(config, args.minutes),
    }
    scored = {}
    for name, what in (("tutorial", "tutorial model"), ("ours", "our model")):
        print(f"{what} ...", flush=True)
        scored[name] = in_fresh_process(
            train_and_score, runs[name], args.data, args.threads, args.steps
        )
    tutorial, ours = scored["tutorial"], scored["ours"]
    probe = time_to_reach(ours["epochs"], tutorial["final_valid_bits_per_step"])
    print()
    print_report(tutorial, ours, ngram, probe, args.minutes, args.steps)
    cells = None
    if args.cell_seconds > 0:
        cells = compare_cells(config, args.data, args.threads, args.cell_seconds)
    if args.json:
        results = {
            "minutes": args.minutes,
            "threads": args.threads,
            "tutorial": tutorial,
            "ours": ours,
            "ngram": ngram,
            "probe": probe,
            "cells": cells,
        }
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")


if __name__ == "__main__":
    main()
