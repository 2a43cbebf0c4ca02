"""Each part's rests and note lengths, on hand-made parts whose answers are known."""

import pytest

from musiclstm.evaluation.part_figures import bucket_labels, length_bucket, part_figures
from musiclstm.music.frames import Frames

DUO = ("Violin", "Violoncello")


def duo(upper: list[str], lower: list[str]) -> Frames:
    return Frames((upper, lower), [False] * len(upper), DUO)


def test_the_buckets_run_from_one_frame_to_over_sixteen():
    assert bucket_labels() == ["1", "2", "3", "4", "5-6", "7-8", "9-12", "13-16", ">16"]
    assert [length_bucket(frames) for frames in (1, 4, 5, 6, 7, 16, 17, 64)] == [
        "1", "4", "5-6", "5-6", "7-8", "13-16", ">16", ">16"
    ]  # fmt: skip


def test_a_part_resting_half_its_frames_has_rest_share_one_half():
    figures = part_figures([duo(["60", "_", "r", "_"], ["48", "_", "_", "_"])])
    assert figures["Violin"]["rest_share"] == pytest.approx(0.5)
    assert figures["Violoncello"]["rest_share"] == 0


def test_a_hold_at_the_start_holds_nothing_and_rests():
    figures = part_figures([duo(["_", "_", "62", "_"], ["48"] * 4)])
    assert figures["Violin"]["rest_share"] == pytest.approx(0.5)
    assert figures["Violin"]["notes"] == 1


def test_note_lengths_of_a_known_part():
    # notes of 1, 2, 5, 20 and 1 frames; a rest of 4 frames is no note
    upper = ["60", "62", "_", "64"] + ["_"] * 4 + ["65"] + ["_"] * 19 + ["r"] * 4 + ["67"]
    figures = part_figures([duo(upper, ["48"] + ["_"] * (len(upper) - 1))])["Violin"]
    assert figures["notes"] == 5
    assert figures["mean_note_frames"] == pytest.approx(29 / 5)
    shares = {label: share for label, share in figures["note_length_shares"].items() if share}
    assert shares == pytest.approx({"1": 0.4, "2": 0.2, "5-6": 0.2, ">16": 0.2})
    assert sum(figures["note_length_shares"].values()) == pytest.approx(1)


def test_a_repeated_pitch_is_a_new_note():
    figures = part_figures([duo(["60", "60", "_"], ["48", "_", "_"])])
    assert figures["Violin"]["notes"] == 2
    assert figures["Violin"]["mean_note_frames"] == pytest.approx(1.5)
    assert figures["Violoncello"]["note_length_shares"]["3"] == 1


def test_parts_are_pooled_by_name_over_pieces():
    short = duo(["60", "r"], ["48", "_"])
    long = duo(["60", "_", "_", "_", "_", "_"], ["r"] * 6)
    figures = part_figures([short, long])
    assert figures["Violin"]["frames"] == 8
    assert figures["Violin"]["rest_share"] == pytest.approx(1 / 8)
    assert figures["Violin"]["mean_note_frames"] == pytest.approx(3.5)
    assert figures["Violoncello"]["rest_share"] == pytest.approx(6 / 8)


def test_a_silent_part_and_no_pieces():
    figures = part_figures([duo(["r", "_"], ["48", "_"])])["Violin"]
    assert figures["rest_share"] == 1 and figures["notes"] == 0
    assert figures["mean_note_frames"] is None
    assert set(figures["note_length_shares"].values()) == {None}
    assert part_figures([]) == {}
