"""Train and score one point of a sweep: its checkpoint, history and ``metrics.json``."""

from __future__ import annotations

import time
from pathlib import Path

from musiclstm.evaluation.metrics import evaluate_checkpoint
from musiclstm.evaluation.result_files import write_metrics
from musiclstm.training.history import read_history
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings


def train_point(
    point: str,
    data: dict,
    outputs: dict,
    settings: dict,
    time_step: float,
    threads: int = 1,
    state_path=None,
    texture: dict | None = None,
) -> dict:
    """Train and score one point; writes the checkpoint, history and ``metrics.json``.

    ``data`` holds the paths of the ``train``, ``valid`` and ``test`` tensors and the
    ``vocabulary``; ``outputs`` those of the ``checkpoint``, ``history`` and ``metrics``. The
    metrics are :func:`~musiclstm.evaluation.metrics.evaluate_checkpoint`'s, with a ``training``
    entry (epochs, best epoch, minutes, parameters) and the point's settings added, and the file
    is written once, whole. With a ``state_path`` an interrupted training continues where it
    stopped (see ``train_model``). Training runs on the point's ``training.threads``, scoring on
    ``threads``. The point trains the config's ``texture`` (its description), as the main
    model does.
    """
    started = time.perf_counter()
    files = TrainingFiles(
        Path(data["train"]),
        Path(data["valid"]),
        Path(data["vocabulary"]),
        Path(outputs["checkpoint"]),
        Path(outputs["history"]),
        state=Path(state_path) if state_path else None,
    )
    run_settings = RunSettings.from_config(
        settings["model"], settings["training"], time_step, texture
    )
    checkpoint = train_model(files, run_settings)
    minutes = (time.perf_counter() - started) / 60
    # No metrics path: the point's file, with its training and settings, is written once, below.
    metrics = evaluate_checkpoint(
        outputs["checkpoint"],
        {"valid": data["valid"], "test": data["test"]},
        threads=threads,
    )
    metrics["training"] = {
        "epochs": len(read_history(outputs["history"])),
        "best_epoch": checkpoint["epoch"],
        "minutes": round(minutes, 3),
        "parameters": sum(tensor.numel() for tensor in checkpoint["state_dict"].values()),
        "best_valid_bits_per_step": checkpoint["best_valid_bits_per_step"],
    }
    metrics["point"] = {"name": point, **settings}
    write_metrics(metrics, outputs["metrics"])
    return metrics
