"""Setting up a training run: seeds, data, representation, model and optimizer, in the order that
makes a run reproducible (the model's initial weights are the first draws after seeding)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from melodylstm.data.batches import SplitData, length_batches, load_split, padding_share
from melodylstm.data.vocabulary import Vocabulary, load_vocabulary
from melodylstm.model.base import LanguageModel
from melodylstm.model.checkpoint import build_model, count_parameters, model_args, pick_device
from melodylstm.representation.base import Representation
from melodylstm.representation.registry import representation_for
from melodylstm.settings import ModelSettings, TrainingSettings, as_dict, settings
from melodylstm.training.augmentation import Transposer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    """Everything a training run's result depends on besides its input files."""

    model: ModelSettings
    training: TrainingSettings
    time_step: float
    texture: str = "melody"

    @classmethod
    def from_config(
        cls, model: dict, training: dict, time_step: float, texture: str = "melody"
    ) -> RunSettings:
        """From the config's ``model`` and ``training`` sections, the encoding's step and the
        texture of music."""
        return cls(
            settings(ModelSettings, model), settings(TrainingSettings, training), time_step, texture
        )

    def config(self) -> dict:
        """As plain values, the form checkpoints store and resumable states are matched by."""
        return {
            "model": as_dict(self.model),
            "training": as_dict(self.training),
            "encoding": {"time_step": self.time_step},
            "texture": self.texture,
        }


@dataclass
class TrainingRun:
    """A run's model and what trains it."""

    settings: RunSettings
    representation: Representation
    vocabulary: Vocabulary
    train: SplitData
    valid: SplitData
    model: LanguageModel
    args: dict
    optimizer: torch.optim.Optimizer
    rng: np.random.Generator  # the batch order's (and augmentation's) generator
    device: torch.device
    transposer: Transposer | None


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def load_data(
    train_path: Path, valid_path: Path, vocabulary: Vocabulary, representation: Representation
) -> tuple[SplitData, SplitData]:
    train = load_split(train_path, representation, vocabulary.boundary)
    valid = load_split(valid_path, representation, vocabulary.boundary)
    if not len(train) or not len(valid):
        raise ValueError(
            f"training needs songs in both the train ({len(train)}) and valid "
            f"({len(valid)}) splits; add songs or change split fractions"
        )
    return train, valid


def prepare_run(
    train_path: Path, valid_path: Path, vocabulary_path: Path, settings: RunSettings, threads: int
) -> TrainingRun:
    """The run before its first epoch, seeded by ``settings.training.seed``."""
    torch.set_num_threads(threads)
    training = settings.training
    seed_everything(training.seed)
    device = pick_device(training.device)
    vocabulary = Vocabulary(load_vocabulary(vocabulary_path))
    representation = representation_for(settings.model, settings.texture)
    train, valid = load_data(train_path, valid_path, vocabulary, representation)
    args = model_args(len(vocabulary), settings.model, vocabulary.boundary, representation)
    model = build_model(args).to(device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=training.learning_rate, weight_decay=training.weight_decay
    )
    transposer = None
    if training.augment_semitones:
        transposer = Transposer(
            vocabulary, training.augment_semitones, train.songs, representation.token_columns
        )
    rng = np.random.default_rng(training.seed)
    run = TrainingRun(
        settings, representation, vocabulary, train, valid, model, args, optimizer, rng, device,
        transposer,
    )  # fmt: skip
    log_run(run, threads)
    return run


def log_run(run: TrainingRun, threads: int) -> None:
    songs = run.train.songs
    batches = length_batches([len(song) for song in songs], run.settings.training.batch_size)
    log.info(
        "training %d parameters on %s with %d threads: %d train songs (%d steps), %d valid songs; "
        "padding %.1f%% of batch cells",
        count_parameters(run.model),
        run.device,
        threads,
        len(songs),
        run.train.steps(),
        len(run.valid),
        100 * padding_share(songs, batches),
    )
