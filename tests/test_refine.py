"""Refinement with both sides known (musiclstm.generation.refine): each note of a written piece
drawn again given the notes before and after it, the given ones and the seed never touched."""

import numpy as np
import pytest
import torch
from test_chorales import ENCODING, parsed, vocabulary_of

from musiclstm.data.chorale import song_to_chorale
from musiclstm.data.sources import corpus_root
from musiclstm.evaluation.voice_leading import chorale_counts
from musiclstm.generation.ensembles import compose_request, harmonise_request, read_given_melody
from musiclstm.generation.refine import Faults, Refiner, free_steps, refine_piece
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.stepper import sequence_log_prob
from musiclstm.generation.strategies import Sampling
from musiclstm.model.checkpoint import TrainedModel, build_model, model_args
from musiclstm.music.frames import SATB, frame_width, parse_frames
from musiclstm.music.tokens import HOLD
from musiclstm.representation.chorale import ChoraleRepresentation
from musiclstm.settings import ModelSettings, SongSettings, settings
from musiclstm.textures import texture_from

WIDTH = frame_width(len(SATB))
CHORALE = "bach/bwv269.mxl"


def chorale_model(lookahead=(), reader=0) -> TrainedModel:
    """An untrained four-voice model over the tokens of a real chorale (with a ``reader`` of
    that size, it reads a given melody whole)."""
    tokens = song_to_chorale(parsed(CHORALE), ENCODING, SATB).chorale.tokens()
    vocabulary = vocabulary_of(tokens, [str(p) for p in range(36, 84)])
    representation = ChoraleRepresentation((1,), lookahead)
    model = settings(
        ModelSettings, hidden_size=16, embedding_size=8, lookback=[1], melody_reader=reader
    )
    torch.manual_seed(0)
    network = build_model(model_args(len(vocabulary), model, 0, representation)).eval()
    texture = texture_from({"name": "chorale"})
    return TrainedModel(network, vocabulary, representation, 0.25, 0, texture)


def faults_of(tokens: list[str], texture) -> int:
    """Faults as the evaluation counts them: parallels, crossing frames, notes out of range."""
    counts = chorale_counts(parse_frames(tokens), [(v.low, v.high) for v in texture.voices])
    return (
        counts["parallel_fifths"]
        + counts["parallel_octaves"]
        + counts["crossing_frames"]
        + counts["notes_out_of_range"]
    )


def fault_count(trained: TrainedModel, tokens: list[str]) -> int:
    ranges = [(v.low, v.high) for v in trained.texture.voices]
    ids = np.asarray(trained.vocabulary.encode(tokens))
    [count] = Faults(trained.vocabulary.tokens, ranges).counts(ids.reshape(1, -1, WIDTH))
    return count


def test_the_fault_count_is_the_evaluations_on_bach_and_on_drafts():
    trained = chorale_model()
    bach = song_to_chorale(parsed(CHORALE), ENCODING, SATB).chorale.tokens()
    request = compose_request(settings(SongSettings, seed="", bars=2), [], 0.25, WIDTH)
    drafts = sample_songs(trained, request, 4, Sampling("temperature"), 3)
    for tokens in [bach, *drafts]:
        assert fault_count(trained, tokens) == faults_of(tokens, trained.texture)
    assert max(fault_count(trained, draft) for draft in drafts) > 0


def test_each_semitone_a_voice_spans_past_its_compass_is_a_fault():
    trained = chorale_model()
    bach = song_to_chorale(parsed(CHORALE), ENCODING, SATB).chorale.tokens()
    ids = np.asarray(trained.vocabulary.encode(bach)).reshape(1, -1, WIDTH)
    grid = Faults(trained.vocabulary.tokens, [None] * 4).grid(ids[0, :, 1:])
    spans = np.nanmax(grid, axis=0) - np.nanmin(grid, axis=0)
    ranges = [(v.low, v.high) for v in trained.texture.voices]
    plain = fault_count(trained, bach)
    compass = (spans[0] - 2, None, spans[2], spans[3] - 5)  # soprano 2 and bass 5 too wide
    faults = Faults(trained.vocabulary.tokens, ranges, compass=compass)
    assert faults.counts(ids) == [plain + 7]


def test_with_crossings_allowed_a_crossing_frame_is_no_fault():
    trained = chorale_model()
    # The tenor's G4 above the alto's E4, struck and held: two frames with a crossing.
    tokens = ["|", "72", "64", "67", "48", "|", HOLD, HOLD, HOLD, HOLD, "|", "72", "67", "64", "48"]
    ranges = [(v.low, v.high) for v in trained.texture.voices]
    assert chorale_counts(parse_frames(tokens), ranges)["crossing_frames"] == 2
    ids = np.asarray(trained.vocabulary.encode(tokens)).reshape(1, -1, WIDTH)
    allowed = Faults(trained.vocabulary.tokens, ranges, crossings=True).counts(ids)
    assert allowed == [fault_count(trained, tokens) - 2]


def test_a_last_chord_without_the_tonic_on_top_weighs_less_than_a_cadence_fault():
    trained = chorale_model()
    tokens = trained.vocabulary.tokens
    faults = Faults(tokens, [None] * 4, tokens.index("|F"), voice_leading=False, tonic=0)
    dominant = ["|", "67", "62", "59", "43"]

    def counted(last_chord: list[str]) -> int:
        ids = np.asarray(trained.vocabulary.encode([*dominant, "|F", *last_chord]))
        return faults.counts(ids.reshape(1, -1, WIDTH))[0]

    assert counted(["72", "64", "55", "48"]) == 0  # C E G C: the tonic at the top and bottom
    assert counted(["67", "64", "60", "48"]) == 1  # G E C C: the fifth on top
    # G D B G: on the dominant, a cadence fault, which outweighs the top voice's
    assert counted(["67", "62", "59", "43"]) == 3


@torch.inference_mode()
@pytest.mark.parametrize("reader", [0, 8], ids=["composer", "reader"])
def test_a_candidates_score_is_the_whole_pieces_log_probability(reader):
    """Over a piece no longer than the horizon, a candidate's score differs from the log-probability
    of the whole piece with it in place by the same constant for every candidate: the draw is
    the model's exact conditional given both sides (a harmoniser's reading of the melody too)."""
    trained = chorale_model(reader=reader)
    request = compose_request(settings(SongSettings, seed="", bars=1), [], 0.25, WIDTH)
    [tokens] = sample_songs(trained, request, 1, Sampling("temperature"), 5)
    ids = np.asarray(trained.vocabulary.encode(tokens))
    refiner = Refiner(trained, Sampling(voice_rules=False), torch.Generator())
    step = 7  # the second frame's alto
    shifted = torch.as_tensor(np.concatenate([[trained.vocabulary.boundary], ids]))
    inputs = refiner.inputs(ids, request.meter)
    start = trained.model.start(torch.as_tensor(ids)[None])
    logits, state = trained.model(shifted[None, : step + 1], inputs[None, : step + 1], start)
    first = refiner.log_probs(logits[0, -1])
    candidates = refiner.candidates(first, int(ids[step]), step)
    scores = first[candidates] + refiner.later_log_probs(
        ids.copy(), step, candidates, state, request.meter
    )
    whole = []
    for token in candidates:
        ids[step] = token
        piece = trained.vocabulary.decode(ids) + ["/"]
        whole.append(sequence_log_prob(trained, piece, 0, request.meter))
    differences = np.asarray(whole) - scores.numpy()
    assert len(candidates) > 2
    assert np.allclose(differences, differences[0], atol=1e-3)


def test_sweeps_at_a_low_temperature_never_make_the_piece_less_likely():
    trained = chorale_model()
    request = compose_request(settings(SongSettings, seed="", bars=1), [], 0.25, WIDTH)
    [draft] = sample_songs(trained, request, 1, Sampling("temperature"), 2)
    sampling = Sampling(refine_temperature=1e-4, voice_rules=False)
    refiner = Refiner(trained, sampling, torch.Generator().manual_seed(0))
    before = sequence_log_prob(trained, draft + ["/"], 0, request.meter)
    once = refine_piece(refiner, draft, request, 1)
    after = sequence_log_prob(trained, once + ["/"], 0, request.meter)
    assert once != draft and after > before


@pytest.mark.parametrize("reader", [0, 8], ids=["look-ahead", "reader"])
def test_refining_with_the_rules_mends_faults_and_keeps_the_given_melody(reader):
    trained = chorale_model(lookahead=(1, 2, 4), reader=reader)
    melody = read_given_melody(str(corpus_root() / CHORALE), ENCODING)
    request = harmonise_request(melody, 0.25, WIDTH)
    [draft] = sample_songs(trained, request, 1, Sampling("temperature"), 1)
    refiner = Refiner(trained, Sampling(voice_rules=True), torch.Generator().manual_seed(0))
    mended = refine_piece(refiner, draft, request, 2)
    assert fault_count(trained, draft) > 0
    assert fault_count(trained, mended) < fault_count(trained, draft)
    # The same through the sampler, rules and sweeps together: the melody comes back as given.
    sampling = Sampling(voice_rules=True, refine_sweeps=2)
    [refined] = sample_songs(trained, request, 1, sampling, 1)
    for piece in (mended, refined):
        chorale = parse_frames(piece)
        assert chorale.voices[0] == melody.tokens and chorale.fermatas == melody.fermatas
        assert HOLD not in [voice[0] for voice in chorale.voices]


def test_only_voice_steps_after_the_seed_and_not_given_are_redrawn():
    given = np.array([-1] * 10 + [3, 4, -1, -1, -1])
    free = free_steps(15, WIDTH, 5, given)
    assert free.tolist() == [False] * 6 + [True] * 4 + [False] * 2 + [True] * 3
