"""The sampler's voice-leading rules: as each voice of a frame is written, the candidates that
would make parallel fifths or octaves with a voice above, cross the voice next above or leave the
voice's range (or stretch its span past its compass) are banned, and the rest (a rest, a hold,
any other note) stay."""

import math
from types import SimpleNamespace

import torch

from musiclstm.data.vocabulary import Vocabulary
from musiclstm.generation.voice_rules import VoiceRules
from musiclstm.music.frames import FERMATA_FRAME, FRAME
from musiclstm.music.tokens import HOLD, REST, SPECIAL_TOKENS
from musiclstm.textures.base import Voice

PITCHES = [str(pitch) for pitch in range(40, 82)]
TOKENS = [*SPECIAL_TOKENS, FRAME, FERMATA_FRAME, HOLD, REST, *PITCHES]
VOICES = (Voice("upper", 55, 79), Voice("lower", 48, 72))


def rules_after(tokens: list[str], compass=(), crossings=False) -> VoiceRules:
    """The rules of a two-voice texture (with each voice's ``compass``, crossings allowed or
    not), having read ``tokens``, in one row."""
    vocabulary = Vocabulary(TOKENS)
    trained = SimpleNamespace(vocabulary=vocabulary, texture=SimpleNamespace(voices=VOICES))
    rules = VoiceRules.of(trained, rows=1, compass=compass, crossings=crossings)
    for token in tokens:
        rules.observe(torch.tensor([vocabulary.index[token]]))
    return rules


def allowed(rules: VoiceRules) -> set[str]:
    scores = rules.apply(torch.zeros(1, len(TOKENS)))[0]
    return {
        token for token, score in zip(TOKENS, scores.tolist(), strict=True) if score > -math.inf
    }


def test_a_lower_voice_may_not_follow_the_upper_in_parallel_fifths():
    # G4 over C4 (a fifth), then the upper voice moves up to A4: the lower voice is next.
    rules = rules_after([FRAME, "67", "60", FRAME, "69"])
    free = allowed(rules)
    assert "62" not in free  # D4: A4 over D4, a fifth again, both moving up
    assert {"64", "57", "59", HOLD, REST} <= free  # a third up; down to an octave; held; rest
    assert "70" not in free  # above the upper voice: a crossing
    assert "47" not in free and "73" not in free  # out of the lower voice's range, 48-72


def test_nor_in_parallel_octaves_and_compound_ones():
    # C5 over C4, then D5: D4 moves up with it to an octave.
    free = allowed(rules_after([FRAME, "72", "60", FRAME, "74"]))
    assert "62" not in free
    assert {"59", "65", HOLD} <= free  # down to B3 (contrary), up a sixth to F4, held
    # C5 over C3, then D5: D3 moves up with it to two octaves.
    assert "50" not in allowed(rules_after([FRAME, "72", "48", FRAME, "74"]))


def test_similar_motion_is_banned_and_contrary_motion_is_not():
    # C5 over F4 (a fifth); the upper voice moves down to B4.
    rules = rules_after([FRAME, "72", "65", FRAME, "71"])
    free = allowed(rules)
    assert "64" not in free  # E4, down with it: a fifth again
    assert "67" in free  # G4, up against it: a third


def test_the_first_voice_of_a_frame_only_keeps_its_range_and_frame_tokens_are_free():
    rules = rules_after([FRAME, "67", "60"])
    assert allowed(rules) == set(TOKENS)  # the frame token's step: nothing banned
    rules.observe(torch.tensor([TOKENS.index(FRAME)]))
    free = allowed(rules)
    assert "54" not in free and "80" not in free and {"55", "79", HOLD} <= free


def test_a_melody_has_no_rules():
    trained = SimpleNamespace(
        vocabulary=Vocabulary(TOKENS), texture=SimpleNamespace(voices=(Voice("melody"),))
    )
    assert VoiceRules.of(trained, rows=1) is None


def test_a_voice_keeps_within_its_compass_of_the_notes_it_has_sounded():
    # The upper voice has sounded G4, E4 and C5 (a span of 8), its compass 12 (an octave).
    tokens = [FRAME, "67", "48", FRAME, "64", HOLD, FRAME, "72", HOLD, FRAME]
    upper = allowed(rules_after(tokens, compass=(12, None)))
    assert {"60", "76", "66", HOLD, REST} <= upper  # C4 to E5 stay within an octave
    assert "59" not in upper and "77" not in upper  # B3 or F5 would span 13
    assert {"59", "77"} <= allowed(rules_after(tokens))  # without a compass both are free
    # The lower voice (compass None) is free; with a compass of 0 only its C3 and a hold stay.
    lower = [*tokens, "72"]
    assert {"50", "60"} <= allowed(rules_after(lower, compass=(12, None)))
    free = allowed(rules_after(lower, compass=(12, 0)))
    assert {"48", HOLD, REST} <= free and not {"47", "49", "50", "60"} & free


def test_crossings_may_be_allowed_while_parallels_stay_banned():
    # As in the first test: G4 over C4, the upper voice moves up to A4, the lower is next.
    free = allowed(rules_after([FRAME, "67", "60", FRAME, "69"], crossings=True))
    assert {"70", "71"} <= free  # above the upper voice: allowed now
    assert "62" not in free and "73" not in free  # the parallel fifth and the range still banned
