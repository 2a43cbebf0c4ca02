"""The tutorial's window model, our default model and a Kneser-Ney n-gram, side by side.

    .venv/bin/python benchmarks/compare_models.py [--minutes 10] [--data results/data]

On the encoded data and split of a workflow run (``results/data`` after
``snakemake --cores 4 results/data/test.npz``), in one run on this machine:

- trains the tutorial model (``model.head: window``: one LSTM layer of 256 over one-hot tokens,
  64-step windows, batches of 64 windows, Adam at 0.001, no annealing or early stopping) and our
  default model (``config.yaml``'s model and training) for the same wall-clock budget, each in a
  fresh process with the workflow's own training loop, and prints for each its test bits/step,
  bits/note and pitch bits/note (best validation epoch), predicted tokens per second, peak
  memory, and when our model first reached the tutorial model's final validation loss;
- times 2,000 steps of generation with the workflow's sampler for each;
- fits an interpolated Kneser-Ney n-gram on the same split, with the order that is best on the
  validation songs;
- times the hand-written LSTM cell (``model.cell: scratch``) against ``nn.LSTM`` on our model.

Time to reach counts training time only, at the end of the epoch where validation got there.
"""

from __future__ import annotations

import argparse
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
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "workflow"))
from melodylstm.config import fill_defaults, load_schema  # noqa: E402
from melodylstm.evaluation import evaluate_songs  # noqa: E402
from melodylstm.generation import Sampling, sample_melodies  # noqa: E402
from melodylstm.model import build_model, count_parameters, load_checkpoint, model_args  # noqa: E402
from melodylstm.ngram import KneserNey, NgramCounts  # noqa: E402
from melodylstm.tensors import load_songs  # noqa: E402
from melodylstm.training import seed_everything, train_epoch, train_model  # noqa: E402
from melodylstm.vocabulary import Vocabulary, load_vocabulary  # noqa: E402

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
    "lr_decay": 1.0,
    "weight_decay": 0.0,
    "epochs": 1000,
    "patience": 1000,
}
METRICS = ("bits_per_step", "bits_per_note", "pitch_bits_per_note")


def default_config() -> dict:
    """config.yaml's model and training sections, with the schema's defaults filled in."""
    config = fill_defaults(yaml.safe_load((REPO / "config.yaml").read_text()), load_schema())
    return {"model": config["model"], "training": config["training"]}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def train_and_score(model_config: dict, training: dict, data: Path, threads: int, steps: int):
    """Runs in a fresh process: train, score on valid and test, time generation."""
    logging.basicConfig(level=logging.INFO, format="    %(message)s", stream=sys.stderr)
    torch.set_num_threads(threads)
    rss_before = peak_rss_mib()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        checkpoint = train_model(
            data / "train.npz",
            data / "valid.npz",
            data / "vocabulary.json",
            work / "checkpoint.pt",
            work / "history.csv",
            model_config,
            training,
            {"time_step": 0.25},
            threads=threads,
        )
        history = (work / "history.csv").read_text().splitlines()
        model, _ = load_checkpoint(work / "checkpoint.pt")
    peak = peak_rss_mib()
    cuda_peak = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    vocabulary = Vocabulary(checkpoint["vocabulary"])
    test = evaluate_songs(model, load_songs(data / "test.npz"), vocabulary)
    columns = history[0].split(",")
    epochs = [dict(zip(columns, map(float, line.split(",")), strict=True)) for line in history[1:]]
    seconds = sum(epoch["seconds"] for epoch in epochs)
    tokens = sum(epoch["tokens_per_second"] * epoch["seconds"] for epoch in epochs)
    sampling = Sampling("temperature", temperature=1.0)
    sample_melodies(model, vocabulary, ["60"], 1, 20, sampling, 0, min_steps=20)  # warm-up
    start = time.perf_counter()
    song = sample_melodies(model, vocabulary, ["60"], 1, steps, sampling, 1, min_steps=steps)[0]
    generation_seconds = time.perf_counter() - start
    return {
        "parameters": count_parameters(model),
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
        "generation_steps_per_second": (len(song) - 1) / generation_seconds,
    }


def in_fresh_process(function, *args):
    """Run ``function`` in a new process, so that its peak memory is its own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def time_to_reach(epochs: list[dict], target: float) -> tuple[float, int] | None:
    """Training seconds and epoch at which validation first reached ``target``."""
    seconds = 0.0
    for epoch in epochs:
        seconds += epoch["seconds"]
        if epoch["valid_bits_per_step"] <= target:
            return seconds, int(epoch["epoch"])
    return None


def ngram_baseline(data: Path, max_order: int) -> dict:
    vocabulary = Vocabulary(load_vocabulary(data / "vocabulary.json"))
    start = time.perf_counter()
    counts = NgramCounts(
        load_songs(data / "train.npz"), max_order, len(vocabulary), vocabulary.boundary
    )
    valid_songs = load_songs(data / "valid.npz")
    valid = {
        order: evaluate_songs(KneserNey(counts, order), valid_songs, vocabulary)["bits_per_step"]
        for order in range(1, max_order + 1)
    }
    best = min(valid, key=valid.get)
    test = evaluate_songs(KneserNey(counts, best), load_songs(data / "test.npz"), vocabulary)
    return {
        "order": best,
        "valid_by_order": valid,
        "test": test,
        "seconds": time.perf_counter() - start,
    }


def cell_speed(model_config: dict, training: dict, data: Path, threads: int, seconds: float):
    """Runs in a fresh process: training tokens/s of the torch and scratch cells, same start."""
    torch.set_num_threads(threads)
    vocabulary = Vocabulary(load_vocabulary(data / "vocabulary.json"))
    songs = load_songs(data / "train.npz")
    speeds = {}
    for cell in ("torch", "scratch"):
        seed_everything(training["seed"])
        model = build_model(model_args(len(vocabulary), model_config | {"cell": cell}))
        optimizer = torch.optim.Adam(model.parameters(), lr=training["learning_rate"])
        rng = np.random.default_rng(training["seed"])
        start = time.perf_counter()
        _, tokens = train_epoch(
            model,
            optimizer,
            songs,
            vocabulary.boundary,
            training,
            rng,
            torch.device("cpu"),
            deadline=start + seconds,
        )
        train_speed = tokens / (time.perf_counter() - start)
        sampling = Sampling("temperature", temperature=1.0)
        start = time.perf_counter()
        sample_melodies(model, vocabulary, ["60"], 1, 500, sampling, 1, min_steps=500)
        speeds[cell] = {
            "tokens_per_second": train_speed,
            "generation_steps_per_second": 500 / (time.perf_counter() - start),
        }
    return speeds


def fmt(value, digits=3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def print_report(tutorial: dict, ours: dict, ngram: dict, reached, minutes: float) -> None:
    rows = [
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
            "generation steps/s (2,000 steps)",
            fmt(tutorial["generation_steps_per_second"], 0),
            fmt(ours["generation_steps_per_second"], 0),
            "",
        ),
        (
            "ours reached the tutorial's final valid",
            "",
            "not reached" if reached is None else f"after {reached[0]:.0f} s (epoch {reached[1]})",
            "",
        ),
    ]
    if tutorial["cuda_peak_mib"] is not None:
        rows.append(
            ("CUDA peak, MiB", fmt(tutorial["cuda_peak_mib"], 0), fmt(ours["cuda_peak_mib"], 0), "")
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


def main() -> None:
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
    args = parser.parse_args()
    missing = [
        n
        for n in ("train.npz", "valid.npz", "test.npz", "vocabulary.json")
        if not (args.data / n).exists()
    ]
    if missing:
        sys.exit(
            f"{args.data}: no {', '.join(missing)}; run the workflow's data stages first "
            "(snakemake --cores 4 results/data/test.npz) or pass --data"
        )
    ours_config = default_config()
    budget = {"max_minutes": args.minutes, "device": "cpu"}
    print(
        f"data {args.data}, {args.threads} threads, {args.minutes:g} minutes per model", flush=True
    )
    print("n-gram baseline ...", flush=True)
    ngram = ngram_baseline(args.data, args.max_order)
    print("tutorial model ...", flush=True)
    tutorial = in_fresh_process(
        train_and_score,
        TUTORIAL_MODEL,
        ours_config["training"] | TUTORIAL_TRAINING | budget,
        args.data,
        args.threads,
        args.steps,
    )
    print("our model ...", flush=True)
    ours = in_fresh_process(
        train_and_score,
        ours_config["model"],
        ours_config["training"] | budget,
        args.data,
        args.threads,
        args.steps,
    )
    reached = time_to_reach(ours["epochs"], tutorial["final_valid_bits_per_step"])
    print()
    print_report(tutorial, ours, ngram, reached, args.minutes)
    cells = None
    if args.cell_seconds > 0:
        cells = in_fresh_process(
            cell_speed,
            ours_config["model"],
            ours_config["training"],
            args.data,
            args.threads,
            args.cell_seconds,
        )
        torch_cell, scratch_cell = cells["torch"], cells["scratch"]
        print(f"\nour model's LSTM cell, {args.cell_seconds:g} s of training each:")
        for key, what in (
            ("tokens_per_second", "training tokens/s"),
            ("generation_steps_per_second", "generation steps/s"),
        ):
            print(
                f"  {what}: nn.LSTM {torch_cell[key]:.0f}, scratch {scratch_cell[key]:.0f} "
                f"({torch_cell[key] / scratch_cell[key]:.1f}x slower)"
            )
    if args.json:
        results = {
            "minutes": args.minutes,
            "threads": args.threads,
            "tutorial": tutorial,
            "ours": ours,
            "ngram": ngram,
            "cells": cells,
        }
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
