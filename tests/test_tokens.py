import pytest

from musiclstm.music.tokens import (
    count_onsets,
    events_to_tokens,
    parse_token_string,
    tokens_to_events,
)


def test_events_round_trip_through_tokens():
    events = [(62, 4), (None, 4), (64, 2), (67, 2)]
    tokens = events_to_tokens(events)
    assert " ".join(tokens) == "62 _ _ _ r _ _ _ 64 _ 67 _"
    assert tokens_to_events(tokens) == events
    assert count_onsets(tokens) == 4


def test_leading_hold_is_a_rest_and_rests_merge():
    assert tokens_to_events(["_", "r", "_", "60"]) == [(None, 3), (60, 1)]


def test_event_shorter_than_a_step_is_refused():
    with pytest.raises(ValueError, match="less than one time step"):
        events_to_tokens([(60, 0)])


@pytest.mark.parametrize("bad", ["128", "-1", "x", "060", "C4", "/"])
def test_bad_token_is_named_with_position(bad):
    with pytest.raises(ValueError, match=rf"token '{bad}' at position 2 is not allowed"):
        parse_token_string(f"60 _ {bad} r", what="seed")
