"""Held-out metrics of a model, every song scored from its start on its own.

- ``bits_per_step``: mean -log2 p over every token of each song plus its end-of-song token;
- ``bits_per_note``: the same total divided by the number of note and rest onsets;
- ``pitch_bits_per_note``: where the true token is a pitch, -log2 of its probability renormalised
  over the pitch tokens only (how well the model knows *which* note comes, given that one does);
- ``steps``, ``onsets`` and ``pitches``: what each rate is over, so that the rates of several
  splits pool (cross-validation) as total bits over the total count;
- ``accuracy`` on all steps and ``onset_accuracy`` on steps whose true token is a note or rest.
"""

from __future__ import annotations

import math
from collections import Counter

import torch

from musiclstm.data.batches import (
    IGNORE,
    SplitData,
    length_batches,
    pad_batch,
    pad_inputs,
    song_ids,
)
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.model.base import LanguageModel
from musiclstm.music.tokens import is_onset, is_pitch

LN2 = math.log(2.0)


class TokenKinds:
    """Which token ids of a vocabulary are pitches and which are onsets (a note or a rest)."""

    def __init__(self, vocabulary: Vocabulary):
        self.pitch_ids = torch.tensor([i for i, t in enumerate(vocabulary.tokens) if is_pitch(t)])
        self.is_pitch = torch.zeros(len(vocabulary), dtype=torch.bool)
        self.is_pitch[self.pitch_ids] = True
        self.is_onset = torch.tensor([is_onset(t) for t in vocabulary.tokens])
        self.unknown = vocabulary.unknown


def batch_totals(log_probs: torch.Tensor, targets: torch.Tensor, kinds: TokenKinds) -> Counter:
    """The sums the metrics are made of, over one batch's real (not padding) targets."""
    real = targets != IGNORE
    safe_targets = targets.clamp(min=0)
    true_log_probs = log_probs.gather(-1, safe_targets.unsqueeze(-1)).squeeze(-1)
    onset = real & kinds.is_onset[safe_targets]
    pitch = real & kinds.is_pitch[safe_targets]
    correct = real & (log_probs.argmax(-1) == targets)
    # Renormalise over the pitch tokens: log p(pitch) - log sum over pitches p.
    pitch_log_norm = torch.logsumexp(log_probs[..., kinds.pitch_ids], dim=-1)
    return Counter(
        nats=-true_log_probs[real].sum().item(),
        steps=real.sum().item(),
        onsets=onset.sum().item(),
        pitch_nats=-(true_log_probs - pitch_log_norm)[pitch].sum().item(),
        pitches=pitch.sum().item(),
        correct=correct.sum().item(),
        onsets_correct=(correct & onset).sum().item(),
        unknown=(real & (targets == kinds.unknown)).sum().item(),
    )


@torch.no_grad()
def split_log_probs(
    model: LanguageModel,
    data: SplitData,
    boundary: int,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
):
    """The model's log-probabilities of every next token of a split, one length batch of songs
    at a time, each song from its start: ``(tokens, targets, log_probs)`` per batch, padded
    (targets ``IGNORE`` where there is no real one), on the CPU."""
    for indices in length_batches([len(song) for song in data.songs], batch_size):
        tokens, targets = pad_batch(data.songs, indices, boundary)
        inputs = pad_inputs(data.inputs, indices, tokens.shape[1]).to(device)
        state = model.start(song_ids(targets, boundary).to(device))
        logits, _ = model(tokens.to(device), inputs, state)
        yield tokens, targets, torch.log_softmax(logits.float(), dim=-1).cpu()


def evaluate_songs(
    model: LanguageModel,
    data: SplitData,
    vocabulary: Vocabulary,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    views: tuple = (),
) -> dict:
    """The metrics of a split's songs under ``model``, and under each of ``views`` (a texture's
    own, e.g. by voice: objects with a ``name``, ``totals(log_probs, targets)`` and
    ``metrics(totals, songs)``) the view's metrics, from the same log-probabilities: one pass,
    one rule for every figure (every token of the vocabulary keeps its probability)."""
    model.eval()
    kinds = TokenKinds(vocabulary)
    totals = Counter(dict.fromkeys(("nats", "steps", "onsets", "pitch_nats", "pitches"), 0.0))
    view_totals = [Counter() for _ in views]
    batches = split_log_probs(model, data, vocabulary.boundary, batch_size, device)
    for _, targets, log_probs in batches:
        totals.update(batch_totals(log_probs, targets, kinds))
        for view, counted in zip(views, view_totals, strict=True):
            counted.update(view.totals(log_probs, targets))
    metrics = metrics_of(totals, len(data))
    for view, counted in zip(views, view_totals, strict=True):
        metrics[view.name] = view.metrics(counted, len(data))
    return metrics


def metrics_of(totals: Counter, songs: int) -> dict:
    return {
        "songs": songs,
        "steps": int(totals["steps"]),
        "onsets": int(totals["onsets"]),
        "pitches": int(totals["pitches"]),
        "unknown_tokens": int(totals["unknown"]),
        "bits_per_step": ratio(totals["nats"] / LN2, totals["steps"]),
        "bits_per_note": ratio(totals["nats"] / LN2, totals["onsets"]),
        "pitch_bits_per_note": ratio(totals["pitch_nats"] / LN2, totals["pitches"]),
        "accuracy": ratio(totals["correct"], totals["steps"]),
        "onset_accuracy": ratio(totals["onsets_correct"], totals["onsets"]),
    }


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None (null in JSON) for an empty split."""
    return numerator / denominator if denominator else None


def without_form(data, representation, boundary: int):
    """``data`` (a :class:`~musiclstm.data.batches.SplitData`) with no song's form given."""
    from musiclstm.data.batches import SplitData

    meters = [meter._replace(form=()) for meter in data.meters]
    return SplitData(data.songs, meters, representation.songs_inputs(data.songs, meters, boundary))


def evaluate_checkpoint(
    checkpoint_path,
    split_paths: dict,
    metrics_path=None,
    threads: int = 1,
    batch_size: int = 64,
    train_path=None,
    recall_path=None,
) -> dict:
    """Score a checkpoint on each named split; with a ``metrics_path``, write the metrics there.

    The checkpoint's texture adds its own views of each split (a chorale's by frame and voice,
    see :mod:`musiclstm.evaluation.chorale_metrics`) and, given the ``train_path``, its baseline
    fitted on it (``baseline``). Given the weights of the model's recall (``recall_path``,
    :mod:`musiclstm.model.recall`), each split is scored again with it (``{split}_with_recall``;
    the weights under ``recall``): the validation figure is the one they were fitted on.
    """
    from musiclstm.data.batches import load_split
    from musiclstm.evaluation.result_files import write_metrics
    from musiclstm.model.checkpoint import TrainedModel
    from musiclstm.model.recall import RecallWeights, with_recall

    torch.set_num_threads(threads)
    trained = TrainedModel.load(checkpoint_path)
    texture, vocabulary = trained.texture, trained.vocabulary
    views = texture.metric_views(vocabulary)
    metrics = {"checkpoint_epoch": trained.epoch}
    splits = {}
    for name, path in split_paths.items():
        data = splits[name] = load_split(path, trained.representation, vocabulary)
        metrics[name] = evaluate_songs(trained.model, data, vocabulary, batch_size, views=views)
        if any(meter.form for meter in data.meters):
            # Told each song's own form, a model has a hint of what comes; told none, it
            # scores as a model without the form input does.
            blind = without_form(data, trained.representation, vocabulary.boundary)
            metrics[f"{name}_without_form"] = evaluate_songs(
                trained.model, blind, vocabulary, batch_size, views=views
            )
    if recall_path is not None:
        weights = RecallWeights.read(recall_path)
        recalling = with_recall(trained, weights).model
        metrics["recall"] = weights.describe()
        for name, data in splits.items():
            metrics[f"{name}_with_recall"] = evaluate_songs(
                recalling, data, vocabulary, batch_size, views=views
            )
    if train_path is not None:
        train = load_split(train_path, trained.representation, vocabulary)
        metrics |= texture.baseline_metrics(train, splits, vocabulary)
    if metrics_path is not None:
        write_metrics(metrics, metrics_path)
    return metrics
