"""A training run's bookkeeping from epoch to epoch: the history, the best checkpoint so far, and
when to stop. It is saved with the resumable state after every epoch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from musiclstm.settings import TrainingSettings


@dataclass
class Progress:
    checkpoint: dict = field(default_factory=dict)  # the best epoch's checkpoint
    best: float = float("inf")  # its validation bits per step
    epochs_since_best: int = 0
    history: list[dict] = field(default_factory=list)  # the rows of history.csv
    seconds: float = 0.0  # training time so far, resumed runs included

    def record(self, row: dict, valid_bits: float, checkpoint: dict | None) -> None:
        """Add an epoch's history row; ``checkpoint`` is its model where it improved."""
        self.history.append(row)
        if checkpoint is not None:
            self.checkpoint, self.best, self.epochs_since_best = checkpoint, valid_bits, 0
        else:
            self.epochs_since_best += 1

    def patience_spent(self, training: TrainingSettings) -> bool:
        return self.epochs_since_best >= training.patience

    def budget_spent(self, training: TrainingSettings) -> bool:
        minutes = training.max_minutes
        return minutes is not None and self.seconds > minutes * 60

    def as_dict(self) -> dict:
        return asdict(self)
