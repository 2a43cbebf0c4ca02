"""What every model of the workflow is: one forward signature and one step method.

``logits, state = model(tokens, inputs, state)`` takes (batch, time) token ids and the
representation's per-step inputs (batch, time, columns) and gives the next token's logits at
every position and the state after the last one; feeding a sequence in pieces with the state
carried gives the same logits as feeding it whole. ``model.stepper()`` is the function that
sampling calls once per token, ``logits, state = step(tokens, inputs, state)`` on (rows,) tokens
and (rows, columns) inputs; a model may return a faster function than its modules (the
per-step LSTM's :class:`~musiclstm.model.step_kernel.StepKernel`), equal to float rounding.

A state is a tuple of tensors laid out (layers, rows, ...), so code that picks or reorders the
songs of a batch (``part[:, rows]``, as beam search does) treats every model alike.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

State = tuple[torch.Tensor, ...]
Step = Callable[[torch.Tensor, torch.Tensor, State], tuple[torch.Tensor, State]]


class LanguageModel(nn.Module):
    """A next-token model over a representation's token ids and per-step inputs."""

    def forward(
        self, tokens: torch.Tensor, inputs: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        raise NotImplementedError

    def step(self, tokens: torch.Tensor, inputs: torch.Tensor, state: State):
        """One token per row through the model's own modules: (rows, vocab) logits, state."""
        logits, state = self(tokens.view(-1, 1), inputs.unsqueeze(1), state)
        return logits[:, -1], state

    def start(self, given: torch.Tensor, state: State | None = None) -> State | None:
        """The state a piece is fed from, given the ids (rows, steps) fixed at each of its steps
        (-1 where none): ``state`` itself (None: the start) for a model that reads nothing
        ahead of it."""
        return state

    def stepper(self, fast: bool = True) -> Step:
        """The step function sampling uses; ``fast=False`` always steps through the modules."""
        return self.step
