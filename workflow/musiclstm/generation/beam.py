"""Beam search: the most likely continuations of a seed."""

from __future__ import annotations

import torch

from musiclstm.generation.stepper import Stepper
from musiclstm.generation.strategies import SongRequest, StepBans
from musiclstm.model.checkpoint import TrainedModel


@torch.inference_mode()
def beam_search(
    trained: TrainedModel, request: SongRequest, beam_width: int, n_best: int = 1
) -> list[list[str]]:
    """The ``n_best`` most likely continuations found by a beam ``beam_width`` wide.

    A hypothesis that chooses the song boundary is complete; the others are complete after
    ``request.steps`` tokens. Complete hypotheses compete on their total log-probability (the
    boundary's included). Greedy decoding is run too and counted among the candidates, so the
    best answer is never less likely than greedy's.
    """
    width = max(beam_width, n_best)
    candidates = beam_candidates(trained, request, width)
    if width > 1:
        candidates += beam_candidates(trained, request, 1)
    best: list[tuple[float, list[int]]] = []
    for score, tokens in sorted(candidates, key=lambda c: -c[0]):
        if tokens not in [t for _, t in best]:
            best.append((score, tokens))
    return [request.seed + trained.vocabulary.decode(tokens) for _, tokens in best[:n_best]]


def beam_candidates(
    trained: TrainedModel, request: SongRequest, width: int
) -> list[tuple[float, list[int]]]:
    """Complete hypotheses ``(log-probability, new token ids)`` of one beam search."""
    boundary = trained.vocabulary.boundary
    stepper = Stepper(trained, request.seed, [request.meter], request.steps)
    bans = StepBans(trained, request.min_steps, bool(request.seed), len(request.seed))
    beams: list[tuple[float, list[int]]] = [(0.0, [])]
    complete: list[tuple[float, list[int]]] = []
    for step in range(request.steps):
        log_probs = bans.apply(stepper.log_probs, step)
        totals = torch.tensor([score for score, _ in beams]).unsqueeze(1) + log_probs
        flat = totals.view(-1)
        top = flat.topk(min(width, int(torch.isfinite(flat).sum())))
        survivors, keep, chosen = [], [], []
        for score, index in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            row, token = divmod(index, log_probs.shape[1])
            if token == boundary:
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
