"""The melody language model: embedding -> stacked LSTM -> linear head on every step."""

from __future__ import annotations

import torch
from torch import nn

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
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.input_dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(
            embedding_size,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.output_dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens: (batch, time) ids -> logits (batch, time, vocab) and the final LSTM state."""
        embedded = self.input_dropout(self.embedding(tokens))
        output, state = self.lstm(embedded, state)
        return self.head(self.output_dropout(output)), state


def model_args(vocab_size: int, model_config: dict) -> dict:
    """The constructor arguments of a model, as stored in its checkpoint."""
    return {
        "vocab_size": vocab_size,
        "embedding_size": model_config["embedding_size"],
        "hidden_size": model_config["hidden_size"],
        "num_layers": model_config["num_layers"],
        "dropout": model_config["dropout"],
    }


def count_parameters(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def pick_device(name: str) -> torch.device:
    """``auto`` means CUDA when there is a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_checkpoint(path, device: torch.device | str = "cpu") -> tuple[MelodyLSTM, dict]:
    """Rebuild the model from a checkpoint (plain tensors and values only, ``weights_only``)."""
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    model = MelodyLSTM(**checkpoint["model_args"]).to(device)
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return model, checkpoint
