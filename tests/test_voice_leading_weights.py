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
from musiclstm.settings import ModelSettings, settings

# Two frames: the soprano rises G4-A4 while the alto and tenor hold C4 and G3; the bass, on C3,
# is the step being written.
FRAMES = "| 67 60 55 48 | 69 _ _ 50".split()
BASS_STEP = 9
SLOT = {"soprano": 1, "alto": 2, "tenor": 3, "bass": 4}


def bass_scores(weights_set):
    tokens = [*FRAMES, "47", "52", "57", "r"]  # every candidate in the vocabulary
    vocabulary = Vocabulary(build_vocabulary([tokens], ChoraleRepresentation())["tokens"])
    representation = ChoraleRepresentation((1,), (), SATB, True).for_vocabulary(vocabulary.tokens)
    model = settings(ModelSettings, hidden_size=8, embedding_size=4, voice_leading=True)
    args = model_args(len(vocabulary), model, 0, representation, vocabulary.tokens)
    weights = build_model(args).voice_leading
    with torch.no_grad():
        weights_set(weights)
    ids = np.array(vocabulary.encode(FRAMES))
    inputs = torch.as_tensor(representation.song_inputs(ids, Meter(16, 0), 0))[BASS_STEP]
    with torch.no_grad():
        scores = weights(inputs)
    return {
        token: float(scores[vocabulary.index[token]])
        for token in ("50", "47", "52", "57", "_", "r")
    }


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
