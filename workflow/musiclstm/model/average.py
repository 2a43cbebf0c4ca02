"""Several trained models as one: the mean of their next-token distributions.

Models trained alike from different seeds make different mistakes, so their average is surer
where they agree and hedges where they do not; on held-out pieces it scores better than each of
them. :class:`ModelAverage` has the models' interface (:mod:`musiclstm.model.base`): its logits
are the log of the mean probabilities, and its state holds each model's state in turn.
"""

from __future__ import annotations

import math

import torch

from musiclstm.model.base import LanguageModel, State


class ModelAverage(LanguageModel):
    """The mean of ``models``' distributions; the models read the same tokens and inputs."""

    def __init__(self, models: list[LanguageModel]):
        super().__init__()
        self.models = torch.nn.ModuleList(models)

    def split(self, state: State | None) -> list[State | None]:
        """Each model's part of ``state``, whose last tensor says how many tensors each has."""
        if state is None:
            return [None] * len(self.models)
        parts, start = [], 0
        for size in state[-1][0, 0].tolist():
            parts.append(state[start : start + size] or None)
            start += size
        return parts

    def join(self, states: list[State | None], rows: int) -> State:
        """The models' states as one, ending with their sizes (laid out (1, rows, models) like
        every state tensor, so that picking rows keeps them)."""
        sizes = torch.tensor([len(state or ()) for state in states]).repeat(1, rows, 1)
        return (*(tensor for state in states for tensor in state or ()), sizes)

    def start(self, given: torch.Tensor, state: State | None = None) -> State | None:
        states = [
            model.start(given, part)
            for model, part in zip(self.models, self.split(state), strict=True)
        ]
        return None if all(s is None for s in states) else self.join(states, given.shape[0])

    def forward(self, tokens: torch.Tensor, inputs: torch.Tensor, state: State | None = None):
        outputs = [
            model(tokens, inputs, part)
            for model, part in zip(self.models, self.split(state), strict=True)
        ]
        log_probs = torch.stack([torch.log_softmax(logits.float(), -1) for logits, _ in outputs])
        mean = torch.logsumexp(log_probs, dim=0) - math.log(len(self.models))
        return mean, self.join([s for _, s in outputs], tokens.shape[0])
