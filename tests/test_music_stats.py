"""Keys, histograms and their overlap, scale share, tonic endings, and the copying check."""

import json
import random

import pytest

from musiclstm.evaluation.copying import longest_common_run, training_song_ids
from musiclstm.evaluation.music_stats import (
    bar_repetition,
    music_stats,
    overlap,
    write_music_stats,
)
from musiclstm.generation.song_info import SongInfo, write_song_info
from musiclstm.music.tokens import events_to_tokens
from musiclstm.music.tonality import (
    SongKey,
    allowed_keys,
    key_shift,
    nearest_shift,
    parse_key,
    song_key,
    tonic_name,
    tonic_pitch_class,
)
from musiclstm.textures.melody import MelodyTexture

# "Twinkle twinkle" in C major, and a tune in A minor ending on A.
C_TUNE = [(60, 4), (60, 4), (67, 4), (67, 4), (69, 4), (69, 4), (67, 8),
          (65, 4), (65, 4), (64, 4), (64, 4), (62, 4), (62, 4), (60, 8)]  # fmt: skip
A_MINOR_TUNE = [(69, 4), (72, 4), (76, 4), (72, 4), (71, 4), (68, 4), (69, 4), (64, 4),
                (62, 4), (65, 4), (64, 4), (68, 4), (69, 8)]  # fmt: skip


def tokens(events, shift=0):
    return events_to_tokens([(None if p is None else p + shift, s) for p, s in events])


def test_keys_of_tunes_and_of_tunes_moved_to_another_tonic():
    assert song_key(C_TUNE) == SongKey(0, "major")
    assert song_key(A_MINOR_TUNE) == SongKey(9, "minor")
    moved = [(p + 2, s) for p, s in C_TUNE]
    assert song_key(moved, allowed_keys("D")) == SongKey(2, "major")
    assert song_key([(p - 5, s) for p, s in A_MINOR_TUNE], allowed_keys("e")) == SongKey(4, "minor")
    assert song_key([(None, 4)]) == SongKey(0, "major")


@pytest.mark.parametrize(
    "key, sharps, shift",
    [
        (SongKey(0, "major"), 0, 0),
        (SongKey(9, "minor"), 0, 0),
        (SongKey(2, "major"), 2, -2),
        (SongKey(4, "minor"), 1, 5),
        (SongKey(5, "major"), -1, -5),
        (SongKey(6, "major"), -6, -6),
    ],
)
def test_key_signature_and_way_home(key, sharps, shift):
    assert key.sharps == sharps
    assert key.shift_to_c == shift


def test_every_shift_takes_the_nearer_way_and_a_tritone_down():
    shifts = [nearest_shift(0, target) for target in range(12)]
    assert shifts == [0, 1, 2, 3, 4, 5, -6, -5, -4, -3, -2, -1]
    assert key_shift("F#", 0) == SongKey(6, "major").shift_to_c == -6
    assert key_shift("e", 9) == -5 and key_shift("Cb", 0) == -1


def test_tonic_names():
    assert [tonic_pitch_class(n) for n in ("C", "F#", "Bb", "e", "Cb")] == [0, 6, 10, 4, 11]
    with pytest.raises(ValueError, match="key 'H'"):
        tonic_pitch_class("H")
    # Keys as music21 names them, as a piece's .json records them.
    assert [tonic_name(k) for k in ("E- major", "f# minor", "C major")] == ["Eb", "F#", "C"]
    assert parse_key("b- minor") == SongKey(10, "minor") and parse_key("F major").tonic == 5


def test_overlap_is_one_for_identical_and_zero_for_disjoint_histograms():
    assert overlap({0: 0.5, 7: 0.5}, {0: 0.5, 7: 0.5}) == 1
    assert overlap({0: 1.0}, {2: 1.0}) == 0
    assert overlap({0: 0.75, 2: 0.25}, {0: 0.25, 2: 0.75}) == 0.5


def brute_force_longest_run(song, others):
    best = 0
    for other in others:
        for i in range(len(song)):
            for j in range(len(other)):
                k = 0
                while i + k < len(song) and j + k < len(other) and song[i + k] == other[j + k]:
                    k += 1
                best = max(best, k)
    return best


def test_longest_copied_run_agrees_with_brute_force():
    generator = random.Random(3)
    for _ in range(40):
        alphabet = ["60", "62", "_", "r"][: generator.randint(2, 4)]
        song = [generator.choice(alphabet) for _ in range(generator.randint(0, 25))]
        others = [
            [generator.choice(alphabet) for _ in range(generator.randint(0, 25))]
            for _ in range(generator.randint(1, 4))
        ]
        run = longest_common_run(song, others)
        assert run["length"] == brute_force_longest_run(song, others)
        if run["length"]:
            start, source, source_start = run["start"], run["source"], run["source_start"]
            copied = song[start : start + run["length"]]
            assert others[source][source_start : source_start + run["length"]] == copied


def test_copied_phrase_is_found_with_its_training_song():
    phrase = tokens(C_TUNE)[:24]
    generated = tokens([(72, 2), (71, 2)]) + phrase + tokens([(65, 8)])
    training = [tokens(A_MINOR_TUNE), tokens([(55, 4)]) + phrase + tokens([(57, 4)])]
    stats = music_stats({"song": generated}, [tokens(C_TUNE)], training, training_ids=["a", "b"])
    (run,) = stats["copying"]
    assert run["song"] == "song"
    assert run["training_song"] == "b" and run["training_line"] == 2
    assert run["longest_copied_steps"] >= 24 and run["start"] <= 4
    assert (
        run["run"].split() == generated[run["start"] : run["start"] + run["longest_copied_steps"]]
    )
    assert run["copied_share"] == run["longest_copied_steps"] / len(generated)


def test_statistics_of_generated_against_held_out_songs():
    held_out = [tokens(C_TUNE), tokens(A_MINOR_TUNE)]
    # The same two tunes, one written in D (as `key: D` does): the statistics are unchanged.
    generated = {"one": tokens(C_TUNE, shift=2), "two": tokens(A_MINOR_TUNE)}
    stats = music_stats(generated, held_out, [["60"]], generated_keys={"one": "D", "two": None})
    assert stats["histogram_overlap"] == pytest.approx(
        {"pitch_class": 1.0, "interval": 1.0, "note_length": 1.0}
    )
    for group in ("generated", "held_out"):
        assert stats[group]["songs"] == 2
        assert stats[group]["songs_ending_on_tonic"] == 2
        assert stats[group]["notes"] == len(C_TUNE) + len(A_MINOR_TUNE)
        # G# (twice in the A minor tune) is outside the natural minor scale.
        assert stats[group]["scale_share"] == pytest.approx(1 - 2 / stats[group]["notes"])
    histograms = stats["held_out"]["histograms"]
    assert sum(histograms["pitch_class"].values()) == pytest.approx(1)
    assert histograms["interval"][0] == pytest.approx(6 / 25)  # repeated notes of the C tune
    # A tune that leaves the scale and does not end on its tonic scores lower.
    wild = {"wild": tokens([(61, 4), (66, 3), (70, 1), (63, 4), (66, 4)])}
    wild_stats = music_stats(wild, held_out, [["60"]])
    assert wild_stats["generated"]["songs_ending_on_tonic"] == 0
    assert wild_stats["histogram_overlap"]["pitch_class"] < 0.3


def test_music_stats_file_names_training_songs_from_the_song_table(tmp_path):
    (tmp_path / "song.txt").write_text(" ".join(tokens(C_TUNE)) + "\n")
    (tmp_path / "test.txt").write_text(" ".join(tokens(A_MINOR_TUNE)) + "\n")
    (tmp_path / "train.txt").write_text("r _ 59 _ 57 _\n60 _ _ _ 60 _ _ _\n")
    table = "song_id\tsplit\tline\nx:one\ttrain\t2\nx:two\ttest\t1\nx:three\ttrain\t1\n"
    (tmp_path / "songs.tsv").write_text(table)
    assert training_song_ids(tmp_path / "songs.tsv", 2) == ["x:three", "x:one"]
    assert training_song_ids(tmp_path / "songs.tsv", 3) is None  # does not match the text
    write_song_info(SongInfo("4/4", 100, 32), tmp_path / "song.json")
    write_music_stats(
        [tmp_path / "song.txt"],
        tmp_path / "test.txt",
        tmp_path / "train.txt",
        tmp_path / "stats.json",
        [tmp_path / "song.json"],
        MelodyTexture(),
        0.25,
        songs_table=tmp_path / "songs.tsv",
    )
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["copying"][0]["training_song"] == "x:one"
    assert stats["copying"][0]["longest_copied_steps"] == 8
    assert set(stats["generated"]["histograms"]) == {"pitch_class", "interval", "note_length"}


def test_bars_that_repeat_exactly_or_moved_are_counted_once_each():
    bar_a, bar_b = "60 _ 62 _".split(), "64 _ _ _".split()
    moved_a = "62 _ 64 _".split()  # bar_a a tone higher
    song = bar_a + bar_b + bar_a + moved_a + "67 r 60 r".split()
    # Bars 2-5 each have a bar 1, 2 or 4 earlier: bar 3 repeats bar 1, bar 4 is bar 3 moved.
    assert bar_repetition(song, 4, 0) == (4, 1, 1)
    # With 1 step missing from the first bar, the first note is an anacrusis; bars shift.
    assert bar_repetition(["r"] + song, 4, 3) == (4, 1, 1)
    assert bar_repetition(song, 0, 0) == (0, 0, 0)  # unknown meter: nothing counted


def test_generated_songs_are_compared_with_held_out_songs_of_their_own_meter():
    waltz = "60 _ _ _ 64 _ _ _ 67 _ _ _".split() * 4  # quarters in 3/4
    jig = "60 _ 64 _ 67 _ 72 _ 67 _ 64 _".split() * 4  # eighths in 6/8
    held_out = [waltz, jig, jig]
    held_meters = [("3/4", 0), ("6/8", 0), ("6/8", 0)]
    generated = {"a": jig, "b": waltz}
    stats = music_stats(
        generated, held_out, [["60"]], generated_meters={"a": "6/8", "b": "3/4"},
        held_out_meters=held_meters,
    )  # fmt: skip
    assert set(stats["by_meter"]) == {"3/4", "6/8"}
    assert stats["by_meter"]["6/8"]["held_out"]["songs"] == 2
    # Like with like, each meter's note lengths agree exactly.
    assert stats["histogram_overlap"]["note_length"] == pytest.approx(1.0)
    # Written all in 6/8, the waltz is compared with jigs: its quarters (a third of the generated
    # notes) match nothing.
    in_one_meter = music_stats(
        generated, held_out, [["60"]], generated_meters={"a": "6/8", "b": "6/8"},
        held_out_meters=held_meters,
    )  # fmt: skip
    in_6_8 = in_one_meter["by_meter"]["6/8"]["histogram_overlap"]
    assert in_6_8["note_length"] == pytest.approx(2 / 3)
    assert in_one_meter["histogram_overlap"]["note_length"] == pytest.approx(2 / 3)
    # The pooled comparison of every song against every song cannot tell the two apart.
    assert stats["overlap_against_all_meters"] == in_one_meter["overlap_against_all_meters"]
    assert stats["generated"]["repeated_bar_share"] == pytest.approx(1.0)
