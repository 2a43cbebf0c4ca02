"""Cadences the sampler knows (musiclstm.generation.cadence_rules): where a fermata begins, the
chord is a root-position major or minor triad, the last one on the tonic."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from test_chorales import ENCODING
from test_refine import chorale_model

from musiclstm.data.sources import corpus_root
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.evaluation.voice_leading import chorale_checks
from musiclstm.generation.cadence_rules import CadenceRules, final_cadence_frame
from musiclstm.generation.ensembles import compose_request, harmonise_request, read_given_melody
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.strategies import Sampling
from musiclstm.music.frames import FERMATA_FRAME, FRAME, SATB, frame_width, parse_frames
from musiclstm.music.tokens import HOLD, REST, SPECIAL_TOKENS
from musiclstm.settings import SongSettings, settings

PITCHES = [str(pitch) for pitch in range(36, 84)]
TOKENS = [*SPECIAL_TOKENS, FRAME, FERMATA_FRAME, HOLD, REST, *PITCHES]
WIDTH = frame_width(len(SATB))


def rules_after(tokens: list[str], final_frame=None, tonic=None) -> CadenceRules:
    vocabulary = Vocabulary(TOKENS)
    trained = SimpleNamespace(
        vocabulary=vocabulary, texture=SimpleNamespace(voices=[None] * len(SATB))
    )
    given = None
    if final_frame is not None:
        given = np.full((final_frame + 1) * WIDTH, -1)
        given[final_frame * WIDTH] = vocabulary.index[FERMATA_FRAME]
    rules = CadenceRules.of(trained, 1, given, tonic)
    for token in tokens:
        rules.observe(torch.tensor([vocabulary.index[token]]))
    return rules


def allowed(rules: CadenceRules) -> set[str]:
    scores = rules.apply(torch.zeros(1, len(TOKENS)))[0]
    return {
        token for token, score in zip(TOKENS, scores.tolist(), strict=True) if score > -math.inf
    }


def pitch_classes(tokens: set[str]) -> set[int]:
    return {int(token) % 12 for token in tokens if token in PITCHES}


OPENING = [FRAME, "72", "67", "64", "48"]  # a C major chord, not under a fermata


def test_an_inner_voice_at_a_fermata_keeps_to_a_triad_with_the_voices_above():
    # E5 over C5 where a fermata begins: C major and A minor hold both.
    tenor = allowed(rules_after([*OPENING, FERMATA_FRAME, "76", "72"]))
    assert pitch_classes(tenor) == {0, 4, 7, 9}
    assert HOLD in tenor  # the tenor's E4 held: the third of C major, the fifth of A minor
    # D5 over B4: G major and B minor hold both, and the held E4 is in neither.
    tenor = allowed(rules_after([*OPENING, FERMATA_FRAME, "74", "71"]))
    assert pitch_classes(tenor) == {7, 11, 2, 6} and HOLD not in tenor


def test_the_lowest_voice_is_the_root_and_a_third_sounds():
    assert pitch_classes(allowed(rules_after([*OPENING, FERMATA_FRAME, "76", "72", "67"]))) == {0}
    # E, C and A above: only A minor holds them, on A.
    assert pitch_classes(allowed(rules_after([*OPENING, FERMATA_FRAME, "76", "72", "69"]))) == {9}
    # C over G: the tenor must sound the third (of C major or C minor): the bass adds the root.
    tenor = allowed(rules_after([*OPENING, FERMATA_FRAME, "72", "67"]))
    assert pitch_classes(tenor) == {3, 4}


def test_every_voice_sounds_in_a_cadence_chord():
    """A tenor resting under C over G would leave the bass no triad to complete (the chord's
    third unsounded), and a silence held into the fermata is a rest all the same."""
    assert REST not in allowed(rules_after([*OPENING, FERMATA_FRAME, "72", "67"]))
    resting = [FRAME, "72", "67", REST, "48"]
    tenor = allowed(rules_after([*resting, FERMATA_FRAME, "72", "67"]))
    assert HOLD not in tenor and REST not in tenor and pitch_classes(tenor) == {3, 4}
    # Not at a cadence: a voice may rest.
    assert REST in allowed(rules_after([*OPENING, FRAME, "72", "67"]))


def test_frames_that_do_not_begin_a_fermata_are_free():
    assert pitch_classes(allowed(rules_after([*OPENING, FRAME, "76", "72", "67"]))) == set(
        range(12)
    )
    under = [*OPENING, FERMATA_FRAME, "76", "72", "67", "48", FERMATA_FRAME, "74", "71", "65"]
    assert pitch_classes(allowed(rules_after(under))) == set(range(12))


def test_the_final_fermata_stands_on_the_tonic_the_lowest_voice_sounded_longest():
    in_a = [FRAME, "76", "72", "69", "45", FRAME, HOLD, HOLD, HOLD, HOLD]
    # E over C over E: C major or A minor, but the last chord must be on A.
    final = rules_after([*in_a, FERMATA_FRAME, "76", "72", "64"], final_frame=2)
    assert pitch_classes(allowed(final)) == {9}
    inner = rules_after([*in_a, FERMATA_FRAME, "76"], final_frame=2)
    assert pitch_classes(allowed(inner)) == {9, 0, 1, 4}  # A minor, or A major (a Picardy third)
    # Not the final fermata: C major is as good as A minor.
    elsewhere = rules_after([*in_a, FERMATA_FRAME, "76", "72", "64"], final_frame=5)
    assert pitch_classes(allowed(elsewhere)) == {0, 9}


def test_the_top_voice_of_the_final_chord_is_left_free():
    """Written first, the top voice cannot know whether the bass can reach the tonic under it
    without parallel octaves: the refinement, not a ban, puts the tonic on top."""
    in_a = [FRAME, "76", "72", "69", "45", FRAME, HOLD, HOLD, HOLD, HOLD]
    final = rules_after([*in_a, FERMATA_FRAME], final_frame=2)
    assert pitch_classes(allowed(final)) == {9, 0, 1, 4}  # any note of A minor or A major


def test_a_given_melodys_tonic_decides_the_last_cadence():
    """A melody in C major whose bass has dwelt on A: its last chord is on C all the same."""
    in_a = [FRAME, "76", "72", "69", "45", FRAME, HOLD, HOLD, HOLD, HOLD]
    final = rules_after([*in_a, FERMATA_FRAME, "76", "72", "67"], final_frame=2, tonic=0)
    assert pitch_classes(allowed(final)) == {0}
    inner = rules_after([*in_a, FERMATA_FRAME, "76"], final_frame=2, tonic=0)
    assert pitch_classes(allowed(inner)) == {0, 4, 7}  # the E above: C major alone holds it


def test_the_ban_gives_way_where_no_note_is_left():
    rules = rules_after([*OPENING, FERMATA_FRAME, "76", "72", "67"])
    scores = torch.full((1, len(TOKENS)), -math.inf)
    scores[0, TOKENS.index("50")] = 0.0  # only D3 left by other rules: not a C root
    assert torch.equal(rules.apply(scores), scores)


def test_where_no_note_is_left_the_looser_rules_give_way_before_the_cadence():
    """A bass the compass keeps from the root: the scores without the compass are ruled instead."""
    rules = rules_after([*OPENING, FERMATA_FRAME, "76", "72", "67"])
    strict = torch.full((1, len(TOKENS)), -math.inf)
    strict[0, TOKENS.index("50")] = 0.0  # D3 alone left by every rule: not a C root
    looser = strict.clone()
    looser[0, TOKENS.index("48")] = 0.0  # C3, banned only by the compass
    assert allowed_in(rules.apply(strict, lambda: looser)) == {"48"}
    # Where the looser scores keep no root either, the cadence bans give way to the strict ones.
    assert torch.equal(rules.apply(strict, strict.clone), strict)


def allowed_in(scores: torch.Tensor) -> set[str]:
    return {
        token for token, score in zip(TOKENS, scores[0].tolist(), strict=True) if score > -math.inf
    }


def test_the_final_cadence_frame_is_the_last_fermata_start():
    fermata = TOKENS.index(FERMATA_FRAME)
    given = np.full(6 * WIDTH, -1)
    for frame in (1, 2, 4, 5):
        given[frame * WIDTH] = fermata
    assert final_cadence_frame(given, WIDTH, fermata) == 4
    assert final_cadence_frame(None, WIDTH, fermata) is None


@pytest.mark.parametrize("what", ["composed", "harmonised"])
def test_an_untrained_models_cadences_pass_with_the_rules_and_not_without(what):
    trained = chorale_model(lookahead=(1, 2, 4) if what == "harmonised" else ())
    if what == "composed":
        request = compose_request(settings(SongSettings, seed="", bars=2), [], 0.25, WIDTH)
        count = 8
    else:
        melody = read_given_melody(str(corpus_root() / "bach/bwv269.mxl"), ENCODING)
        request = harmonise_request(melody, 0.25, WIDTH)
        count = 2

    def checks(sampling):
        pieces = sample_songs(trained, request, count, sampling, 1)
        return chorale_checks([parse_frames(piece) for piece in pieces])

    free = checks(Sampling("top_k"))
    ruled = checks(Sampling("top_k", cadence_rules=True))
    assert ruled["fermata_root_triad_share"] == 1.0 and ruled["final_tonic_triad_share"] == 1.0
    assert free["fermata_root_triad_share"] < 0.5
