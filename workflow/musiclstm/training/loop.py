"""Training a model: set up, then epochs of training and validation, keeping the best model.

After every epoch the model is scored on the validation songs exactly as evaluation scores them,
and the best model so far is kept. With a state path the whole run is saved after every epoch,
and a run that finds the state of an interrupted run with the same inputs and settings continues
from it (see :mod:`musiclstm.training.state`); the file is removed once the checkpoint is
written. The workflow, the sweeps and the benchmarks all train through :func:`train_model`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from musiclstm.model.checkpoint import make_checkpoint, save_checkpoint
from musiclstm.training.epoch import Deadline, epoch_data, train_epoch, validate
from musiclstm.training.history import write_history
from musiclstm.training.progress import Progress
from musiclstm.training.schedule import LearningRate
from musiclstm.training.setup import RunSettings, TrainingRun, prepare_run
from musiclstm.training.state import (
    load_training_state,
    restore_training_state,
    run_fingerprint,
    save_training_state,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingFiles:
    """A run's inputs (the tensors of two splits and the vocabulary) and outputs."""

    train: Path
    valid: Path
    vocabulary: Path
    checkpoint: Path
    history: Path
    state: Path | None = None  # the resumable state, saved after every epoch; None: not saved

    @classmethod
    def in_folders(cls, data: Path, out: Path, resumable: bool = False) -> TrainingFiles:
        """A data folder's tensors and vocabulary (as the workflow writes them), the outputs in
        ``out`` (with the resumable state where ``resumable``)."""
        return cls(
            train=data / "train.npz",
            valid=data / "valid.npz",
            vocabulary=data / "vocabulary.json",
            checkpoint=out / "checkpoint.pt",
            history=out / "history.csv",
            state=out / "training_state.pt" if resumable else None,
        )


def train_model(files: TrainingFiles, settings: RunSettings) -> dict:
    """Train a model and save its best checkpoint and history; returns the checkpoint dict."""
    run = prepare_run(files.train, files.valid, files.vocabulary, settings)
    fingerprint = run_fingerprint(
        [files.train, files.valid, files.vocabulary],
        # A state resumes only on as many threads, and from the same start.
        settings.config() | {"threads": run.threads, "init_from": run.origin},
    )
    progress, first_epoch = resume(run, files.state, fingerprint)
    started = time.perf_counter() - progress.seconds
    budget = settings.training.max_minutes
    # A model with long epochs (the window model) stops at the budget, within its epoch.
    deadline = Deadline(None if budget is None else started + budget * 60)
    rate = LearningRate(run.optimizer, settings.training)
    for epoch in range(first_epoch, settings.training.epochs + 1):
        run_epoch(run, epoch, rate, deadline, progress)
        progress.seconds = time.perf_counter() - started
        if files.state:
            save_training_state(
                files.state, fingerprint, epoch, run.model, run.optimizer, run.rng,
                progress.as_dict(),
            )  # fmt: skip
        if progress.patience_spent(settings.training):
            log.info("stopping: no improvement for %d epochs", progress.epochs_since_best)
            break
        if deadline.passed():
            log.info("stopping: the time budget of %s minutes is spent", budget)
            break
    save_checkpoint(progress.checkpoint, files.checkpoint)
    write_history(progress.history, files.history)
    if files.state:
        Path(files.state).unlink(missing_ok=True)
    log.info(
        "best validation %.4f bits/step at epoch %d", progress.best, progress.checkpoint["epoch"]
    )
    return progress.checkpoint


def resume(run: TrainingRun, state_path: Path | None, fingerprint: str) -> tuple[Progress, int]:
    """The progress and first epoch of the run: those of an interrupted run of the same inputs
    and settings where its state was saved, else a fresh start at epoch 1."""
    saved = load_training_state(state_path, fingerprint) if state_path else None
    if not saved:
        return Progress(), 1
    restore_training_state(saved, run.model, run.optimizer, run.rng)
    progress = Progress(**saved["progress"])
    log.info("resuming from %s after epoch %d", state_path, saved["epoch"])
    training = run.settings.training
    if progress.patience_spent(training) or progress.budget_spent(training):
        return progress, training.epochs + 1  # the saved run had already stopped
    return progress, saved["epoch"] + 1


def run_epoch(
    run: TrainingRun, epoch: int, rate: LearningRate, deadline: Deadline, progress: Progress
) -> None:
    """Train and validate one epoch, and record it (with its checkpoint where it improved)."""
    epoch_start = time.perf_counter()
    rate.before_epoch(epoch)
    train_bits, n_tokens = train_epoch(run, epoch_data(run), deadline)
    seconds = time.perf_counter() - epoch_start
    valid_bits = validate(run)
    improved = valid_bits < progress.best
    row = {
        "epoch": epoch,
        "train_bits_per_step": round(train_bits, 6),
        "valid_bits_per_step": round(valid_bits, 6),
        "learning_rate": rate.current(),
        "tokens_per_second": round(n_tokens / seconds),
        "seconds": round(seconds, 2),
        "best": int(improved),
    }
    log.info(
        "epoch %d/%d  train %.4f  valid %.4f bits/step  %.0f tokens/s  %.1f s%s",
        epoch, run.settings.training.epochs, train_bits, valid_bits, n_tokens / seconds, seconds,
        "  (best)" if improved else "",
    )  # fmt: skip
    checkpoint = None
    if improved:
        checkpoint = make_checkpoint(
            run.model, run.args, run.vocabulary, run.representation, run.settings.config(),
            epoch, valid_bits, run.threads, run.origin, run.settings.texture,
        )  # fmt: skip
    progress.record(row, valid_bits, checkpoint)
    rate.after_epoch(improved)
