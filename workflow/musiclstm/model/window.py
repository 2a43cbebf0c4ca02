"""The tutorial's melody model: each prediction sees only the last ``window`` tokens.

One-hot tokens go through an LSTM that starts from a zero state at the start of every window;
its outputs at all ``window`` steps, flattened, go through one linear layer
(``hidden_size * window -> vocabulary``) that predicts the token after the window. A window that
reaches back past a song's start is padded with the song-boundary token.

It has the interface of every model (:mod:`musiclstm.model.base`), so the same training loop,
evaluation and sampler drive it: ``logits, state = model(tokens, inputs, state)`` on (batch,
time) token ids gives the next-token logits at every position (it reads no per-step inputs),
which are the predictions of all the windows ending there at once. The state is the last
``window - 1`` tokens seen, so a sequence fed in pieces (training chunks,
sampling one step at a time) gets the same predictions as the whole sequence. It is laid out
like an LSTM state, (1, batch, window - 1), so code that picks or reorders the batch rows of a
state (``part[:, rows]``, as beam search does) treats both models alike. The price is that
every prediction reruns the LSTM over ``window`` steps, where the per-step model runs one.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from musiclstm.model.base import LanguageModel
from musiclstm.model.lstm_scratch import make_lstm

# Windows run through the LSTM together; more only costs memory (a few hundred MB here at 256
# hidden units and 64 steps) without being faster.
WINDOWS_PER_PASS = 2048


class WindowLSTM(LanguageModel):
    """Predicts the token after each window of ``window`` tokens (batch first)."""

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        window: int,
        boundary: int,
        cell: str = "torch",
    ):
        super().__init__()
        if window < 1:
            raise ValueError(f"model.window must be at least 1, not {window}")
        if not 0 <= boundary < vocab_size:
            raise ValueError(f"boundary token id {boundary} is outside the vocabulary")
        self.vocab_size = vocab_size
        self.window = window
        self.boundary = boundary
        self.lstm = make_lstm(cell, vocab_size, hidden_size, num_layers, dropout)
        self.output_dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * window, vocab_size)

    def forward(
        self,
        tokens: torch.Tensor,
        inputs: torch.Tensor | None = None,
        state: tuple[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor]]:
        """tokens: (batch, time) ids -> logits (batch, time, vocab) and the last window - 1 ids;
        the per-step ``inputs`` are not read."""
        batch, steps = tokens.shape
        if state is None:  # a song's start: the windows reach back into boundary padding
            history = tokens.new_full((batch, self.window - 1), self.boundary)
        else:
            history = state[0][0]
            if tuple(history.shape) != (batch, self.window - 1):
                raise ValueError(
                    f"window state must be of shape (1, {batch}, {self.window - 1}), "
                    f"not {tuple(state[0].shape)}"
                )
        padded = torch.cat([history, tokens], dim=1)
        # Window t is padded[t : t + window] and ends with tokens[t]: (batch, time, window).
        windows = padded.unfold(1, self.window, 1).reshape(batch * steps, self.window)
        logits = torch.cat(
            [
                self.window_logits(windows[start : start + WINDOWS_PER_PASS])
                for start in range(0, len(windows), WINDOWS_PER_PASS)
            ]
            or [self.head.weight.new_zeros(0, self.vocab_size)]
        )
        history = padded[:, padded.shape[1] - (self.window - 1) :]
        return logits.reshape(batch, steps, self.vocab_size), (history.unsqueeze(0),)

    def window_logits(self, windows: torch.Tensor) -> torch.Tensor:
        """(n, window) token ids -> (n, vocab) logits of the token after each window."""
        one_hot = F.one_hot(windows, self.vocab_size).to(self.head.weight.dtype)
        outputs, _ = self.lstm(one_hot)  # every window from a zero state
        return self.head(self.output_dropout(outputs.reshape(len(windows), -1)))
