"""The training loop: whole-song batches, truncated backpropagation, early stopping on validation.

Each batch holds songs of similar length from their first step, cut into chunks of
``sequence_length`` steps; the LSTM state is carried from chunk to chunk and detached, so a song
longer than a chunk is still learned with its whole past as context, while gradients flow only
within a chunk. After every epoch the model is scored on the validation songs exactly as
evaluation scores them, and the best model so far is saved.
"""

from __future__ import annotations

import csv
import logging
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from melodylstm.data.batches import (
    IGNORE,
    length_batches,
    pad_batch,
    pad_features,
    padding_share,
    songs_features,
)
from melodylstm.data.tensors import load_meters, load_songs
from melodylstm.data.vocabulary import Vocabulary, load_vocabulary
from melodylstm.evaluation.metrics import evaluate_songs
from melodylstm.model.lstm import build_model, count_parameters, model_args, pick_device, run_model
from melodylstm.training.augmentation import Transposer
from melodylstm.training.state import (
    atomic_path,
    load_training_state,
    restore_training_state,
    run_fingerprint,
    save_training_state,
)

log = logging.getLogger(__name__)

HISTORY_COLUMNS = (
    "epoch",
    "train_bits_per_step",
    "valid_bits_per_step",
    "learning_rate",
    "tokens_per_second",
    "seconds",
    "best",
)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    songs: list[np.ndarray],
    boundary: int,
    training: dict,
    rng: np.random.Generator,
    device: torch.device,
    deadline: float | None = None,
    song_features: list[np.ndarray] | None = None,
) -> tuple[float, int]:
    """One pass over the training songs; returns (mean bits per step, predicted tokens).

    With a ``deadline`` (a ``time.perf_counter()`` value) the pass ends early at the first chunk
    that would start after it.
    """
    model.train()
    loss_function = nn.CrossEntropyLoss(ignore_index=IGNORE, reduction="sum")
    total_nats, total_tokens = 0.0, 0
    length = training["sequence_length"]
    for indices in length_batches([len(s) for s in songs], training["batch_size"], rng):
        if deadline is not None and total_tokens and time.perf_counter() > deadline:
            break
        inputs, targets = pad_batch(songs, indices, boundary)
        inputs, targets = inputs.to(device), targets.to(device)
        features = None
        if song_features is not None:
            features = pad_features(song_features, indices, inputs.shape[1]).to(device)
        state = None
        for start in range(0, inputs.shape[1], length):
            chunk_targets = targets[:, start : start + length]
            n_tokens = int((chunk_targets != IGNORE).sum())
            if n_tokens == 0:
                break  # the rest of this batch is padding
            if deadline is not None and total_tokens and time.perf_counter() > deadline:
                break
            chunk_features = None if features is None else features[:, start : start + length]
            logits, state = run_model(
                model, inputs[:, start : start + length], state, chunk_features
            )
            state = tuple(s.detach() for s in state)
            loss = loss_function(logits.reshape(-1, logits.shape[-1]), chunk_targets.reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            (loss / n_tokens).backward()
            nn.utils.clip_grad_norm_(model.parameters(), training["clip_norm"])
            optimizer.step()
            total_nats += loss.item()
            total_tokens += n_tokens
    return total_nats / math.log(2) / total_tokens, total_tokens


def cosine_rate(peak: float, epoch: int, epochs: int) -> float:
    """The learning rate of ``epoch`` (from 1) on a half cosine from ``peak`` down to nearly 0
    over ``epochs``."""
    return peak * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))


def train_model(
    train_path: Path,
    valid_path: Path,
    vocabulary_path: Path,
    checkpoint_path: Path,
    history_path: Path,
    model_config: dict,
    training: dict,
    encoding: dict,
    threads: int = 1,
    state_path: Path | None = None,
) -> dict:
    """Train a model and save its best checkpoint; returns the checkpoint dict.

    With a ``state_path`` the whole training state is saved there after every epoch, and a run
    that finds the state of an interrupted run with the same inputs and settings continues from
    it (see :mod:`melodylstm.training.state`); the file is removed once the checkpoint is written.
    """
    torch.set_num_threads(threads)
    seed_everything(training["seed"])
    device = pick_device(training["device"])
    vocabulary = Vocabulary(load_vocabulary(vocabulary_path))
    train_songs = load_songs(train_path)
    valid_songs = load_songs(valid_path)
    train_meters, valid_meters = load_meters(train_path), load_meters(valid_path)
    if not train_songs or not valid_songs:
        raise ValueError(
            f"training needs songs in both the train ({len(train_songs)}) and valid "
            f"({len(valid_songs)}) splits; add songs or change split fractions"
        )
    args = model_args(len(vocabulary), model_config, vocabulary.boundary)
    model = build_model(args).to(device)
    uses_features = getattr(model, "uses_features", False)
    train_features = songs_features(
        train_songs,
        train_meters if uses_features else None,
        vocabulary.boundary,
        getattr(model, "lookback_bars", ()),
    )
    optimizer = torch.optim.Adam(
        model.parameters(), lr=training["learning_rate"], weight_decay=training["weight_decay"]
    )
    rng = np.random.default_rng(training["seed"])
    log.info(
        "training %d parameters on %s with %d threads: %d train songs (%d steps), %d valid songs; "
        "padding %.1f%% of batch cells",
        count_parameters(model),
        device,
        threads,
        len(train_songs),
        sum(len(s) for s in train_songs),
        len(valid_songs),
        100
        * padding_share(
            train_songs, length_batches([len(s) for s in train_songs], training["batch_size"])
        ),
    )
    checkpoint: dict = {}
    best = math.inf
    epochs_since_best = 0
    history = []
    first_epoch, seconds_before = 1, 0.0
    fingerprint = run_fingerprint(
        [train_path, valid_path, vocabulary_path],
        {"model": model_config, "training": training, "encoding": encoding},
    )
    saved = load_training_state(state_path, fingerprint) if state_path else None
    if saved:
        restore_training_state(saved, model, optimizer, rng)
        progress = saved["progress"]
        checkpoint, best, history = progress["checkpoint"], progress["best"], progress["history"]
        epochs_since_best, seconds_before = progress["epochs_since_best"], progress["seconds"]
        first_epoch = saved["epoch"] + 1
        minutes = training["max_minutes"]
        if epochs_since_best >= training["patience"] or (
            minutes is not None and seconds_before > minutes * 60
        ):
            first_epoch = training["epochs"] + 1  # the saved run had already stopped
        log.info("resuming from %s after epoch %d", state_path, saved["epoch"])
    started = time.perf_counter() - seconds_before
    budget = training["max_minutes"]
    # A model with long epochs (the window model) stops at the budget, within its epoch.
    deadline = None if budget is None else started + budget * 60
    semitones = training.get("augment_semitones", 0)
    transposer = Transposer(vocabulary, semitones, train_songs) if semitones else None
    cosine = training.get("lr_schedule", "plateau") == "cosine"
    for epoch in range(first_epoch, training["epochs"] + 1):
        epoch_start = time.perf_counter()
        if cosine:
            for group in optimizer.param_groups:
                group["lr"] = cosine_rate(training["learning_rate"], epoch, training["epochs"])
        songs, features = train_songs, train_features
        if transposer is not None:
            songs, features = transposer.epoch(train_songs, train_features, rng)
        train_bits, n_tokens = train_epoch(
            model,
            optimizer,
            songs,
            vocabulary.boundary,
            training,
            rng,
            device,
            deadline,
            features,
        )
        seconds = time.perf_counter() - epoch_start
        valid_bits = evaluate_songs(
            model, valid_songs, vocabulary, training["batch_size"], device, valid_meters
        )["bits_per_step"]
        improved = valid_bits < best
        history.append(
            {
                "epoch": epoch,
                "train_bits_per_step": round(train_bits, 6),
                "valid_bits_per_step": round(valid_bits, 6),
                "learning_rate": optimizer.param_groups[0]["lr"],
                "tokens_per_second": round(n_tokens / seconds),
                "seconds": round(seconds, 2),
                "best": int(improved),
            }
        )
        log.info(
            "epoch %d/%d  train %.4f  valid %.4f bits/step  %.0f tokens/s  %.1f s%s",
            epoch,
            training["epochs"],
            train_bits,
            valid_bits,
            n_tokens / seconds,
            seconds,
            "  (best)" if improved else "",
        )
        if improved:
            best, epochs_since_best = valid_bits, 0
            checkpoint = {
                "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                "model_args": args,
                "vocabulary": vocabulary.tokens,
                "config": {"model": model_config, "training": training, "encoding": encoding},
                "epoch": epoch,
                "best_valid_bits_per_step": best,
            }
        else:
            epochs_since_best += 1
            if not cosine:
                # Anneal: a smaller step often finds the better minimum the last epoch overshot.
                for group in optimizer.param_groups:
                    group["lr"] *= training["lr_decay"]
        if state_path:
            progress = {
                "checkpoint": checkpoint,
                "best": best,
                "epochs_since_best": epochs_since_best,
                "history": history,
                "seconds": time.perf_counter() - started,
            }
            save_training_state(state_path, fingerprint, epoch, model, optimizer, rng, progress)
        if epochs_since_best >= training["patience"]:
            log.info("stopping: no improvement for %d epochs", epochs_since_best)
            break
        if deadline is not None and time.perf_counter() > deadline:
            log.info("stopping: the time budget of %s minutes is spent", budget)
            break
    # Saved through a handle: a path would put the temporary file's name into the archive.
    with atomic_path(checkpoint_path) as temporary, open(temporary, "wb") as handle:
        torch.save(checkpoint, handle)
    write_history(history, history_path)
    if state_path:
        Path(state_path).unlink(missing_ok=True)
    log.info("best validation %.4f bits/step at epoch %d", best, checkpoint["epoch"])
    return checkpoint


def write_history(history: list[dict], path: Path) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
        writer = csv.DictWriter(handle, HISTORY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)
