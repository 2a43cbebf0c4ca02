"""One epoch of training and its validation.

Each batch holds songs of similar length from their first step, cut into chunks of
``sequence_length`` steps; the LSTM state is carried from chunk to chunk and detached, so a song
longer than a chunk is still learned with its whole past as context, while gradients flow only
within a chunk. Validation scores the model exactly as evaluation does.
"""

from __future__ import annotations

import math
import time

from torch import nn

from musiclstm.data.batches import (
    IGNORE,
    SplitData,
    length_batches,
    pad_batch,
    pad_inputs,
    song_ids,
)
from musiclstm.evaluation.metrics import evaluate_songs
from musiclstm.training.setup import TrainingRun


class Deadline:
    """A ``time.perf_counter()`` time after which no new chunk starts (None: no deadline)."""

    def __init__(self, at: float | None):
        self.at = at

    def passed(self) -> bool:
        return self.at is not None and time.perf_counter() > self.at


class EpochTotals:
    """The epoch's summed loss (nats) and predicted tokens so far, added chunk by chunk."""

    def __init__(self):
        self.nats, self.tokens = 0.0, 0


def train_epoch(run: TrainingRun, data: SplitData, deadline: Deadline) -> tuple[float, int]:
    """One pass over ``data`` (the training songs, moved or not); returns (mean bits per step,
    predicted tokens). Past the ``deadline`` the pass ends at the next chunk."""
    run.model.train()
    totals = EpochTotals()
    batch_size = run.settings.training.batch_size
    for indices in length_batches([len(s) for s in data.songs], batch_size, run.rng):
        if totals.tokens and deadline.passed():
            break
        train_batch(run, data, indices, deadline, totals)
    return totals.nats / math.log(2) / totals.tokens, totals.tokens


def train_batch(
    run: TrainingRun, data: SplitData, indices: list[int], deadline: Deadline, totals: EpochTotals
) -> None:
    """Train on one batch of songs, chunk by chunk, adding each chunk's loss to ``totals``."""
    training, device = run.settings.training, run.device
    loss_function = nn.CrossEntropyLoss(ignore_index=IGNORE, reduction="sum")
    tokens, targets = pad_batch(data.songs, indices, run.vocabulary.boundary)
    tokens, targets = tokens.to(device), targets.to(device)
    inputs = pad_inputs(data.inputs, indices, tokens.shape[1]).to(device)
    length, state = training.sequence_length, None
    given = song_ids(targets, run.vocabulary.boundary)
    for start in range(0, tokens.shape[1], length):
        chunk = slice(start, start + length)
        n_tokens = int((targets[:, chunk] != IGNORE).sum())
        if n_tokens == 0:
            break  # the rest of this batch is padding
        if totals.tokens and deadline.passed():
            break
        # A harmoniser reads its given melody anew for each chunk, so its reader learns from all.
        state = run.model.start(given, state)
        logits, state = run.model(tokens[:, chunk], inputs[:, chunk], state)
        state = tuple(s.detach() for s in state)
        loss = loss_function(logits.reshape(-1, logits.shape[-1]), targets[:, chunk].reshape(-1))
        run.optimizer.zero_grad(set_to_none=True)
        (loss / n_tokens).backward()
        nn.utils.clip_grad_norm_(run.model.parameters(), training.clip_norm)
        run.optimizer.step()
        totals.nats += loss.item()
        totals.tokens += n_tokens


def validate(run: TrainingRun) -> float:
    """Validation bits per step of the model as it is."""
    metrics = evaluate_songs(
        run.model, run.valid, run.vocabulary, run.settings.training.batch_size, run.device
    )
    return metrics["bits_per_step"]


def epoch_data(run: TrainingRun) -> SplitData:
    """This epoch's training songs: moved to random keys where augmentation is on."""
    if run.transposer is None:
        return run.train
    songs, inputs = run.transposer.epoch(run.train.songs, run.train.inputs, run.rng)
    return SplitData(songs, run.train.meters, inputs)
