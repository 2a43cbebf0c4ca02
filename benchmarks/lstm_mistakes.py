"""What the tutorial's two LSTM mistakes cost: the correct cell against each mistake, same training.

    .venv/bin/python benchmarks/lstm_mistakes.py [--epochs 10] [--size 128] [--data results/data]

The tutorial's class (1) gave each gate one scalar weight shared by the input and the previous
output, ``f = sigmoid(w_f * (x_t + h_{t-1}) + b_f)``, and (2) computed ``h_t = o_t * tanh(c_{t-1})``
from the old cell state. Those cells are written here, on purpose, only to measure them: each
variant replaces the LSTM of our per-step model (one layer, embedding as wide as the hidden state,
since mistake 1 adds the two), trains for the same number of epochs from the same seed, and is
scored on the validation songs after every epoch.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parent.parent
from melodylstm.data.tensors import load_songs  # noqa: E402
from melodylstm.data.vocabulary import Vocabulary, load_vocabulary  # noqa: E402
from melodylstm.evaluation.metrics import evaluate_songs  # noqa: E402
from melodylstm.model.lstm import MelodyLSTM  # noqa: E402
from melodylstm.model.lstm_scratch import ScratchLSTM  # noqa: E402
from melodylstm.training.loop import seed_everything, train_epoch  # noqa: E402

VARIANTS = {
    "correct (nn.LSTM's equations)": (False, False),
    "1: one scalar weight per gate": (True, False),
    "2: h_t from the old cell state": (False, True),
    "both mistakes": (True, True),
}


class TutorialCell(nn.Module):
    """One LSTM layer, batch first, with either of the tutorial's mistakes switched on."""

    def __init__(self, size: int, scalar_weights: bool, h_from_old_cell: bool):
        super().__init__()
        self.size = size
        self.scalar_weights = scalar_weights
        self.h_from_old_cell = h_from_old_cell
        if scalar_weights:
            self.weight = nn.Parameter(torch.empty(4).uniform_(-1.0, 1.0))
            self.bias = nn.Parameter(torch.zeros(4))
        else:
            self.correct = ScratchLSTM(size, size, 1, batch_first=True)

    def forward(self, x: torch.Tensor, state=None):
        x = x.transpose(0, 1)
        if state is None:
            h = c = x.new_zeros(x.shape[1], self.size)
        else:
            h, c = state[0][0], state[1][0]
        if not self.scalar_weights:
            w_ih, w_hh, b_ih, b_hh = self.correct.layer_weights(0)
            from_input = nn.functional.linear(x, w_ih, b_ih + b_hh)
        outputs = []
        for t in range(x.shape[0]):
            if self.scalar_weights:
                together = x[t] + h
                gates = [self.weight[k] * together + self.bias[k] for k in range(4)]
            else:
                gates = (from_input[t] + h @ w_hh.t()).chunk(4, dim=-1)
            i, f, o = (torch.sigmoid(gates[k]) for k in (0, 1, 3))
            g = torch.tanh(gates[2])
            if self.h_from_old_cell:
                h = o * torch.tanh(c)
                c = f * c + i * g
            else:
                c = f * c + i * g
                h = o * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs).transpose(0, 1), (h[None], c[None])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "results" / "data")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--size", type=int, default=128, help="embedding and hidden size")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    vocabulary = Vocabulary(load_vocabulary(args.data / "vocabulary.json"))
    train, valid = load_songs(args.data / "train.npz"), load_songs(args.data / "valid.npz")
    training = {"batch_size": 32, "sequence_length": 128, "clip_norm": 1.0}
    print(f"valid bits/step after each of {args.epochs} epochs, {args.size} units, one layer")
    for name, (scalar_weights, h_from_old_cell) in VARIANTS.items():
        seed_everything(1)
        model = MelodyLSTM(len(vocabulary), args.size, args.size, 1, 0.0)
        model.lstm = TutorialCell(args.size, scalar_weights, h_from_old_cell)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
        rng = np.random.default_rng(1)
        start, curve = time.perf_counter(), []
        for _ in range(args.epochs):
            train_epoch(model, optimizer, train, vocabulary.boundary, training, rng, CPU)
            curve.append(evaluate_songs(model, valid, vocabulary)["bits_per_step"])
        parameters = sum(p.numel() for p in model.lstm.parameters())
        print(
            f"{name:32s} {parameters:>7,} LSTM parameters  final {curve[-1]:.3f}  "
            f"({' '.join(f'{b:.2f}' for b in curve)})  {time.perf_counter() - start:.0f} s",
            flush=True,
        )


CPU = torch.device("cpu")

if __name__ == "__main__":
    main()
