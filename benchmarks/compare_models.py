"""The tutorial's window model, our default model and a Kneser-Ney n-gram, side by side.

    .venv/bin/python benchmarks/compare_models.py [--minutes 10] [--data results/data]

On the encoded data and split of a workflow run (``results/data`` after
``snakemake --cores 4 results/data/test.npz``), in one run on this machine:

- trains the tutorial model (``model.head: window``: one LSTM layer of 256 over one-hot tokens,
  64-step windows, batches of 64 windows, Adam at 0.001, no annealing or early stopping) and our
  default model (``config.yaml``'s model and training) for the same wall-clock budget, each in a
  fresh process with the workflow's own training loop, and prints for each its test bits/step,
  bits/note and pitch bits/note (best validation epoch), predicted tokens per second and peak
  memory;
- measures when our model reaches the tutorial model's final validation loss: a second run of our
  model, validated after every ``--probe-seconds`` of training (batches drawn afresh each round;
  validation time is not counted), stopped once it gets there or at the budget;
- times 2,000 steps of generation with the workflow's sampler for each, on one thread (a batch of
  one song is too small to share out; more threads only add waiting);
- fits an interpolated Kneser-Ney n-gram on the same split, with the order that is best on the
  validation songs;
- times the hand-written LSTM cell (``model.cell: scratch``) against ``nn.LSTM`` on our model.

The load average is printed before and after: on a machine that others are using, every speed is
lower, and more threads than free cores makes it much worse (try ``--threads 1``).
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
from melodylstm.config import fill_defaults, load_schema  # noqa: E402
from melodylstm.data.batches import songs_features  # noqa: E402
from melodylstm.data.tensors import load_meters, load_songs  # noqa: E402
from melodylstm.data.vocabulary import Vocabulary, load_vocabulary  # noqa: E402
from melodylstm.evaluation.metrics import evaluate_songs  # noqa: E402
from melodylstm.generation.sampling import sample_melodies  # noqa: E402
from melodylstm.generation.strategies import Sampling  # noqa: E402
from melodylstm.model.lstm import build_model, count_parameters, load_checkpoint, model_args  # noqa: E402
from melodylstm.model.ngram import KneserNey, NgramCounts  # noqa: E402
from melodylstm.training.history import read_history  # noqa: E402
from melodylstm.training.loop import seed_everything, train_epoch, train_model  # noqa: E402

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
CPU = torch.device("cpu")


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
        epochs = read_history(work / "history.csv")
        model, _ = load_checkpoint(work / "checkpoint.pt")
    peak = peak_rss_mib()
    cuda_peak = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    vocabulary = Vocabulary(checkpoint["vocabulary"])
    test_path = data / "test.npz"
    test = evaluate_songs(model, load_songs(test_path), vocabulary, meters=load_meters(test_path))
    seconds = sum(epoch["seconds"] for epoch in epochs)
    tokens = sum(epoch["tokens_per_second"] * epoch["seconds"] for epoch in epochs)
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
        "generation_steps_per_second": generation_speed(model, vocabulary, steps),
    }


def generation_speed(model, vocabulary: Vocabulary, steps: int) -> float:
    """Steps per second of the workflow's sampler writing one song of ``steps`` tokens."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    sampling = Sampling("temperature", temperature=1.0)
    meter = (16, 0)  # 4/4, for a model that reads bar positions
    sample_melodies(model, vocabulary, ["60"], 1, 20, sampling, 0, 20, meter)  # warm-up
    start = time.perf_counter()
    song = sample_melodies(model, vocabulary, ["60"], 1, steps, sampling, 1, steps, meter)[0]
    seconds = time.perf_counter() - start
    torch.set_num_threads(threads)
    return (len(song) - 1) / seconds


def reach_probe(
    model_config: dict,
    training: dict,
    data: Path,
    threads: int,
    target: float,
    budget_seconds: float,
    interval: float,
) -> dict:
    """Runs in a fresh process: training seconds until validation reaches ``target`` (or None)."""
    torch.set_num_threads(threads)
    seed_everything(training["seed"])
    vocabulary = Vocabulary(load_vocabulary(data / "vocabulary.json"))
    songs, valid = load_songs(data / "train.npz"), load_songs(data / "valid.npz")
    model = build_model(model_args(len(vocabulary), model_config, vocabulary.boundary))
    features = features_of(model, songs, data / "train.npz", vocabulary)
    valid_meters = load_meters(data / "valid.npz")
    optimizer = torch.optim.Adam(
        model.parameters(), lr=training["learning_rate"], weight_decay=training["weight_decay"]
    )
    rng = np.random.default_rng(training["seed"])
    trained, curve = 0.0, []
    while trained < budget_seconds:
        start = time.perf_counter()
        deadline = start + min(interval, budget_seconds - trained)
        train_epoch(
            model, optimizer, songs, vocabulary.boundary, training, rng, CPU, deadline, features
        )
        trained += time.perf_counter() - start
        bits = evaluate_songs(
            model, valid, vocabulary, training["batch_size"], meters=valid_meters
        )["bits_per_step"]
        curve.append((round(trained, 1), round(bits, 4)))
        if bits <= target:
            return {"seconds": trained, "curve": curve}
    return {"seconds": None, "curve": curve}


def features_of(model, songs, path: Path, vocabulary: Vocabulary):
    """The songs' step features for a model that reads them, else None."""
    meters = load_meters(path) if getattr(model, "uses_features", False) else None
    return songs_features(songs, meters, vocabulary.boundary, getattr(model, "lookback_bars", ()))


def in_fresh_process(function, *args):
    """Run ``function`` in a new process, so that its peak memory is its own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


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


def cell_speed(
    model_config: dict, training: dict, data: Path, threads: int, seconds: float, rounds: int = 4
) -> dict:
    """Runs in a fresh process: training tokens/s and generation steps/s of the torch and the
    scratch cell, taking turns in ``rounds`` so that both see the same load."""
    torch.set_num_threads(threads)
    vocabulary = Vocabulary(load_vocabulary(data / "vocabulary.json"))
    songs = load_songs(data / "train.npz")
    runs = {}
    for cell in ("torch", "scratch"):
        seed_everything(training["seed"])
        model = build_model(model_args(len(vocabulary), model_config | {"cell": cell}))
        optimizer = torch.optim.Adam(model.parameters(), lr=training["learning_rate"])
        runs[cell] = {
            "model": model,
            "optimizer": optimizer,
            "tokens": 0,
            "seconds": 0.0,
            "generation": [],
            "rng": np.random.default_rng(training["seed"]),
        }
    for _ in range(rounds):
        for run in runs.values():
            start = time.perf_counter()
            _, tokens = train_epoch(
                run["model"],
                run["optimizer"],
                songs,
                vocabulary.boundary,
                training,
                run["rng"],
                CPU,
                deadline=start + seconds / rounds,
                song_features=features_of(run["model"], songs, data / "train.npz", vocabulary),
            )
            run["seconds"] += time.perf_counter() - start
            run["tokens"] += tokens
            run["generation"].append(generation_speed(run["model"], vocabulary, 300))
    return {
        cell: {
            "tokens_per_second": run["tokens"] / run["seconds"],
            "generation_steps_per_second": float(np.mean(run["generation"])),
        }
        for cell, run in runs.items()
    }


def fmt(value, digits=3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def print_report(
    tutorial: dict, ours: dict, ngram: dict, probe: dict, minutes: float, steps: int
) -> None:
    reached = probe["seconds"]
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
    parser.add_argument(
        "--probe-seconds",
        type=float,
        default=10.0,
        help="training seconds between validations of the run timed to the tutorial's loss",
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
        f"data {args.data}, {args.threads} threads, {args.minutes:g} minutes per model; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
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
    print("our model, to the tutorial's final validation loss ...", flush=True)
    probe = in_fresh_process(
        reach_probe,
        ours_config["model"],
        ours_config["training"],
        args.data,
        args.threads,
        tutorial["final_valid_bits_per_step"],
        args.minutes * 60,
        args.probe_seconds,
    )
    print()
    print_report(tutorial, ours, ngram, probe, args.minutes, args.steps)
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
        print(f"\nour model's LSTM cell, {args.cell_seconds:g} s of training each, in turns:")
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
            "probe": probe,
            "cells": cells,
        }
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")


if __name__ == "__main__":
    main()
