"""The learned voice-leading weights of a step model of several voices: what each candidate note
does against the notes sounding around it, computed exactly from the inputs."""

import numpy as np
import pytest
import torch

from musiclstm.data.vocabulary import Vocabulary, build_vocabulary
from musiclstm.model.checkpoint import build_model, model_args
from musiclstm.model.voice_leading import CONTRARY, OBLIQUE, PARALLEL, SIMILAR, distance_bin
from musiclstm.music.frames import SATB
from musiclstm.representation.base import Meter
from musiclstm.representation.chorale import ChoraleRepresentation
from musiclstm.representation.registry import representation_from
from musiclstm.settings import ModelSettings, settings

# Two frames: the soprano rises G4-A4 while the alto and tenor hold C4 and G3; the bass, on C3,
# is the step being written.
FRAMES = "| 67 60 55 48 | 69 _ _ 50".split()
BASS_STEP = 9
SLOT = {"soprano": 1, "alto": 2, "tenor": 3, "bass": 4}


def bass_scores(weights_set):
    return candidate_scores(FRAMES, BASS_STEP, weights_set, ("50", "47", "52", "57", "_", "r"))


def candidate_scores(frames, step, weights_set, candidates, version=True):
    """The weights' score of each of ``candidates`` at ``step`` of ``frames`` (tokens), with the
    weights set by ``weights_set``."""
    vocabulary = Vocabulary(
        build_vocabulary([[*frames, *candidates]], ChoraleRepresentation())["tokens"]
    )
    representation = ChoraleRepresentation((1,), (), SATB, version)
    representation = representation.for_vocabulary(vocabulary.tokens)
    model = settings(ModelSettings, hidden_size=8, embedding_size=4, voice_leading=True)
    args = model_args(len(vocabulary), model, 0, representation, vocabulary.tokens)
    weights = build_model(args).voice_leading
    with torch.no_grad():
        weights_set(weights)
    ids = np.array(vocabulary.encode(frames))
    inputs = torch.as_tensor(representation.song_inputs(ids, Meter(16, 0), 0))[step]
    with torch.no_grad():
        scores = weights(inputs)
    return {token: float(scores[vocabulary.index[token]]) for token in candidates}


def test_untrained_voice_leading_weights_add_nothing():
    assert set(bass_scores(lambda weights: None).values()) == {0.0}


def test_a_parallel_fifth_with_the_soprano_is_found_through_the_held_voices():
    """C3 to D3 under G4 to A4 is a parallel (compound) fifth, the soprano three places above
    the bass; B2 moves against it; the tenor's G3, held, is a fourth above D3."""

    def set_weights(weights):
        bass = weights.against[SLOT["bass"]]  # (places above - 1, distance below, relation)
        bass[2, distance_bin(69 - 50), PARALLEL] = -7.0  # a twelfth below the soprano
        bass[2, distance_bin(69 - 47), CONTRARY] = 0.5
        bass[0, distance_bin(55 - 50), OBLIQUE] = 3.0  # a fourth below the held tenor
        bass[2, distance_bin(69 - 50), SIMILAR] = 100.0  # similar into a fifth: parallel here
        weights.motion[SLOT["bass"], 12 + 4] = 1.5  # up a major third: C3 to E3

    scores = bass_scores(set_weights)
    assert scores["50"] == pytest.approx(-7.0 + 3.0)  # parallel fifth, a fourth below G3
    assert scores["47"] == pytest.approx(0.5)  # contrary motion
    assert scores["52"] == pytest.approx(1.5)  # similar motion into a sixth: only its step
    assert scores["_"] == 0.0 and scores["r"] == 0.0  # a held C3 moves against nothing


def test_a_crossing_and_a_parallel_octave_are_told_from_their_voice():
    def set_weights(weights):
        weights.against[SLOT["bass"], 0, : distance_bin(0)] = -2.0  # above the tenor
        weights.against[SLOT["tenor"], 0, :, PARALLEL] = -9.0

    scores = bass_scores(set_weights)
    # A3 goes above the tenor's G3; the tenor's weights are not the bass's.
    assert scores.pop("57") == -2.0
    assert set(scores.values()) == {0.0}


@pytest.mark.parametrize("head", ["frame", "window"])
def test_voice_leading_weights_need_a_step_model(head):
    representation = ChoraleRepresentation((1,), (), SATB, True).for_vocabulary(["_", "60"])
    model = settings(ModelSettings, head=head, voice_leading=True)
    with pytest.raises(ValueError, match="model.voice_leading"):
        model_args(2, model, 0, representation, ["_", "60"])


# Three frames: the bass leaps up a minor third (A2 to C3) while the tenor holds G3 from the
# first frame; the alto of the third frame is the step being written.
LEAP = "| 67 60 55 45 | 69 _ _ 48 | 71 _ _ _".split()
BASS_AFTER_LEAP = 14
ALTO_AFTER_LEAP = 12


def test_the_last_move_of_a_voice_weighs_its_next_one():
    """After a leap up of a minor third, the bass's step back down and its going on up weigh
    what the contour weights say, through the held notes; a hold does not move."""

    def set_weights(weights):
        weights.contours[SLOT["bass"], 12 + 3, 12 - 1] = 2.0  # up a third, then down a step
        weights.contours[SLOT["bass"], 12 + 3, 12 + 2] = -1.0  # up a third, up a step
        weights.contours[SLOT["bass"], 12 - 3, 12 - 1] = 50.0  # down a third: not this bass
        weights.contours[SLOT["tenor"], 12 + 3, 12 - 1] = 50.0  # another voice's

    scores = candidate_scores(LEAP, BASS_AFTER_LEAP, set_weights, ("47", "50", "43", "_", "r"))
    assert scores == {"47": 2.0, "50": -1.0, "43": 0.0, "_": 0.0, "r": 0.0}


def test_a_voice_is_weighed_against_the_voices_below_it_one_frame_before():
    """The alto's candidates against the tenor's held G3 and the bass's C3: an E4 is a sixth
    above the tenor and a seventeenth above the bass."""

    def set_weights(weights):
        weights.under[SLOT["alto"], 0, distance_bin(64 - 55)] = 1.0  # a sixth above the tenor
        weights.under[SLOT["alto"], 1, distance_bin(64 - 48)] = 0.25  # 16 above the bass
        weights.under[SLOT["alto"], 0, distance_bin(53 - 55)] = -3.0  # under the tenor's G3
        weights.under[SLOT["bass"], :, :] = 50.0  # nothing is below the bass

    scores = candidate_scores(LEAP, ALTO_AFTER_LEAP, set_weights, ("64", "53", "_"))
    assert scores["64"] == pytest.approx(1.25)
    assert scores["53"] == pytest.approx(-3.0 + 0.0)
    assert scores["_"] == 0.0  # the alto holds C4: 5 above G3, 12 above C3, unweighted here
    bass = candidate_scores(LEAP, BASS_AFTER_LEAP, set_weights, ("47", "_"))
    assert set(bass.values()) == {0.0}


def test_a_model_saved_with_the_first_voice_leading_columns_reads_them_still():
    """A checkpoint from before the previous note and the voices below describes its columns
    as ``true``: it is read as the first version, with its own columns and weights."""
    first = representation_from(ChoraleRepresentation((1,), (), SATB, 1).describe() | {"hold": 0})
    newest = representation_from(
        ChoraleRepresentation((1,), (), SATB, True).describe() | {"hold": 0}
    )
    saved = representation_from(first.describe() | {"voice_leading": True})
    assert saved.sounding_column_names == first.sounding_column_names
    assert "previous_note_before" not in first.sounding_column_names
    assert "below_3_before" in newest.sounding_column_names
    assert first.voice_leading_inputs(["_", "60"]).keys() == {
        "pitches",
        "columns",
        "voice_column",
        "voices",
    }
    scores = candidate_scores(LEAP, BASS_AFTER_LEAP, lambda w: None, ("47",), version=1)
    assert scores == {"47": 0.0}
