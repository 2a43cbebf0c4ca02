"""Feeding a model one token at a time: the seed once, then a step per token, with its state
carried forward (no window is re-run)."""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from melodylstm.data.vocabulary import Vocabulary
from melodylstm.model.lstm import MelodyLSTM, run_model
from melodylstm.model.step_kernel import StepKernel, kernel_supports
from melodylstm.representation.features import (
    DEFAULT_BAR,
    meter_columns,
    step_features,
)

log = logging.getLogger(__name__)

STRATEGIES = ("temperature", "top_k", "top_p", "beam")
TONIC_NAMES = {
    "C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "F": 5, "E#": 5,
    "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11,
}  # fmt: skip


def one_step_kernels():
    """PyTorch's plain CPU LSTM kernels: oneDNN's cost about ten times more for a single step."""
    return torch.backends.mkldnn.flags(enabled=False, deterministic=None, allow_tf32=None)


class Stepper:
    """Advances a batch of songs through the model one token at a time.

    ``meter`` is ``(bar steps, pickup steps)`` of the songs, for a model that reads bar positions
    and lookbacks (the seed starts ``pickup`` steps into a bar); (0, 0) means unknown.
    ``logits`` are the next token's logits of each row, -inf for the unknown-token symbol, which
    is never written; ``log_probs`` the same normalised.
    """

    @torch.inference_mode()
    def __init__(
        self,
        model: MelodyLSTM,
        vocabulary: Vocabulary,
        seed_tokens: list[str],
        rows: int,
        meter: tuple[int, int] = (0, 0),
        fast_step: bool = True,
    ):
        self.model = model.eval()
        self.vocabulary = vocabulary
        self.device = next(model.parameters()).device
        self.meter = meter
        self.uses_features = getattr(model, "uses_features", False)
        self.lookback_bars = getattr(model, "lookback_bars", ())
        banned = (vocabulary.unknown,)
        fast = fast_step and kernel_supports(model)
        self.kernel = StepKernel(model, banned) if fast else None
        seed = vocabulary.encode(seed_tokens)
        # The tokens so far, one (rows,) tensor per step: the lookbacks read them column-wise.
        self.columns = [torch.full((rows,), token, dtype=torch.long) for token in seed]
        self.rows = rows
        primer = torch.tensor([[vocabulary.boundary, *seed]] * rows, device=self.device)
        features = None
        if self.uses_features:
            per_step = step_features(
                np.array(seed), *meter, vocabulary.boundary, lookback_bars=self.lookback_bars
            )
            features = torch.as_tensor(per_step).expand(rows, -1, -1).to(self.device)
        with one_step_kernels():
            logits, self.state = run_model(model, primer, None, features)
        self.logits = self._masked(logits[:, -1])

    def _masked(self, logits: torch.Tensor) -> torch.Tensor:
        logits = logits.float().cpu()
        logits[:, self.vocabulary.unknown] = -math.inf
        return logits

    @property
    def log_probs(self) -> torch.Tensor:
        return torch.log_softmax(self.logits, dim=-1)

    def lookbacks(self) -> list[torch.Tensor]:
        """The tokens the lookbacks of the next step read, one (rows,) tensor each."""
        step = len(self.columns)
        span = self.meter[0] or DEFAULT_BAR
        boundary = torch.full((self.rows,), self.vocabulary.boundary, dtype=torch.long)
        return [
            self.columns[step - bars * span] if step >= bars * span else boundary
            for bars in self.lookback_bars
        ]

    def next_meter(self) -> tuple[int, int, int]:
        """``meter``, ``position`` and ``bar_number`` of the step after the tokens so far."""
        return tuple(int(v) for v in meter_columns(np.int64(len(self.columns)), *self.meter))

    def next_features(self) -> torch.Tensor:
        """(rows, 1, columns) features of the step after the tokens so far, as
        :func:`~melodylstm.features.step_features` computes them for a whole song."""
        columns = [torch.full((self.rows,), value, dtype=torch.long) for value in self.next_meter()]
        return torch.stack(columns + self.lookbacks(), dim=1).unsqueeze(1)

    @torch.inference_mode()
    def advance(self, tokens: torch.Tensor, keep: torch.Tensor | None = None) -> None:
        """Feed one token per row; ``keep`` reorders the rows first (beam search)."""
        if keep is not None:
            self.state = tuple(part[:, keep.to(self.device)] for part in self.state)
            if self.uses_features:
                self.columns = [column[keep] for column in self.columns]
            self.rows = len(keep)
        tokens = tokens.view(-1)
        if self.uses_features:
            self.columns.append(tokens.cpu())
        if self.kernel is not None:
            lookbacks = [column.to(self.device) for column in self.lookbacks()]
            logits, self.state = self.kernel(
                tokens.to(self.device), lookbacks, self.next_meter(), self.state
            )
            self.logits = logits.float().cpu()
            return
        features = self.next_features().to(self.device) if self.uses_features else None
        inputs = tokens.view(-1, 1).to(self.device)
        with one_step_kernels():
            logits, self.state = run_model(self.model, inputs, self.state, features)
        self.logits = self._masked(logits[:, -1])


@torch.inference_mode()
def sequence_log_prob(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    tokens: list[str],
    start: int,
    meter: tuple[int, int] = (0, 0),
) -> float:
    """Log-probability (natural log) of ``tokens[start:]`` given what comes before."""
    encoded = vocabulary.encode(tokens)
    ids = torch.tensor([[vocabulary.boundary, *encoded]])
    device = next(model.parameters()).device
    features = None
    if getattr(model, "uses_features", False):
        per_step = step_features(
            np.array(encoded), *meter, vocabulary.boundary, lookback_bars=model.lookback_bars
        )
        features = torch.as_tensor(per_step).unsqueeze(0).to(device)
    logits, _ = run_model(model.eval(), ids.to(device), None, features)
    logits = logits.float().cpu()[0, :-1]
    logits[:, vocabulary.unknown] = -math.inf
    log_probs = torch.log_softmax(logits, dim=-1)
    targets = ids[0, 1:]
    return float(log_probs[torch.arange(len(targets)), targets][start:].sum())
