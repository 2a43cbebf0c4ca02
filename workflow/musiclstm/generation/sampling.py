"""Sampling a batch of songs: the seed fed once, then every song advanced one token at a time."""

from __future__ import annotations

import torch

from musiclstm.generation.beam import beam_search
from musiclstm.generation.cadence_rules import CadenceRules
from musiclstm.generation.refine import Refiner, refine_piece
from musiclstm.generation.stepper import Stepper
from musiclstm.generation.strategies import Sampling, SongRequest, StepBans, draw
from musiclstm.generation.voice_rules import VoiceRules
from musiclstm.model.checkpoint import TrainedModel


class SamplerRules:
    """The voice-leading and cadence bans ``sampling`` asks for, where the texture has voices.

    A cadence chord outranks the compass: where the cadence bans with every voice rule would
    leave a voice no note (a voice whose span the training piece's compass holds too tight to
    reach the chord), the compass gives way first, then the cadence bans."""

    def __init__(self, voice: VoiceRules | None, cadence: CadenceRules | None):
        self.voice, self.cadence = voice, cadence

    @classmethod
    def of(
        cls, trained: TrainedModel, request: SongRequest, n_samples: int, sampling: Sampling
    ) -> SamplerRules:
        """The rules, having read the seed."""
        voice = cadence = None
        if sampling.voice_rules:
            voice = VoiceRules.of(trained, n_samples, request.compass, sampling.allow_crossings)
        if sampling.cadence_rules:
            given = request.given_ids(trained.vocabulary)
            cadence = CadenceRules.of(trained, n_samples, given, request.tonic)
        rules = cls(voice, cadence)
        for token_id in trained.vocabulary.encode(request.seed):
            rules.observe(torch.full((n_samples,), int(token_id)))
        return rules

    def observe(self, choices: torch.Tensor) -> None:
        for rule in (self.voice, self.cadence):
            if rule is not None:
                rule.observe(choices)

    def apply(self, scores: torch.Tensor) -> torch.Tensor:
        ruled = self.voice.apply(scores) if self.voice else scores
        if self.cadence is None:
            return ruled
        # The bans without the compass are worked out only where a cadence needs them.
        looser = (lambda: self.voice.apply(scores, compass=False)) if self.voice else None
        return self.cadence.apply(ruled, looser)


@torch.inference_mode()
def sample_songs(
    trained: TrainedModel,
    request: SongRequest,
    n_samples: int,
    sampling: Sampling,
    random_seed: int,
    fast_step: bool = True,
) -> list[list[str]]:
    """``n_samples`` songs as one batch: the seed and up to ``request.steps`` new tokens each.

    ``fast_step=False`` steps through the model's own modules instead of its faster step
    function (the same numbers to float rounding, slower). A song ends at the song boundary.
    Where ``request.given`` fixes a step's token, every song writes it (the draw is made all
    the same, so the random stream does not depend on what is given).
    """
    if sampling.strategy == "beam":
        if request.given:
            raise ValueError("beam search does not take given tokens; sample instead")
        return beam_search(trained, request, sampling.beam_width, n_samples)
    boundary = trained.vocabulary.boundary
    generator = torch.Generator().manual_seed(random_seed)
    given = request.given_ids(trained.vocabulary)
    meters = [request.meter] * n_samples
    stepper = Stepper(trained, request.seed, meters, request.steps, fast_step, given)
    chosen: list[torch.Tensor] = []
    finished = torch.zeros(n_samples, dtype=torch.bool)
    bans = StepBans(trained, request.min_steps, bool(request.seed), len(request.seed))
    rules = SamplerRules.of(trained, request, n_samples, sampling)
    for step in range(request.steps):
        scores = rules.apply(bans.apply(stepper.logits, step))
        choices = draw(scores, sampling, generator)
        if given is not None and given[len(request.seed) + step] >= 0:
            choices = torch.full_like(choices, int(given[len(request.seed) + step]))
        rules.observe(choices)
        chosen.append(choices)
        finished |= choices == boundary
        if finished.all():
            break
        stepper.advance(choices)
    songs = []
    # Each song ends before its first boundary token; rows went on stepping after it, unused.
    for row in (torch.stack(chosen, dim=1) if chosen else torch.zeros(n_samples, 0)).tolist():
        end = row.index(boundary) if boundary in row else len(row)
        songs.append(request.seed + trained.vocabulary.decode(row[:end]))
    return refined(trained, songs, request, sampling, generator)


def refined(
    trained: TrainedModel,
    songs: list[list[str]],
    request: SongRequest,
    sampling: Sampling,
    generator: torch.Generator,
) -> list[list[str]]:
    """The songs after the sweeps ``sampling`` asks for, where the texture has several voices
    (a melody has no notes beside it to read)."""
    if not sampling.refine_sweeps or len(trained.texture.voices) < 2:
        return songs
    refiner = Refiner(trained, sampling, generator, request.tonic, request.compass)
    return [refine_piece(refiner, song, request, sampling.refine_sweeps) for song in songs]
