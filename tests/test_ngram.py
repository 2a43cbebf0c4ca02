"""The interpolated Kneser-Ney baseline: its formula by hand, proper distributions, its metrics."""

import math

import numpy as np
import pytest
import torch

from musiclstm.data.batches import SplitData
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.evaluation.metrics import evaluate_songs
from musiclstm.model.ngram import KneserNey, NgramCounts
from musiclstm.representation.base import UNKNOWN_METER
from musiclstm.representation.melody import MelodyRepresentation

VOCABULARY = Vocabulary(["/", "<unk>", "60", "62", "64", "r", "_"])


def test_bigram_probabilities_by_hand():
    # Token ids: 0 is the boundary. Sequences as counted: / 2 3 /  and  / 2 4 /.
    counts = NgramCounts([np.array([2, 3]), np.array([2, 4])], 2, 5, boundary=0)
    model = KneserNey(counts, 2)
    # Bigrams: /->2 twice, 2->3, 2->4, 3->/, 4->/: counts 2,1,1,1,1 so D2 = 4 / (4 + 2) = 2/3.
    # Continuation counts of the unigrams (different tokens before): / 2, 2 1, 3 1, 4 1, <unk> 0;
    # counts 2,1,1,1 so D1 = 3 / (3 + 2) = 3/5; 5 in all, 4 kinds seen, uniform over 5 tokens.
    d1, d2 = 3 / 5, 2 / 3
    unigram = {w: max(c - d1, 0) / 5 + d1 * 4 / 5 / 5 for w, c in enumerate([2, 0, 1, 1, 1])}
    assert sum(unigram.values()) == pytest.approx(1.0)
    after_2 = model.probabilities((2,))
    assert after_2[3] == pytest.approx((1 - d2) / 2 + d2 * 2 / 2 * unigram[3])
    assert after_2[0] == pytest.approx(d2 * unigram[0])
    assert after_2[1] == pytest.approx(d2 * unigram[1]) and after_2[1] > 0
    # An unseen context passes the unigram level on as it is.
    np.testing.assert_allclose(model.probabilities((1,)), [unigram[w] for w in range(5)])
    # The first token of a song is predicted from the boundary: only 2 ever came first.
    assert model.probabilities((0,))[2] > 0.5


def test_continuation_counts_favour_tokens_seen_in_many_contexts():
    # 4 occurs three times but only ever after 3; 5 and 6 occur once each, after different tokens.
    songs = [np.array([3, 4, 3, 4, 3, 4]), np.array([2, 5]), np.array([6, 2])]
    model = KneserNey(NgramCounts(songs, 2, 7, boundary=0), 2)
    unseen_context = model.probabilities((1,))
    assert unseen_context[4] < unseen_context[2]  # 2 follows two different tokens, 4 only one


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_every_context_gives_a_distribution(order):
    rng = np.random.default_rng(0)
    songs = [rng.integers(2, 7, size=rng.integers(3, 30)) for _ in range(20)]
    model = KneserNey(NgramCounts(songs, 5, 7, boundary=0), order)
    for _ in range(50):
        context = tuple(rng.integers(0, 7, size=order - 1).tolist())
        p = model.probabilities(context)
        assert p.sum() == pytest.approx(1.0) and (p > 0).all()


def test_scored_as_a_model_with_the_same_metrics():
    song = VOCABULARY.encode("60 _ 62 _ 64 _ _ _ r _".split())
    songs = [np.array(song)] * 5
    meters = [UNKNOWN_METER] * 5
    data = SplitData(songs, meters, MelodyRepresentation().songs_inputs(songs, meters, 0))
    counts = NgramCounts(songs, 4, len(VOCABULARY), VOCABULARY.boundary)
    bits = [
        evaluate_songs(KneserNey(counts, n), data, VOCABULARY)["bits_per_step"] for n in (1, 2, 4)
    ]
    assert bits[0] > bits[1] > bits[2]
    assert bits[2] < 0.5  # with three tokens of context the song is nearly certain
    metrics = evaluate_songs(KneserNey(counts, 4), data, VOCABULARY)
    assert metrics["steps"] == 5 * 11 and math.isfinite(metrics["pitch_bits_per_note"])


def test_pieces_with_the_state_equal_the_whole_sequence():
    rng = np.random.default_rng(1)
    songs = [rng.integers(2, 7, size=20) for _ in range(10)]
    model = KneserNey(NgramCounts(songs, 3, 7, boundary=0), 3)
    tokens = torch.tensor([[0, 2, 3, 4, 5, 6, 2]])
    whole, _ = model(tokens)
    first, state = model(tokens[:, :3])
    second, _ = model(tokens[:, 3:], None, state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)
    assert state[0].tolist() == [[[2, 3]]]


def test_bad_orders_are_named():
    counts = NgramCounts([np.array([2, 3])], 3, 5, boundary=0)
    with pytest.raises(ValueError, match="between 1 and 3, not 4"):
        KneserNey(counts, 4)
    with pytest.raises(ValueError, match="at least 1, not 0"):
        NgramCounts([], 0, 5, boundary=0)
