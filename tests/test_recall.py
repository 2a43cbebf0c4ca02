"""Recall (musiclstm.model.recall): a piece's own past mixed with the model's distribution."""

import json

import numpy as np
import pytest
import torch

from musiclstm.data.batches import SplitData
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.evaluation.metrics import evaluate_songs
from musiclstm.model.lstm import StepLSTM
from musiclstm.model.recall import (
    BANDS,
    FrameLine,
    Moved,
    Recall,
    RecallWeights,
    WholeStream,
    fit_weights,
    recall_guesses,
    recall_statistics,
)
from musiclstm.representation.base import UNKNOWN_METER
from musiclstm.representation.melody import MelodyRepresentation

VOCAB = 12


def guesses_after(tokens: list[int]) -> tuple[int, np.ndarray]:
    """The longest match and the guess for the step after ``tokens``."""
    longest, q, _ = recall_guesses(torch.tensor([tokens]), VOCAB)
    return int(longest[0, -1]), q[0, -1].numpy()


def test_the_guess_is_what_followed_the_longest_earlier_match():
    longest, q = guesses_after([0, 5, 6, 7, 8, 9, 5, 6, 7])
    assert longest == 3
    assert q[8] == 1.0 and q.sum() == 1.0


def test_occurrences_that_went_on_differently_share_the_guess():
    longest, q = guesses_after([0, 5, 6, 7, 8, 5, 6, 7, 9, 4, 5, 6, 7])
    assert longest == 3
    assert q[8] == q[9] == 0.5


def test_a_longer_match_outweighs_a_shorter_one():
    # "6 7" went on to 8 after a 1, "5 6 7" went on to 9: the longer match decides.
    longest, q = guesses_after([0, 1, 6, 7, 8, 5, 6, 7, 9, 5, 6, 7])
    assert longest == 3
    assert q[9] == 1.0 and q[8] == 0.0


def test_no_earlier_match_guesses_nothing():
    longest, q = guesses_after([0, 1, 2, 3, 4])
    assert longest == 0 and q.sum() == 0.0


def test_a_held_note_does_not_match_itself_into_a_long_match():
    """A run of holds (id 1) matches itself one step back; counted in every token that match
    grows with the note, counted without fillers it stays nothing."""
    row = torch.tensor([[0, 5, 6, *[1] * 30]])
    counted_all, q_all, _ = recall_guesses(row, VOCAB)
    longest, _, _ = recall_guesses(row, VOCAB, reader=WholeStream(VOCAB, fillers=[1]))
    assert counted_all[0, -1] >= 29 and q_all[0, -1, 1] == 1.0  # "hold on", ever more sure
    assert int(longest.max()) == 0


def test_a_repeat_is_matched_through_its_held_notes():
    """Notes 5 6 7 with holds between them, then again: the second time is matched by its
    three notes, whatever the holds, and goes on as the first did (holds, then 8)."""
    phrase = [5, 1, 1, 6, 1, 1, 7, 1, 1]
    row = torch.tensor([[0, *phrase, 8, *phrase]])
    longest, q, _ = recall_guesses(row, VOCAB, reader=WholeStream(VOCAB, fillers=[1]))
    assert longest[0, -1] == 3 and q[0, -1, 8] == 1.0
    assert longest[0, -2] == 3 and q[0, -2, 1] == 1.0


def repeating_piece(rng: np.random.Generator, length: int = 40) -> list[int]:
    """Tokens 2..VOCAB-1, a random phrase played twice and a new ending."""
    phrase = rng.integers(2, VOCAB, size=length).tolist()
    return [*phrase, *phrase, *rng.integers(2, VOCAB, size=10).tolist()]


def untrained_model(seed: int = 0) -> StepLSTM:
    torch.manual_seed(seed)
    return StepLSTM(VOCAB, 4, 8, 1, 0.0).eval()


def weights() -> tuple:
    return (0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95)


def test_the_mixture_is_a_distribution_and_stepping_equals_one_pass():
    rng = np.random.default_rng(0)
    tokens = torch.tensor([[0, *repeating_piece(rng)], [0, *repeating_piece(rng)]])
    check_distribution_and_stepping(Recall(untrained_model(), weights(), VOCAB), tokens)


@torch.no_grad()
def check_distribution_and_stepping(model: Recall, tokens: torch.Tensor) -> torch.Tensor:
    """Asserts that ``model``'s mixture over ``tokens`` sums to 1 at every step and that
    stepping as sampling does (the first token through the modules, then the fast kernel)
    gives what one pass gives; returns the pass's log-probabilities."""
    inputs = torch.zeros(*tokens.shape, 0, dtype=torch.long)
    whole, _ = model(tokens, inputs, model.start(torch.full_like(tokens, -1)))
    assert torch.allclose(whole.exp().sum(-1), torch.ones(tokens.shape), atol=1e-5)
    first, state = model(tokens[:, :1], inputs[:, :1], model.start(torch.full_like(tokens, -1)))
    stepped, step = [first[:, 0]], model.stepper()
    for t in range(1, tokens.shape[1]):
        logits, state = step(tokens[:, t], inputs[:, t], state)
        stepped.append(logits)
    assert torch.allclose(torch.stack(stepped, 1), whole, atol=1e-5)
    return whole


def melody_split(pieces: list[list[int]], vocabulary: Vocabulary) -> SplitData:
    songs = [np.array(piece) for piece in pieces]
    meters = [UNKNOWN_METER] * len(songs)
    inputs = MelodyRepresentation().songs_inputs(songs, meters, vocabulary.boundary)
    return SplitData(songs, meters, inputs)


def test_fitted_recall_lowers_the_cost_of_pieces_that_repeat_themselves():
    """Weights fitted on some repeating pieces make others cheaper, the repeat most of all."""
    vocabulary = Vocabulary(["/", "<unk>", *(str(p) for p in range(60, 60 + VOCAB - 2))])
    rng = np.random.default_rng(1)
    fitting = melody_split([repeating_piece(rng) for _ in range(6)], vocabulary)
    held_out = melody_split([repeating_piece(rng) for _ in range(4)], vocabulary)
    model = untrained_model()
    fitted = fit_weights(*recall_statistics(model, fitting, vocabulary.boundary, VOCAB))
    # A random phrase rarely matches three tokens by chance; its repeat matches ever longer.
    assert fitted.weights[0] == 0.0 and fitted.weights[4] > 0.9  # matches of 24 to 47
    plain = evaluate_songs(model, held_out, vocabulary)["bits_per_step"]
    recalling = Recall(model, fitted.weights, VOCAB)
    recalled = evaluate_songs(recalling, held_out, vocabulary)["bits_per_step"]
    # About 36 of each piece's 91 steps are guessed right: the model pays log2(12) bits on each.
    assert recalled < 0.7 * plain


def test_a_band_whose_guesses_are_wrong_gets_no_weight():
    longest = np.array([4] * 50 + [30] * 50)
    model_p = np.full(100, 0.2)
    guess_p = np.array([0.0] * 50 + [1.0] * 50)
    fitted = fit_weights(model_p, guess_p, longest)
    assert fitted.weights[2] == pytest.approx(0.0, abs=1e-6)  # band of 4 (from 3)
    assert fitted.weights[4] == pytest.approx(0.999)  # band of 30 (from 24), capped
    assert len(fitted.weights) == len(BANDS) + 1


# Frames of a frame token (1, or 2 under a fermata) and two voices, pitches 3..VOCAB-1.
FRAME_IDS, WIDTH = [1, 2], 3


def frames_with_a_repeated_tune(rng: np.random.Generator, frames: int = 20) -> list[int]:
    """A boundary, then a tune played twice over a lower voice that never repeats."""
    tune = rng.integers(3, VOCAB, size=frames).tolist()
    lower = rng.integers(3, VOCAB, size=2 * frames).tolist()
    return [0, *(t for top, low in zip(tune * 2, lower, strict=True) for t in (1, top, low))]


def test_the_top_line_recalls_a_tune_heard_before_under_another_voice():
    rng = np.random.default_rng(2)
    row = torch.tensor([frames_with_a_repeated_tune(rng)])
    longest, q, _ = recall_guesses(row, VOCAB, reader=FrameLine(VOCAB, FRAME_IDS, WIDTH))
    stream_longest, _, _ = recall_guesses(row, VOCAB)
    second_time = range(1 + 3 * 25, row.shape[1] - 1)  # steps well into the repeat
    tops = [step for step in second_time if row[0, step] == 1]  # the next token is the tune's
    lows = [step for step in second_time if row[0, step - 1] == 1]  # ... the lower voice's
    for step in tops:
        assert longest[0, step] >= 10 and q[0, step, row[0, step + 1]] == 1.0
    # The line never guesses the lower voice; the whole stream finds only chance matches.
    assert all(longest[0, step] == 0 for step in lows)
    assert int(stream_longest.max()) < 10


def test_the_line_mixtures_are_a_distribution_and_stepping_equals_one_pass():
    rng = np.random.default_rng(3)
    tokens = torch.tensor([frames_with_a_repeated_tune(rng) for _ in range(2)])
    line_weights = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.9, 0.9)
    line = FrameLine(VOCAB, FRAME_IDS, WIDTH)
    model = Recall(Recall(untrained_model(), weights(), VOCAB), line_weights, VOCAB, line)
    moved = Moved(line, [None, None, None, *range(60, 69)])  # the line read as moves too
    model = Recall(model, line_weights, VOCAB, moved)
    whole = check_distribution_and_stepping(model, tokens)
    with torch.no_grad():
        inner, _ = model.model(tokens, torch.zeros(*tokens.shape, 0, dtype=torch.long))
    assert not torch.allclose(whole, inner, atol=1e-3)  # the moved line changed something


def test_weights_with_a_line_are_written_and_read_back(tmp_path):
    line, moved = (0.0,) + (0.25,) * 7, (0.0,) + (0.125,) * 7
    fitted = RecallWeights((0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7), line, moved)
    fitted.write(tmp_path / "recall.json")
    assert RecallWeights.read(tmp_path / "recall.json") == fitted
    RecallWeights(fitted.weights).write(tmp_path / "stream.json")
    assert RecallWeights.read(tmp_path / "stream.json").line == ()


def test_weights_fitted_on_lengths_counted_otherwise_are_refused(tmp_path):
    """A recall.json from before lengths left out the holds: its bands meant other lengths."""
    path = tmp_path / "recall.json"
    path.write_text(json.dumps({"bands": list(BANDS), "weights": [0.0] + [0.5] * 7}))
    with pytest.raises(ValueError, match="every token.*fit them again"):
        RecallWeights.read(path)


def test_a_passage_heard_before_at_another_pitch_is_guessed_at_the_new_pitch():
    """A melody (pitch ids 2..11 are MIDI 60..69) plays a phrase, then the same phrase two
    semitones higher: read as moves, the second time is guessed moved, not as first played."""
    pitches = [None, None, *range(60, 70)]
    phrase = [2, 4, 3, 5, 2, 6, 4, 3]  # MIDI 60 62 61 63 60 64 62 61
    row = torch.tensor([[0, *phrase, 9, *(t + 2 for t in phrase)]])
    longest, q, _ = recall_guesses(row, VOCAB, reader=Moved(WholeStream(VOCAB), pitches))
    plain_longest, _, _ = recall_guesses(row, VOCAB)
    last = row.shape[1] - 1
    for step in range(last - 3, last):  # from four moves into the moved phrase
        assert longest[0, step] >= 4 and q[0, step, row[0, step + 1]] == 1.0
        assert plain_longest[0, step] < 2
