"""The melody language models, and building one from its checkpoint's ``model_args``.

- ``head: step`` (:class:`MelodyLSTM`): embedding -> stacked LSTM -> linear head on every step,
  with the state carried along the whole song;
- ``head: window`` (:class:`~melodylstm.window_model.WindowLSTM`): the tutorial's model, which
  sees only the last ``window`` tokens.

``cell: torch`` runs ``nn.LSTM``; ``cell: scratch`` runs the hand-written
:class:`~melodylstm.lstm_scratch.ScratchLSTM`, which has the same parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from melodylstm.model.lstm_scratch import make_lstm
from melodylstm.model.window import WindowLSTM
from melodylstm.representation.features import (
    MAX_BAR,
    MAX_BAR_NUMBER,
    METER_COLUMNS,
    normalise_lookback,
)

State = tuple[torch.Tensor, torch.Tensor]


class MelodyLSTM(nn.Module):
    """Predicts the next token at every step of a token sequence (batch first)."""

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        cell: str = "torch",
        bar_position: bool = False,
        lookback: bool | list[int] = (),
        bar_number: bool = False,
    ):
        super().__init__()
        self.bar_position = bar_position
        self.bar_number = bar_number
        self.lookback_bars = normalise_lookback(lookback)
        self.uses_features = bar_position or bar_number or bool(self.lookback_bars)
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        # The lookback tokens share the token embedding: a pitch means the same wherever it is.
        input_size = embedding_size * (1 + len(self.lookback_bars))
        if bar_position:
            # The step's place in its bar, and the bar's length: where notes may start and end.
            self.position_embedding = nn.Embedding(MAX_BAR, embedding_size)
            self.meter_embedding = nn.Embedding(MAX_BAR + 1, embedding_size)
            input_size += embedding_size
        if bar_number:
            # Which bar of the song: where phrases start and cadences fall.
            self.bar_number_embedding = nn.Embedding(MAX_BAR_NUMBER + 1, embedding_size)
            input_size += embedding_size
        self.input_dropout = nn.Dropout(dropout)
        self.lstm = make_lstm(cell, input_size, hidden_size, num_layers, dropout)
        self.output_dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(
        self,
        tokens: torch.Tensor,
        state: State | None = None,
        features: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, State]:
        """tokens: (batch, time) ids -> logits (batch, time, vocab) and the final LSTM state.

        ``features`` (batch, time, columns), as :func:`~melodylstm.features.step_features`
        computes them with this model's ``lookback_bars``, describe the step each position
        predicts; models built with ``bar_position``, ``bar_number`` or ``lookback`` need them.
        """
        parts = [self.embedding(tokens)]
        if self.uses_features:
            if features is None:
                raise ValueError("this model reads bar positions and lookbacks: pass features")
            first = len(METER_COLUMNS)
            parts += [
                self.embedding(features[..., first + i]) for i in range(len(self.lookback_bars))
            ]
            if self.bar_position:
                parts.append(
                    self.position_embedding(features[..., 1])
                    + self.meter_embedding(features[..., 0])
                )
            if self.bar_number:
                parts.append(self.bar_number_embedding(features[..., 2]))
        embedded = self.input_dropout(torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0])
        output, state = self.lstm(embedded, state)
        return self.head(self.output_dropout(output)), state


def run_model(model: nn.Module, tokens, state=None, features=None):
    """Call any of the models: the features go only to a model that reads them."""
    if getattr(model, "uses_features", False):
        return model(tokens, state, features)
    return model(tokens, state)


HEADS = ("step", "window")


def model_args(vocab_size: int, model_config: dict, boundary: int = 0) -> dict:
    """The constructor arguments of the model ``model_config`` asks for, as stored in its
    checkpoint (plain values only); a window model's are the ones with a ``window``.

    ``boundary`` is the song-boundary token's id, which the window model pads with.
    """
    head = model_config.get("head", "step")
    args = {
        "vocab_size": vocab_size,
        "hidden_size": model_config["hidden_size"],
        "num_layers": model_config["num_layers"],
        "dropout": model_config["dropout"],
        "cell": model_config.get("cell", "torch"),
    }
    if head == "step":
        return args | {
            "embedding_size": model_config["embedding_size"],
            "bar_position": model_config.get("bar_position", False),
            "lookback": list(normalise_lookback(model_config.get("lookback", ()))),
            "bar_number": model_config.get("bar_number", False),
        }
    if head == "window":
        return args | {"window": model_config.get("window", 64), "boundary": boundary}
    raise ValueError(f"model.head must be one of {', '.join(HEADS)}, not {head!r}")


def build_model(args: dict) -> nn.Module:
    """The model that ``model_args`` describes: a window model if they name a ``window``."""
    return WindowLSTM(**args) if "window" in args else MelodyLSTM(**args)


def count_parameters(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def pick_device(name: str) -> torch.device:
    """``auto`` means CUDA when there is a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_checkpoint(path, device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild the model from a checkpoint (plain tensors and values only, ``weights_only``)."""
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    model = build_model(checkpoint["model_args"]).to(device)
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return model, checkpoint
