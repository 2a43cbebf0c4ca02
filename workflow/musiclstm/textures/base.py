"""The seam between the workflow's stages and the kinds of music it learns: a texture.

A texture owns every decision that depends on what the music is: how a parsed score becomes
tokens (and why one is rejected), the per-step inputs its models read, what it can be asked to
write (compose, continue a seed, harmonise a given part), the piece its tokens decode to, with
the names, clefs and instruments of its parts, its extra metrics and musical checks, and what
the workflow builds for it besides the main model. The stages (encoding, training, evaluation,
generation, rendering, the report) ask the texture and never compare its name.

A texture is described by plain values (:meth:`Texture.describe`), stored in each checkpoint and
in each generated piece's .json, so that what reads them rebuilds the texture that wrote them,
whatever config is loaded.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields

from musiclstm.music.piece import Piece
from musiclstm.representation.base import Representation


@dataclass(frozen=True)
class Voice:
    """One voice or instrument of a texture: its name, its range (lowest and highest MIDI pitch,
    None where unknown), the clef of its staff (``auto``: the one with the fewest ledger lines),
    its General MIDI program, and the staff it shares with its neighbours (voices with the same
    ``staff`` share one; None: a staff of its own)."""

    name: str
    low: int | None = None
    high: int | None = None
    clef: str = "auto"
    program: int = 0
    staff: int | None = None

    @classmethod
    def of(cls, values: dict) -> Voice:
        """The voice of a config's entry (keys left out take the defaults)."""
        return cls(
            **{field.name: values[field.name] for field in fields(cls) if field.name in values}
        )


class Texture(ABC):
    """A kind of music the workflow learns and writes."""

    def __init__(self, name: str, voices: tuple[Voice, ...]):
        self.name = name
        self.voices = tuple(voices)

    def describe(self) -> dict:
        """Plain values that rebuild this texture (:func:`musiclstm.textures.texture_from`)."""
        return {"name": self.name, "voices": [asdict(voice) for voice in self.voices]}

    @property
    def voice_names(self) -> tuple[str, ...]:
        return tuple(voice.name for voice in self.voices)

    @abstractmethod
    def representation(
        self,
        lookback: tuple[int, ...] | None = None,
        lookahead: tuple[int, ...] = (),
        form: bool = False,
        voice_leading: bool = False,
    ) -> Representation:
        """The tokens and per-step inputs of this texture; ``lookback``, ``lookahead``,
        ``form`` and ``voice_leading`` are a model's settings (None: the texture's own, for the
        stages that only read and write music: encoding, the vocabulary)."""

    @abstractmethod
    def piece(self, tokens: list[str], info) -> Piece:
        """The piece that ``tokens`` (as generated) and their ``info`` (a
        :class:`~musiclstm.generation.song_info.SongInfo`) decode to."""

    # What writes and scores this texture's pieces with a model, as "module:function": named,
    # not imported, so that the stages that only read and write music (in an environment
    # without PyTorch) never load the model's side.
    generator: str = ""
    metric_views_of: str = ""
    baseline_of: str = ""

    def generate(self, request) -> list:
        """Write the pieces of a :class:`~musiclstm.generation.requests.GenerateRequest` and
        return each as ``(tokens, info)``: with ``generator(request, texture)``."""
        return resolve(self.generator)(request, self)

    def check_generate_entry(self, name: str, song: dict) -> str | None:
        """What is wrong with the `generate:` entry ``song`` for this texture, or None."""
        return None

    def generation_checkpoint(self, song: dict) -> str:
        """Which model an entry of `generate:` samples from: ``model`` or ``harmoniser``."""
        return "model"

    def extra_targets(self) -> list[str]:
        """Stage files (relative to `results_dir`) that `all` builds for this texture."""
        return []

    def baseline_split(self) -> bool:
        """Whether evaluation fits an n-gram baseline on the training split."""
        return False

    def metric_views(self, vocabulary) -> tuple:
        """This texture's own views of a split's log-probabilities (see
        :func:`~musiclstm.evaluation.metrics.evaluate_songs`), scored in the same pass."""
        return resolve(self.metric_views_of)(vocabulary, self) if self.metric_views_of else ()

    def baseline_metrics(self, train, splits, vocabulary) -> dict:
        """The baseline fitted on ``train``, scored on ``splits``; {} for none."""
        if not self.baseline_of:
            return {}
        return {"baseline": resolve(self.baseline_of)(train, splits, vocabulary, self)}

    def melody_line(self, tokens: list[str]) -> list[str]:
        """The tokens of the top part, which the melody statistics compare."""
        return tokens

    def music_checks(self, generated, held_out, training) -> dict:
        """This texture's own checks of generated against held-out pieces (voice leading)."""
        return {}

    def piece_features(self, tokens: list[str], bar: int, pickup: int, beat: int) -> dict:
        """The plain features a classifier tells generated from held-out pieces by
        (:mod:`~musiclstm.evaluation.distinguishability`): by default the top part's as a
        melody's (:mod:`~musiclstm.evaluation.melody_features`)."""
        from musiclstm.evaluation.melody_features import melody_features

        return melody_features(self.melody_line(tokens), bar, pickup, beat)

    def token_notes(self) -> str:
        """What the tokens of a piece are, for a reader of the song page."""
        return "one per time step: MIDI pitch, r rest, _ hold"

    def summary_headings(self) -> tuple[str, str]:
        """The summary page's title and the heading of its generated-against-held-out section."""
        return "Music LSTM: summary", "Generated songs against held-out songs"

    def report_sections(self, metrics: dict, stats: dict) -> str:
        """This texture's own sections of the summary page (HTML)."""
        return ""


def resolve(name: str):
    """The function ``module:function`` names."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)
