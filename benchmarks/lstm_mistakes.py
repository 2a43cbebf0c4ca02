"""What the tutorial's two LSTM mistakes cost: the correct cell against each mistake, same training.

    .venv/bin/python benchmarks/lstm_mistakes.py [--epochs 10] [--size 128] [--data results/data]

The tutorial's class (1) gave each gate one scalar weight shared by the input and the previous
output, ``f = sigmoid(w_f * (x_t + h_{t-1}) + b_f)``, and (2) computed ``h_t = o_t * tanh(c_{t-1})``
from the old cell state. Those cells are written here, on purpose, only to measure them: each
variant replaces the LSTM of our per-step model, trains for the same number of epochs from the
same seed through the workflow's own epochs (``training.loop.run_epoch``, with the schema's
default training settings, as ``make song`` ships them, on the CPU), and is scored on the
validation songs after every epoch. The model is the default one with one layer, embeddings as
wide as the hidden state and no bar or lookback inputs, since mistake 1 adds the LSTM's input to
its previous output. A quick check: ``--epochs 1 --size 16``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn

from musiclstm.model.lstm_scratch import ScratchLSTM
from musiclstm.settings import EncodingSettings, ModelSettings, TrainingSettings, settings
from musiclstm.training.epoch import Deadline
from musiclstm.training.loop import run_epoch
from musiclstm.training.progress import Progress
from musiclstm.training.schedule import LearningRate
from musiclstm.training.setup import RunSettings, TrainingRun, prepare_run

REPO = Path(__file__).resolve().parent.parent

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


def run_settings(size: int, epochs: int, threads: int) -> RunSettings:
    """Our model, one layer of ``size`` over embeddings as wide and no other inputs, trained with
    the default settings for ``epochs`` epochs on ``threads`` threads."""
    model = settings(
        ModelSettings,
        num_layers=1,
        embedding_size=size,
        hidden_size=size,
        bar_position=False,
        bar_number=False,
        lookback=[],
    )
    training = settings(
        TrainingSettings, epochs=epochs, patience=epochs, device="cpu", threads=threads
    )
    return RunSettings(model, training, settings(EncodingSettings).time_step)


def variant_run(data: Path, run: RunSettings, variant: tuple[bool, bool]):
    """The run set up as the workflow sets one up, its LSTM replaced by the variant's cell."""
    training_run = prepare_run(
        data / "train.npz", data / "valid.npz", data / "vocabulary.json", run
    )
    training_run.model.lstm = TutorialCell(run.model.hidden_size, *variant)
    training_run.optimizer = torch.optim.Adam(
        training_run.model.parameters(),
        lr=run.training.learning_rate,
        weight_decay=run.training.weight_decay,
    )
    return training_run


def valid_curve(run: TrainingRun) -> list[float]:
    """Train every epoch (no early stopping); the validation bits/step after each."""
    rate, progress = LearningRate(run.optimizer, run.settings.training), Progress()
    for epoch in range(1, run.settings.training.epochs + 1):
        run_epoch(run, epoch, rate, Deadline(None), progress)
    return [row["valid_bits_per_step"] for row in progress.history]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "results" / "data")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--size", type=int, default=128, help="embedding and hidden size")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    settings_of_run = run_settings(args.size, args.epochs, args.threads)
    print(f"valid bits/step after each of {args.epochs} epochs, {args.size} units, one layer")
    for name, variant in VARIANTS.items():
        run = variant_run(args.data, settings_of_run, variant)
        start = time.perf_counter()
        curve = valid_curve(run)
        parameters = sum(p.numel() for p in run.model.lstm.parameters())
        print(
            f"{name:32s} {parameters:>7,} LSTM parameters  final {curve[-1]:.3f}  "
            f"({' '.join(f'{b:.2f}' for b in curve)})  {time.perf_counter() - start:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
