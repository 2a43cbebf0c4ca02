"""The learning rate from epoch to epoch.

``cosine``: a half cosine from ``learning_rate`` down to nearly 0 over ``epochs``, set before each
epoch. ``plateau``: ``learning_rate`` until an epoch does not improve on the best validation loss,
then multiplied by ``lr_decay`` after each such epoch (a smaller step often finds the better
minimum the last epoch overshot).
"""

from __future__ import annotations

import math

import torch

from musiclstm.settings import TrainingSettings


def cosine_rate(peak: float, epoch: int, epochs: int) -> float:
    """The learning rate of ``epoch`` (from 1) on a half cosine from ``peak`` over ``epochs``."""
    return peak * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))


class LearningRate:
    """Sets the optimizer's learning rate as ``training.lr_schedule`` says."""

    def __init__(self, optimizer: torch.optim.Optimizer, training: TrainingSettings):
        self.optimizer = optimizer
        self.training = training
        self.cosine = training.lr_schedule == "cosine"

    def set(self, rate: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = rate

    def current(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def before_epoch(self, epoch: int) -> None:
        if self.cosine:
            self.set(cosine_rate(self.training.learning_rate, epoch, self.training.epochs))

    def after_epoch(self, improved: bool) -> None:
        if not self.cosine and not improved:
            for group in self.optimizer.param_groups:
                group["lr"] *= self.training.lr_decay
