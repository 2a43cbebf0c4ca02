"""Sampling strategies keep their defining properties; structure and key controls work."""

import math

import pytest
import torch

from musiclstm.data.vocabulary import Vocabulary
from musiclstm.generation.beam import beam_search
from musiclstm.generation.melodies import end_on_tonic, key_shift, song_tonic
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.stepper import Stepper, sequence_log_prob
from musiclstm.generation.strategies import Sampling, SongRequest, draw, filter_logits
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.model.lstm import StepLSTM
from musiclstm.music.meter import bar_steps
from musiclstm.music.tokens import tokens_to_events
from musiclstm.representation.base import UNKNOWN_METER
from musiclstm.representation.melody import MelodyRepresentation

VOCABULARY = Vocabulary(["/", "<unk>", "57", "60", "62", "64", "65", "67", "69", "72", "r", "_"])


def random_model(seed: int) -> TrainedModel:
    torch.manual_seed(seed)
    model = StepLSTM(len(VOCABULARY), 6, 16, 1, 0.0)
    with torch.no_grad():
        model.head.weight.mul_(8)  # sharper distributions than a fresh model's near-uniform ones
    return TrainedModel(model.eval(), VOCABULARY, MelodyRepresentation(()), 0.25, 1)


def sample_melodies(model, seed, n_samples, steps, sampling, random_seed, min_steps=0):
    request = SongRequest(seed, steps, min_steps)
    return sample_songs(model, request, n_samples, sampling, random_seed)


def beam(model, seed, steps, width):
    return beam_search(model, SongRequest(seed, steps), width)


def first_step_probabilities(model) -> torch.Tensor:
    return Stepper(model, ["60", "_"], [UNKNOWN_METER], 1).log_probs[0].exp()


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_never_picks_outside_the_k_most_likely(k):
    model = random_model(1)
    allowed = set(first_step_probabilities(model).topk(k).indices.tolist())
    songs = sample_melodies(model, ["60", "_"], 200, 1, Sampling("top_k", top_k=k), 3)
    picked = {VOCABULARY.index[song[2]] if len(song) > 2 else VOCABULARY.boundary for song in songs}
    assert picked <= allowed
    assert len(picked) == k  # 200 draws see all k


def test_top_p_samples_only_from_the_nucleus():
    model = random_model(2)
    probabilities = first_step_probabilities(model)
    ordered, order = probabilities.sort(descending=True)
    size = int((ordered.cumsum(0) < 0.6).sum()) + 1  # fewest tokens holding 60 %
    nucleus = set(order[:size].tolist())
    songs = sample_melodies(model, ["60", "_"], 300, 1, Sampling("top_p", top_p=0.6), 4)
    picked = {VOCABULARY.index[song[2]] if len(song) > 2 else VOCABULARY.boundary for song in songs}
    assert picked == nucleus


def test_filter_logits_at_the_edges():
    logits = torch.tensor([[3.0, 2.0, 1.0, 0.0]])
    assert torch.isfinite(filter_logits(logits, Sampling("top_p", top_p=0.01))).sum() == 1
    assert torch.isfinite(filter_logits(logits, Sampling("top_p", top_p=1.0))).sum() == 4
    generator = torch.Generator().manual_seed(0)
    assert draw(logits, Sampling("top_k", top_k=10), generator).item() in range(4)  # k > tokens
    halved = filter_logits(logits, Sampling("temperature", temperature=2.0))
    assert torch.allclose(halved, logits / 2)


def total_log_prob(model, tokens, seed_length, steps):
    """Log-probability of the continuation, with the song boundary where the song ended early."""
    score = sequence_log_prob(model, tokens, seed_length)
    if len(tokens) - seed_length < steps:
        stepper = Stepper(model, tokens, [UNKNOWN_METER], 1)
        score += float(stepper.log_probs[0, VOCABULARY.boundary])
    return score


@pytest.mark.parametrize("seed", range(4))
def test_beam_search_is_at_least_as_likely_as_greedy(seed):
    model = random_model(10 + seed)
    greedy = beam(model, ["64"], 12, 1)[0]
    wide = beam(model, ["64"], 12, 5)[0]
    assert total_log_prob(model, wide, 1, 12) >= total_log_prob(model, greedy, 1, 12) - 1e-4


def test_near_zero_temperature_is_greedy():
    model = random_model(5)
    greedy = beam(model, ["62"], 15, 1)[0]
    cold = sample_melodies(model, ["62"], 1, 15, Sampling(temperature=1e-4), 9)[0]
    assert cold == greedy


def test_a_batch_of_variations_is_reproducible_and_varied():
    model = random_model(6)
    songs = sample_melodies(model, ["60"], 8, 30, Sampling(temperature=1.5), 1)
    again = sample_melodies(model, ["60"], 8, 30, Sampling(temperature=1.5), 1)
    assert songs == again
    assert len({" ".join(song) for song in songs}) > 1
    assert all("<unk>" not in song and "/" not in song for song in songs)


def test_min_steps_keeps_the_song_going():
    model = random_model(7)
    songs = sample_melodies(model, [], 16, 24, Sampling(), 2, min_steps=24)
    assert all(len(song) == 24 for song in songs)


@pytest.mark.parametrize("strategy", ["top_k", "temperature", "top_p", "beam"])
def test_a_song_without_a_seed_never_opens_with_a_hold(strategy):
    model = random_model(5)
    sampling = Sampling(strategy, temperature=5.0, top_k=len(VOCABULARY), beam_width=4)
    songs = sample_melodies(model, [], 64, 3, sampling, 4, min_steps=3)
    assert all(song[0] != "_" for song in songs)
    if strategy != "beam":  # after a seed note, a hold is allowed and gets drawn
        seeded = sample_melodies(model, ["60"], 64, 1, sampling, 4, min_steps=1)
        assert any(song[1] == "_" for song in seeded)


def test_bar_lengths():
    assert bar_steps("4/4", 0.25) == 16
    assert bar_steps("3/4", 0.25) == 12
    assert bar_steps("6/8", 0.25) == 12
    with pytest.raises(ValueError):
        bar_steps("7/8", 1.0)


def test_ending_on_the_tonic_at_a_bar_line():
    tokens = "60 _ _ _ 64 _ 67 _ 65 _ _ _ 64 _ _ _ 62 _ 60 _ 62 _ _".split()
    ended = end_on_tonic(tokens, VOCABULARY, 8, bars=None)
    assert len(ended) % 8 == 0
    assert ended[-8:] == ["60"] + ["_"] * 7
    assert ended[: len(tokens)] == tokens  # the song is completed, not cut
    exact = end_on_tonic(tokens + ["_"] * 9, VOCABULARY, 8, bars=3)
    assert len(exact) == 24 and exact[16:] == ["60"] + ["_"] * 7


def test_a_song_with_an_anacrusis_ends_on_its_last_bar_line():
    tokens = "67 _ 60 _ _ _ 64 _ 67 _ 65 _ _ _ 64 _ _ _ 62 _ 60 _ 62 _".split()  # 24 steps
    # Two steps into bars of 8: bar lines at steps 6, 14 and 22; the last bar, 2 steps short.
    ended = end_on_tonic(tokens, VOCABULARY, 8, bars=3, pickup=2)
    assert len(ended) == 24 and ended[:22] == tokens[:22] and ended[22:] == ["60", "_"]
    completed = end_on_tonic(tokens[:20], VOCABULARY, 8, bars=None, pickup=2)
    assert completed[:20] == tokens[:20] and completed[20:] == ["_", "_"] + ["60"] + ["_"] * 7


def test_minor_song_ends_on_a_and_moves_to_the_asked_key():
    minor = "69 _ 72 _ 71 _ 69 _ 68 _ 69 _ 64 _ _ _ 69 _ 71 _ 72 _ 71 _ 69 _ _ _".split()
    assert song_tonic(minor) == 9
    assert song_tonic("60 _ 64 _ 67 _ 72 _ 67 _ 64 _ 60 _ _ _".split()) == 0
    assert key_shift("E", 9) == -5 and key_shift("D", 0) == 2 and key_shift("F#", 0) == -6
    with pytest.raises(ValueError, match="tonic"):
        key_shift("H", 0)


def test_sequence_log_prob_matches_step_by_step():
    model = random_model(8)
    tokens = ["60", "_", "64", "r"]
    stepper = Stepper(model, [], [UNKNOWN_METER], len(tokens))
    total = 0.0
    for token in tokens:
        index = VOCABULARY.index[token]
        total += float(stepper.log_probs[0, index])
        stepper.advance(torch.tensor([index]))
    assert sequence_log_prob(model, tokens, 0) == pytest.approx(total, abs=1e-5)
    assert math.isfinite(total)
    assert tokens_to_events(tokens)[0] == (60, 2)
