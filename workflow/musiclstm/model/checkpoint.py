"""Checkpoints: the one module that builds, writes and reads them.

A checkpoint is a plain dict that ``torch.load(weights_only=True)`` reads and that describes
itself: ``state_dict``, ``model_args`` (the constructor's arguments), ``vocabulary`` (the token
list), ``representation`` (what the inputs are), ``config`` (the model, training and encoding
settings it was trained with), ``epoch``, ``best_valid_bits_per_step``, ``threads`` (the CPU
threads training ran with) and ``init_from`` (the checkpoint it was fine-tuned from, or None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from musiclstm.data.vocabulary import Vocabulary
from musiclstm.files import atomic_path
from musiclstm.model.base import LanguageModel
from musiclstm.model.frames import FrameLSTM
from musiclstm.model.lstm import StepLSTM
from musiclstm.model.window import WindowLSTM
from musiclstm.music.frames import SATB
from musiclstm.representation.base import Representation
from musiclstm.representation.registry import representation_from
from musiclstm.settings import ModelSettings, as_dict, misplaced_model_setting
from musiclstm.textures import Texture, texture_from
from musiclstm.textures.melody import MelodyTexture

HEADS = ("step", "window", "frame")


def model_args(
    vocab_size: int,
    model: ModelSettings,
    boundary: int = 0,
    representation: Representation | None = None,
    tokens: list[str] | None = None,
) -> dict:
    """The constructor arguments of the model ``model`` asks for, as stored in its checkpoint
    (plain values only); a window model's are the ones with a ``window``.

    ``boundary`` is the song-boundary token's id, which the window model pads with; the
    ``representation`` says which input columns a step model reads (a melody's by default),
    and with the vocabulary's ``tokens``, which pitch each id is, for voice-leading weights.
    """
    args = {
        "vocab_size": vocab_size,
        "hidden_size": model.hidden_size,
        "num_layers": model.num_layers,
        "dropout": model.dropout,
        "cell": model.cell,
    }
    voices = representation.frame_width - 1 if representation is not None else 1
    misplaced = misplaced_model_setting(as_dict(model), max(voices, 1))
    if misplaced:
        raise ValueError(misplaced)
    if model.head == "step":
        return (
            args
            | {
                "embedding_size": model.embedding_size,
                "bar_position": model.bar_position,
                "lookback": list(model.lookback),
                "bar_number": model.bar_number,
                "bars_left": model.bars_left,
            }
            | (representation.model_inputs() if representation is not None else {})
            | melody_reader_args(model, representation)
            | voice_leading_args(model, representation, tokens)
        )
    if model.head == "window":
        return args | {"window": model.window, "boundary": boundary}
    if model.head == "frame":
        width = representation.frame_width if representation is not None else 1
        if width < 2:
            raise ValueError(
                "model.head: frame reads the frames of several voices; set a texture of several "
                "voices (texture: chorale or ensemble)"
            )
        del args["cell"]  # nn.LSTM, the only cell it runs
        return args | {"embedding_size": model.embedding_size, "frame_width": width}
    raise ValueError(f"model.head must be one of {', '.join(HEADS)}, not {model.head!r}")


def melody_reader_args(model: ModelSettings, representation: Representation | None) -> dict:
    """The reader of a given melody's arguments, where the model has one (none: no arguments,
    as checkpoints written before readers have)."""
    if not model.melody_reader:
        return {}
    return {"melody_reader": model.melody_reader, "reader_frame_width": representation.frame_width}


def voice_leading_args(
    model: ModelSettings, representation: Representation | None, tokens: list[str] | None
) -> dict:
    """The voice-leading weights' arguments, where the model has them (none: no arguments, as
    checkpoints written before them have)."""
    if not model.voice_leading:
        if model.sounding_inputs:
            raise ValueError("model.sounding_inputs reads voice_leading's columns: set both")
        return {}
    inputs = representation.voice_leading_inputs(tokens) if representation and tokens else {}
    if not inputs:
        raise ValueError(
            "model.voice_leading needs a representation of several voices that reads their "
            "sounding pitches, and the vocabulary"
        )
    sounding = {"sounding_columns": inputs["columns"]} if model.sounding_inputs else {}
    return {"voice_leading": inputs} | sounding


def build_model(args: dict) -> LanguageModel:
    """The model that ``model_args`` describes: a window model if they name a ``window``, a
    frame model if they name a ``frame_width``."""
    if "window" in args:
        return WindowLSTM(**args)
    if "frame_width" in args:
        return FrameLSTM(**args)
    return StepLSTM(**args)


def count_parameters(model: torch.nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def pick_device(name: str) -> torch.device:
    """``auto`` means CUDA when there is a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def make_checkpoint(
    model: LanguageModel,
    args: dict,
    vocabulary: Vocabulary,
    representation: Representation,
    config: dict,
    epoch: int,
    best: float,
    threads: int = 1,
    init_from: dict | None = None,
    texture: dict | None = None,
) -> dict:
    """The checkpoint of ``model`` after ``epoch`` (its weights copied to the CPU), trained with
    ``threads`` CPU threads, from scratch or from the checkpoint ``init_from`` describes
    (:func:`~musiclstm.training.fine_tuning.start_from`), of the ``texture`` described (its name
    and voices: what the generated pieces are)."""
    return {
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "model_args": args,
        "vocabulary": vocabulary.tokens,
        "representation": representation.describe(),
        "config": config,
        "epoch": epoch,
        "best_valid_bits_per_step": best,
        "threads": threads,
        "init_from": init_from,
        "texture": texture or texture_of_representation(representation.describe()),
    }


def save_checkpoint(checkpoint: dict, path: Path) -> None:
    """Write atomically; through a handle, since a path would put the temporary file's name
    into the archive."""
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        torch.save(checkpoint, handle)


def load_checkpoint(path, device: torch.device | str = "cpu") -> tuple[LanguageModel, dict]:
    """Rebuild the model from a checkpoint, in evaluation mode."""
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    model = build_model(checkpoint["model_args"]).to(device)
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return model, checkpoint


def checkpoint_representation(checkpoint: dict) -> dict:
    """The checkpoint's description of its representation. Checkpoints written before they
    stored one are of melody models, whose lookback bars are in their ``model_args``; those
    written before frames named their voices are of SATB chorales."""
    if "representation" not in checkpoint:
        args = checkpoint["model_args"]
        # A melody model with columns of categories reads its bars' form.
        return {
            "name": "melody",
            "lookback_bars": args.get("lookback", []),
            "form": bool(args.get("categories")),
        }
    # Rebuilt and described again, so that an older description gains today's defaults.
    return representation_from(checkpoint["representation"]).describe()


def texture_of_representation(description: dict) -> dict:
    """The texture of a checkpoint written before checkpoints recorded theirs: a melody, or a
    chorale of the voices its frames hold."""
    voices = description.get("voices")
    if voices in (None, list(SATB)):  # a melody, or a chorale of the texture's own voices
        return {"name": description["name"], "voices": None}
    return {"name": description["name"], "voices": [{"name": voice} for voice in voices]}


def checkpoint_texture(checkpoint: dict) -> dict:
    """The description of the texture whose pieces the checkpoint's model writes."""
    return checkpoint.get("texture") or texture_of_representation(
        checkpoint_representation(checkpoint)
    )


@dataclass(frozen=True)
class TrainedModel:
    """A model with the vocabulary and representation it was trained on: what sampling and
    scoring need."""

    model: LanguageModel
    vocabulary: Vocabulary
    representation: Representation
    time_step: float
    epoch: int
    texture: Texture = field(default_factory=MelodyTexture)

    @classmethod
    def load(cls, path, device: torch.device | str = "cpu") -> TrainedModel:
        model, checkpoint = load_checkpoint(path, device)
        return cls.of(model, checkpoint)

    @classmethod
    def of(cls, model: LanguageModel, checkpoint: dict) -> TrainedModel:
        return cls(
            model,
            Vocabulary(checkpoint["vocabulary"]),
            representation_from(checkpoint_representation(checkpoint)),
            checkpoint["config"]["encoding"]["time_step"],
            checkpoint["epoch"],
            texture_from(checkpoint_texture(checkpoint)),
        )
