"""Feeding a model one token at a time: the seed once, then a step per token, with its state
carried forward (no window is re-run)."""

from __future__ import annotations

import math

import torch

from musiclstm.model.checkpoint import TrainedModel
from musiclstm.representation.base import UNKNOWN_METER, Meter


def one_step_kernels():
    """PyTorch's plain CPU LSTM kernels: oneDNN's cost about ten times more for a single step."""
    return torch.backends.mkldnn.flags(enabled=False, deterministic=None, allow_tf32=None)


class Stepper:
    """Advances a batch of songs, one per entry of ``meters``, through the model one token at a
    time, all starting with ``seed_tokens`` (the seed starts ``pickup`` steps into a bar).

    ``logits`` are the next token's logits of each row, -inf for the unknown-token symbol, which
    is never written; ``log_probs`` the same normalised. ``fast=False`` steps through the model's
    own modules even where it has a faster step function. ``given`` (ids of the whole song, -1
    where free) is what a representation reading ahead sees of the song to come.
    """

    @torch.inference_mode()
    def __init__(
        self,
        trained: TrainedModel,
        seed_tokens: list[str],
        meters: list[Meter],
        max_steps: int,
        fast: bool = True,
        given=None,
    ):
        self.model, self.vocabulary = trained.model.eval(), trained.vocabulary
        self.device = next(self.model.parameters()).device
        self.step = self.model.stepper(fast)
        boundary = self.vocabulary.boundary
        seed = self.vocabulary.encode(seed_tokens)
        self.inputs = trained.representation.step_inputs(seed, meters, boundary, max_steps, given)
        primer = torch.tensor([[boundary, *seed]] * len(meters), device=self.device)
        # The seed's inputs are the first rows of the step table (which sees what is given).
        primer_inputs = torch.as_tensor(self.inputs.leading(len(seed) + 1))
        start = self.model.start(self.given_rows(given, len(meters), max_steps + len(seed)))
        with one_step_kernels():
            logits, self.state = self.model(primer, primer_inputs.to(self.device), start)
        self.logits = self.masked(logits[:, -1])

    def given_rows(self, given, rows: int, steps: int) -> torch.Tensor:
        """``given`` (-1 where free; none given where None) over the piece's ``steps``, once
        per row."""
        ids = torch.full((steps,), -1, dtype=torch.long)
        if given is not None:
            given = torch.as_tensor(given[:steps], dtype=torch.long)
            ids[: len(given)] = given
        return ids.expand(rows, -1).to(self.device)

    def masked(self, logits: torch.Tensor) -> torch.Tensor:
        logits = logits.float().cpu()
        logits[:, self.vocabulary.unknown] = -math.inf
        return logits

    @property
    def log_probs(self) -> torch.Tensor:
        return torch.log_softmax(self.logits, dim=-1)

    @torch.inference_mode()
    def advance(self, tokens: torch.Tensor, keep: torch.Tensor | None = None) -> None:
        """Feed one token per row; ``keep`` reorders the rows first (beam search)."""
        if keep is not None:
            self.state = tuple(part[:, keep.to(self.device)] for part in self.state)
            self.inputs.reorder(keep.numpy())
        tokens = tokens.view(-1)
        inputs = torch.from_numpy(self.inputs.next(tokens.cpu().numpy())).to(self.device)
        with one_step_kernels():
            logits, self.state = self.step(tokens.to(self.device), inputs, self.state)
        self.logits = self.masked(logits)


@torch.inference_mode()
def sequence_log_prob(
    trained: TrainedModel, tokens: list[str], start: int, meter: Meter = UNKNOWN_METER
) -> float:
    """Log-probability (natural log) of ``tokens[start:]`` given what comes before."""
    vocabulary = trained.vocabulary
    encoded = vocabulary.encode(tokens)
    ids = torch.tensor([[vocabulary.boundary, *encoded]])
    device = next(trained.model.parameters()).device
    inputs = trained.representation.song_inputs(encoded, meter, vocabulary.boundary)
    inputs = torch.as_tensor(inputs).unsqueeze(0).to(device)
    opening = trained.model.start(torch.tensor([encoded], device=device))
    logits, _ = trained.model.eval()(ids.to(device), inputs, opening)
    logits = logits.float().cpu()[0, :-1]
    logits[:, vocabulary.unknown] = -math.inf
    log_probs = torch.log_softmax(logits, dim=-1)
    targets = ids[0, 1:]
    return float(log_probs[torch.arange(len(targets)), targets][start:].sum())
