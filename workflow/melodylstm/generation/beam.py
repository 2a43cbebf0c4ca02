"""Beam search: the most likely continuations of a seed."""

from __future__ import annotations

import logging

import torch

from melodylstm.data.vocabulary import Vocabulary
from melodylstm.generation.stepper import Stepper
from melodylstm.generation.strategies import Sampling, StepBans
from melodylstm.model.lstm import MelodyLSTM

log = logging.getLogger(__name__)

STRATEGIES = ("temperature", "top_k", "top_p", "beam")
TONIC_NAMES = {
    "C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "F": 5, "E#": 5,
    "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11,
}  # fmt: skip


@torch.inference_mode()
def beam_search(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    seed_tokens: list[str],
    steps: int,
    sampling: Sampling,
    n_best: int = 1,
    min_steps: int = 0,
    meter: tuple[int, int] = (0, 0),
) -> list[list[str]]:
    """The ``n_best`` most likely continuations found by a beam ``beam_width`` wide.

    A hypothesis that chooses the song boundary is complete; the others are complete after
    ``steps`` tokens. Complete hypotheses compete on their total log-probability (the boundary's
    included). Greedy decoding is run too and counted among the candidates, so the best answer is
    never less likely than greedy's.
    """
    width = max(sampling.beam_width, n_best)
    candidates = beam_candidates(model, vocabulary, seed_tokens, steps, width, min_steps, meter)
    if width > 1:
        candidates += beam_candidates(model, vocabulary, seed_tokens, steps, 1, min_steps, meter)
    best: list[tuple[float, list[int]]] = []
    for score, tokens in sorted(candidates, key=lambda c: -c[0]):
        if tokens not in [t for _, t in best]:
            best.append((score, tokens))
    return [seed_tokens + vocabulary.decode(tokens) for _, tokens in best[:n_best]]


def beam_candidates(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    seed_tokens: list[str],
    steps: int,
    width: int,
    min_steps: int,
    meter: tuple[int, int] = (0, 0),
) -> list[tuple[float, list[int]]]:
    """Complete hypotheses ``(log-probability, new token ids)`` of one beam search."""
    stepper = Stepper(model, vocabulary, seed_tokens, 1, meter)
    bans = StepBans(vocabulary, min_steps, bool(seed_tokens))
    beams: list[tuple[float, list[int]]] = [(0.0, [])]
    complete: list[tuple[float, list[int]]] = []
    for step in range(steps):
        log_probs = bans.apply(stepper.log_probs, step)
        totals = torch.tensor([score for score, _ in beams]).unsqueeze(1) + log_probs
        flat = totals.view(-1)
        top = flat.topk(min(width, int(torch.isfinite(flat).sum())))
        survivors, keep, chosen = [], [], []
        for score, index in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            row, token = divmod(index, log_probs.shape[1])
            if token == vocabulary.boundary:
                complete.append((score, beams[row][1]))
            else:
                survivors.append((score, beams[row][1] + [token]))
                keep.append(row)
                chosen.append(token)
        if not survivors:
            return complete
        beams = survivors
        stepper.advance(torch.tensor(chosen), keep=torch.tensor(keep))
    return complete + beams
