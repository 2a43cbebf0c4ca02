"""Held notes folded into their pitch (musiclstm.evaluation.folded): the figure the JSB chorale
records are scored in."""

import math
from collections import Counter

import pytest
import torch

from musiclstm.data.batches import IGNORE
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.evaluation.folded import FoldedView, folded_nats, sounding_before
from musiclstm.music.tokens import HOLD, REST, SPECIAL_TOKENS

TOKENS = [*SPECIAL_TOKENS, "|", "|F", "60", "62", "64", REST, HOLD]
VOCABULARY = Vocabulary(TOKENS)
ID = VOCABULARY.index
WIDTH = 3  # two voices


def stream(*frames: tuple[str, str]) -> torch.Tensor:
    """Targets of one piece: each frame's token and two voices, then the end."""
    ids = [ID[token] for a, b in frames for token in ("|", a, b)] + [VOCABULARY.boundary]
    return torch.tensor([ids])


def test_a_hold_sounds_what_it_holds_through_frames_and_rests():
    targets = stream(("60", REST), (HOLD, HOLD), (HOLD, "62"), ("64", HOLD))
    frames = targets[:, :-1].view(1, 4, WIDTH)
    before = sounding_before(frames, ID[HOLD])[0]
    assert before[0].tolist() == [-1, -1, -1]
    assert before[:, 1].tolist() == [-1, ID["60"], ID["60"], ID["60"]]
    assert before[:, 2].tolist() == [-1, ID[REST], ID[REST], ID["62"]]


def test_a_held_step_costs_the_hold_and_the_pitch_again_together():
    targets = stream(("60", "62"), (HOLD, "64"))
    log_probs = torch.log_softmax(torch.randn(1, targets.shape[1], len(TOKENS)), dim=-1)
    nats, voice, frame = folded_nats(log_probs, targets, WIDTH, ID[HOLD])
    held = WIDTH + 1  # the first voice's step in the second frame
    expected = -math.log(log_probs[0, held, ID[HOLD]].exp() + log_probs[0, held, ID["60"]].exp())
    assert nats[0, held].item() == pytest.approx(expected, rel=1e-5)
    # A new pitch costs its own probability, as the stream scores it.
    assert nats[0, held + 1].item() == pytest.approx(-log_probs[0, held + 1, ID["64"]].item())
    assert voice[0].tolist() == [False, True, True] * 2 + [False]
    assert frame[0].tolist() == [True, False, False] * 2 + [True]


def test_the_folded_record_probabilities_sum_to_the_voice_tokens_share():
    """Over every record the second frame's first voice can hold (60 again, another pitch, a
    rest), the folded probabilities add up to what the model gives the voice's tokens: no mass is
    counted twice and none is lost."""
    log_probs = torch.log_softmax(torch.randn(1, 8, len(TOKENS)), dim=-1)
    step = WIDTH + 1
    total = 0.0
    for record in ("60", "62", "64", REST):
        written = HOLD if record == "60" else record
        nats, _, _ = folded_nats(log_probs, stream(("60", "62"), (written, "62")), WIDTH, ID[HOLD])
        total += math.exp(-nats[0, step].item())
    music = [ID[token] for token in ("60", "62", "64", REST, HOLD)]
    assert total == pytest.approx(log_probs[0, step, music].exp().sum().item(), rel=1e-5)


def test_the_view_pools_steps_and_averages_pieces():
    view = FoldedView(VOCABULARY, ("upper", "lower"))
    short = stream(("60", "62"))
    long = stream(("60", "62"), (HOLD, HOLD), (HOLD, HOLD))
    targets = torch.full((2, long.shape[1]), IGNORE)
    targets[0, : short.shape[1]] = short[0]
    targets[1] = long[0]
    log_probs = torch.log_softmax(torch.randn(2, targets.shape[1], len(TOKENS)), dim=-1)
    totals = view.totals(log_probs, targets)
    metrics = view.metrics(Counter(totals), 2)
    nats, voice, frame = folded_nats(log_probs, targets, WIDTH, ID[HOLD])
    per_piece = [(nats[row] * voice[row]).sum() / voice[row].sum() for row in range(2)]
    assert metrics["voice_steps"] == 2 + 6
    assert metrics["nats_per_voice_step"] == pytest.approx((nats * voice).sum().item() / 8)
    assert metrics["nats_per_voice_step_by_piece"] == pytest.approx(
        (per_piece[0] + per_piece[1]).item() / 2
    )
    assert metrics["frame_nats_per_voice_step"] == pytest.approx((nats * frame).sum().item() / 8)
