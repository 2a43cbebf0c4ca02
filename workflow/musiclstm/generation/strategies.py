"""How the next token is chosen, and what a step may not write. Four strategies:

- ``temperature``: sample from softmax(logits / temperature);
- ``top_k``: the same, from the ``top_k`` most likely tokens only;
- ``top_p`` (nucleus): from the fewest most likely tokens whose probability reaches ``top_p``;
- ``beam``: beam search for the most likely continuation, ``beam_width`` hypotheses wide.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from musiclstm.model.checkpoint import TrainedModel
from musiclstm.representation.base import UNKNOWN_METER, Meter
from musiclstm.settings import SongSettings

STRATEGIES = ("temperature", "top_k", "top_p", "beam")


@dataclass(frozen=True)
class Sampling:
    """How the next token is chosen."""

    strategy: str = "temperature"
    temperature: float = 1.0
    top_k: int = 8
    top_p: float = 0.9
    beam_width: int = 4
    voice_rules: bool = False  # an ensemble's voice-leading bans (generation/voice_rules.py)
    cadence_rules: bool = False  # an ensemble's chords at fermatas (generation/cadence_rules.py)
    refine_sweeps: int = 0  # an ensemble's notes redrawn given both sides (generation/refine.py)
    refine_temperature: float = 1.0
    allow_crossings: bool = False  # with voice_rules: a voice may sound above the next

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}"
            )
        if self.temperature <= 0:
            raise ValueError(f"temperature must be above 0, not {self.temperature}")
        if self.top_k < 1 or not 0 < self.top_p <= 1 or self.beam_width < 1:
            raise ValueError("top_k and beam_width must be at least 1 and top_p in (0, 1]")
        if self.refine_sweeps < 0 or self.refine_temperature <= 0:
            raise ValueError("refine_sweeps must be 0 or more and refine_temperature above 0")

    @classmethod
    def from_song(cls, song: SongSettings) -> Sampling:
        return cls(
            song.strategy,
            song.temperature,
            song.top_k,
            song.top_p,
            song.beam_width,
            song.voice_rules,
            song.cadence_rules,
            song.refine_sweeps,
            song.refine_temperature,
            song.allow_crossings,
        )


def sampling_record(song: SongSettings) -> dict:
    """How a song was sampled, as its song info records it."""
    return asdict(Sampling.from_song(song)) | {"random_seed": song.random_seed}


def filter_logits(logits: torch.Tensor, sampling: Sampling) -> torch.Tensor:
    """Logits divided by the temperature, with the tokens top-p excludes set to -inf (top-k is
    drawn from its k best directly, see :func:`draw`)."""
    scaled = logits / sampling.temperature
    if sampling.strategy == "top_p":
        probabilities, order = torch.softmax(scaled, dim=-1).sort(dim=-1, descending=True)
        mass_before = probabilities.cumsum(dim=-1) - probabilities
        # Keep a token while the tokens above it hold less than top_p; the most likely always stays.
        drop_sorted = mass_before >= sampling.top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        scaled = scaled.masked_fill(drop, -math.inf)
    return scaled


@dataclass(frozen=True)
class SongRequest:
    """What to write: the seed's tokens, then up to ``steps`` new tokens, the song boundary
    (its end) not before ``min_steps`` of them, in ``meter`` (the seed starts on its bar line,
    ``meter.pickup`` steps into the bar). ``given`` fixes new tokens in advance, one entry per
    new step (None where the model chooses): a melody being harmonised, whose ``tonic`` the
    cadences end on. ``compass`` is the widest span, in semitones, each voice's notes may take
    (None: any; empty: no compass), kept with the voice rules."""

    seed: list[str]
    steps: int
    min_steps: int = 0
    meter: Meter = UNKNOWN_METER
    given: tuple[str | None, ...] = ()
    tonic: int | None = None  # the given melody's tonic pitch class, where it is known
    compass: tuple[float | None, ...] = ()

    def given_ids(self, vocabulary) -> np.ndarray | None:
        """The ids of the whole song's given tokens, the seed's included (-1 where free), or
        None where nothing is given."""
        if not self.given:
            return None
        ids = np.full(len(self.seed) + self.steps, -1, dtype=np.int64)
        ids[: len(self.seed)] = vocabulary.encode(self.seed)
        for step, token in enumerate(self.given[: self.steps]):
            if token is not None:
                ids[len(self.seed) + step] = vocabulary.index[token]
        return ids


def ban_mask(size: int, banned: list[int]) -> torch.Tensor:
    """An additive mask over ``size`` tokens: -inf at ``banned``, 0 elsewhere."""
    mask = torch.zeros(size)
    mask[banned] = -math.inf
    return mask


class StepBans:
    """What a sampled song may not write at a step, as additive masks (-inf where banned): the
    song boundary before ``min_steps`` new tokens; in a song without a seed, the tokens the
    representation says cannot open a song (a melody's hold, which would hold nothing); and
    what the representation's cycle of steps bans (a chorale voice's step writes no frame
    token). ``seed_length`` places the new steps in that cycle."""

    def __init__(self, trained: TrainedModel, min_steps: int, seeded: bool, seed_length: int = 0):
        vocabulary = trained.vocabulary
        self.min_steps = min_steps
        self.seed_length = seed_length
        representation, size = trained.representation, len(vocabulary)
        self.cycle = [
            ban_mask(size, banned) for banned in representation.cycle_bans(vocabulary.tokens)
        ]
        self.no_end = ban_mask(size, [vocabulary.boundary])
        self.opening = []
        if not seeded:
            self.opening = [
                ban_mask(size, banned) for banned in representation.opening_bans(vocabulary.tokens)
            ]

    def apply(self, scores: torch.Tensor, step: int) -> torch.Tensor:
        """``scores`` (logits or log-probabilities, one row per song) of ``step`` with the bans."""
        if step < self.min_steps:
            scores = scores + self.no_end
        if step < len(self.opening):
            scores = scores + self.opening[step]
        if self.cycle:
            scores = scores + self.cycle[(self.seed_length + step) % len(self.cycle)]
        return scores


def draw(logits: torch.Tensor, sampling: Sampling, generator: torch.Generator) -> torch.Tensor:
    """One token per row of ``logits``, chosen as ``sampling`` says (not beam search)."""
    if sampling.strategy == "top_k":
        # Sampling among the k best directly: the same distribution as masking the rest to -inf.
        values, indices = logits.topk(min(sampling.top_k, logits.shape[-1]), dim=-1)
        probabilities = torch.softmax(values / sampling.temperature, dim=-1)
        picks = torch.multinomial(probabilities, 1, generator=generator)
        return indices.gather(1, picks).view(-1)
    probabilities = torch.softmax(filter_logits(logits, sampling), dim=-1)
    return torch.multinomial(probabilities, 1, generator=generator).view(-1)
