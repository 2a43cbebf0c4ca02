"""Setting up a training run: seeds, data, representation, model and optimizer, in the order that
makes a run reproducible (the model's initial weights are the first draws after seeding)."""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from musiclstm.data.batches import SplitData, length_batches, load_split, padding_share
from musiclstm.data.vocabulary import Vocabulary, load_vocabulary
from musiclstm.model.base import LanguageModel
from musiclstm.model.checkpoint import build_model, count_parameters, model_args, pick_device
from musiclstm.representation.base import Representation
from musiclstm.settings import ModelSettings, TrainingSettings, as_dict, settings
from musiclstm.textures import texture_from
from musiclstm.training.augmentation import Transposer
from musiclstm.training.fine_tuning import start_from

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    """Everything a training run's result depends on besides its input files."""

    model: ModelSettings
    training: TrainingSettings
    time_step: float
    texture: dict = field(default_factory=lambda: {"name": "melody"})

    @classmethod
    def from_config(
        cls, model: dict, training: dict, time_step: float, texture: dict | None = None
    ) -> RunSettings:
        """From the config's ``model`` and ``training`` sections, the encoding's step and the
        texture of music (its description: name and voices)."""
        return cls(
            settings(ModelSettings, model),
            settings(TrainingSettings, training),
            time_step,
            texture or {"name": "melody"},
        )

    def representation(self) -> Representation:
        """The tokens and inputs the run's model reads, in its texture."""
        return texture_from(self.texture).representation(
            self.model.lookback, self.model.lookahead, self.model.form, self.model.voice_leading
        )

    def config(self) -> dict:
        """As plain values, the form checkpoints store and resumable states are matched by."""
        return {
            "model": as_dict(self.model),
            "training": as_dict(self.training),
            "encoding": {"time_step": self.time_step},
            "texture": self.texture["name"],
        }

    def model_identity(self, representation: Representation) -> dict:
        """What a checkpoint to fine-tune must share with the run (see
        :func:`~musiclstm.training.fine_tuning.check_same_model`)."""
        return {
            "model": as_dict(self.model),
            "representation": representation.describe(),
            "texture": self.texture["name"],
            "encoding": {"time_step": self.time_step},
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
    threads: int = 1  # the CPU threads it trains with
    origin: dict | None = None  # the checkpoint it started from (see fine_tuning.start_from)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, and ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def load_data(
    train_path: Path, valid_path: Path, vocabulary: Vocabulary, representation: Representation
) -> tuple[SplitData, SplitData]:
    train = load_split(train_path, representation, vocabulary, hide=True)
    valid = load_split(valid_path, representation, vocabulary)
    if not len(train) or not len(valid):
        raise ValueError(
            f"training needs songs in both the train ({len(train)}) and valid "
            f"({len(valid)}) splits; add songs or change split fractions"
        )
    return train, valid


def available_cores() -> int:
    """The cores this process may run on (a cluster job's CPUs, a container's limit)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def training_threads(requested: int) -> int:
    """``training.threads``, or the cores there are where that is fewer (with a warning: the
    thread count changes the float sums, so the model will not be the one of the config)."""
    cores = available_cores()
    if requested <= cores:
        return requested
    log.warning(
        "training.threads is %d but this machine lets training use %d cores: training with %d "
        "threads, so the model will differ from one trained with %d threads",
        requested, cores, cores, requested,
    )  # fmt: skip
    return cores


def prepare_run(
    train_path: Path, valid_path: Path, vocabulary_path: Path, settings: RunSettings
) -> TrainingRun:
    """The run before its first epoch, seeded by ``settings.training.seed``, on
    ``training.threads`` threads (see :func:`training_threads`), from the weights of
    ``training.init_from`` where that is set."""
    training = settings.training
    threads = training_threads(training.threads)
    torch.set_num_threads(threads)
    seed_everything(training.seed)
    device = pick_device(training.device)
    vocabulary = Vocabulary(load_vocabulary(vocabulary_path))
    representation = settings.representation().for_vocabulary(vocabulary.tokens)
    train, valid = load_data(train_path, valid_path, vocabulary, representation)
    args = model_args(
        len(vocabulary), settings.model, vocabulary.boundary, representation, vocabulary.tokens
    )
    model = build_model(args)
    origin = None
    if training.init_from is not None:
        identity = settings.model_identity(representation)
        origin = start_from(Path(training.init_from), model, args, vocabulary, identity)
    model = model.to(device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=training.learning_rate, weight_decay=training.weight_decay
    )
    transposer = None
    if training.augment_semitones:
        transposer = Transposer(
            vocabulary, training.augment_semitones, train.songs, representation.transposed_columns
        )
    rng = np.random.default_rng(training.seed)
    run = TrainingRun(
        settings, representation, vocabulary, train, valid, model, args, optimizer, rng, device,
        transposer, threads, origin,
    )  # fmt: skip
    log_run(run)
    return run


def log_run(run: TrainingRun) -> None:
    songs = run.train.songs
    batches = length_batches([len(song) for song in songs], run.settings.training.batch_size)
    log.info(
        "training %d parameters on %s with %d threads: %d train songs (%d steps), %d valid songs; "
        "padding %.1f%% of batch cells",
        count_parameters(run.model),
        run.device,
        run.threads,
        len(songs),
        run.train.steps(),
        len(run.valid),
        100 * padding_share(songs, batches),
    )
