"""Sampling a batch of songs: the seed fed once, then every song advanced one token at a time."""

from __future__ import annotations

import torch

from melodylstm.data.vocabulary import Vocabulary
from melodylstm.generation.beam import beam_search
from melodylstm.generation.stepper import Stepper
from melodylstm.generation.strategies import Sampling, StepBans, draw
from melodylstm.model.lstm import MelodyLSTM


@torch.inference_mode()
def sample_melodies(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    seed_tokens: list[str],
    n_samples: int,
    steps: int,
    sampling: Sampling,
    random_seed: int,
    min_steps: int = 0,
    meter: tuple[int, int] = (0, 0),
    fast_step: bool = True,
) -> list[list[str]]:
    """``n_samples`` songs as one batch: the seed and up to ``steps`` new tokens each.

    ``fast_step=False`` steps through the model's own modules instead of the
    :class:`~melodylstm.step_kernel.StepKernel` (the same numbers to float rounding, slower).

    A song ends at the song boundary, which cannot be chosen before ``min_steps`` new tokens.
    """
    if sampling.strategy == "beam":
        return beam_search(
            model, vocabulary, seed_tokens, steps, sampling, n_samples, min_steps, meter
        )
    generator = torch.Generator().manual_seed(random_seed)
    stepper = Stepper(model, vocabulary, seed_tokens, n_samples, meter, fast_step)
    chosen: list[torch.Tensor] = []
    finished = torch.zeros(n_samples, dtype=torch.bool)
    bans = StepBans(vocabulary, min_steps, bool(seed_tokens))
    for step in range(steps):
        choices = draw(bans.apply(stepper.logits, step), sampling, generator)
        chosen.append(choices)
        finished |= choices == vocabulary.boundary
        if finished.all():
            break
        stepper.advance(choices)
    songs = []
    # Each song ends before its first boundary token; rows went on stepping after it, unused.
    for row in (torch.stack(chosen, dim=1) if chosen else torch.zeros(n_samples, 0)).tolist():
        end = row.index(vocabulary.boundary) if vocabulary.boundary in row else len(row)
        songs.append(seed_tokens + vocabulary.decode(row[:end]))
    return songs
