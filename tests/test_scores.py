"""Reading real score files with music21: melody, key, transposition and the time grid."""

from dataclasses import replace

import music21
import pytest
from pieces import melody_piece

from conftest import FIXTURES
from musiclstm.data.encode import encode_songs
from musiclstm.data.grid import grid_events
from musiclstm.data.melody import score_to_melody
from musiclstm.data.sources import SongSource, list_songs, split_abc_tunes
from musiclstm.music.midi import read_midi_tokens, write_midi
from musiclstm.music.tokens import events_to_tokens
from musiclstm.music.tonality import SongKey, detect_key
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.settings import EncodingSettings, settings, source_settings

MELODY = MelodyRepresentation()

# The kern fixture written out by hand: an eighth-note pickup D5, a tie across bars 2-3, a rest
# and a half-note G5 that ends the song.
PICKUP_TIES_TOKENS = (
    "74 _ 79 _ _ _ 81 _ 83 _ 84 _ _ _ 83 _ _ _ 81 _ _ _ _ _ _ _ _ _ _ _ r _ _ _ 79 _ _ _ "
    "79 _ _ _ _ _ _ _"
).split()


def read_midi_tokens_music21(path, step: float = 0.25) -> list[str]:
    """Tokens of a monophonic MIDI file as music21 reads it (a trailing rest is not kept): a
    check of the written file by a reader other than the encoder's."""
    score = music21.converter.parse(path, forceSource=True)
    part = score.parts[0] if score.parts else score
    encoding = settings(EncodingSettings, time_step=step, duration_policy="quantize")
    return events_to_tokens(grid_events(part, encoding))


def encode_fixture(name, encoding, part=0):
    source = SongSource(f"fx:{name}", "fx", str(FIXTURES / name), part)
    return encode_songs([source], encoding, MELODY)


def test_kern_with_pickup_ties_rest_and_last_note(encoding):
    encoded, rejects = encode_fixture("pickup_ties_g_major.krn", encoding)
    assert rejects == []
    (song,) = encoded
    assert song["tokens"].split() == PICKUP_TIES_TOKENS
    assert song["time_signature"] == "3/4"
    assert song["pickup_steps"] == 10  # a 3/4 bar is 12 steps; the pickup fills 2 of them
    assert song["key"] == "G major"


@pytest.mark.parametrize("reader", [read_midi_tokens, read_midi_tokens_music21])
def test_encode_midi_decode_is_exact(tmp_path, encoding, reader):
    (song,), _ = encode_fixture("pickup_ties_g_major.krn", encoding)
    tokens = song["tokens"].split()
    write_midi(melody_piece(tokens, time_step=0.25, time_signature="3/4"), tmp_path / "song.mid")
    assert reader(tmp_path / "song.mid") == tokens


def test_midi_keeps_leading_and_trailing_rests(tmp_path):
    tokens = "r _ 60 _ _ _ 62 r _ _ 64 _ _ _ _ _ _ _ r _ _ _".split()
    write_midi(melody_piece(tokens), tmp_path / "song.mid")
    assert read_midi_tokens(tmp_path / "song.mid") == tokens
    # music21 drops the trailing rest; everything else, the last note's length included, stays.
    assert read_midi_tokens_music21(tmp_path / "song.mid") == tokens[:-4]


def test_abc_file_holds_several_tunes_and_a_triplet_tune_is_rejected(encoding):
    assert len(split_abc_tunes((FIXTURES / "two_tunes_one_broken.abc").read_text())) == 2
    songs = list_songs(
        source_settings([{"name": "fx", "files": str(FIXTURES / "two_tunes_one_broken.abc")}])
    )
    encoded, rejects = encode_songs(songs, encoding, MELODY)
    assert [row["song_id"][-2:] for row in encoded] == ["#1"]
    assert [(row["song_id"][-2:], row["reason"]) for row in rejects] == [("#2", "triplet")]
    assert "1/3" in rejects[0]["detail"] or "0.333" in rejects[0]["detail"]


def test_quantize_snaps_triplets_to_the_grid(encoding):
    encoding = replace(encoding, duration_policy="quantize", triplets="quantize")
    encoded, rejects = encode_fixture("two_tunes_one_broken.abc", encoding, part=2)
    assert rejects == []
    # (3GAB (3cBA | G4 : six triplet eighths over two quarters, then a half note.
    assert encoded[0]["tokens"].split()[:8] == ["67", "69", "_", "71", "72", "71", "_", "69"]
    assert encoded[0]["tokens"].split()[8:] == ["67"] + ["_"] * 7


@pytest.mark.parametrize("name", ["not_really.mid", "broken.krn"])
def test_unreadable_file_is_a_reject_not_a_crash(encoding, name):
    encoded, rejects = encode_fixture(name, encoding)
    assert encoded == []
    assert rejects[0]["reason"] == "unreadable"
    assert rejects[0]["detail"]


def scale_melody(tonic: str, mode: str, write_key: str) -> music21.stream.Part:
    """A tune that walks the scale and the tonic triad and ends on the tonic."""
    song_key = music21.key.Key(tonic, mode)
    scale = (music21.scale.MajorScale if mode == "major" else music21.scale.MinorScale)(tonic)
    degrees = [1, 2, 3, 4, 5, 3, 1, 5, 4, 3, 2, 7, 1, 3, 5, 1]
    part = music21.stream.Part()
    if write_key == "key":
        part.append(music21.key.Key(tonic, mode))
    elif write_key == "signature":
        part.append(music21.key.KeySignature(song_key.sharps))
    part.append(music21.meter.TimeSignature("4/4"))
    for degree in degrees:
        pitch = scale.pitchFromDegree(degree)
        if mode == "minor" and degree == 7:
            pitch = pitch.transpose(1)  # the leading tone of harmonic minor
        part.append(music21.note.Note(pitch, quarterLength=1))
    return part


@pytest.mark.parametrize(
    "tonic, mode, write_key",
    [
        ("D", "major", "key"),
        ("B-", "major", "signature"),
        ("E", "minor", "signature"),
        ("F#", "minor", "none"),
        ("A-", "major", "none"),
        ("G", "minor", "key"),
    ],
)
def test_songs_in_any_key_come_out_in_c_major_or_a_minor(tonic, mode, write_key):
    score = music21.stream.Score([scale_melody(tonic, mode, write_key)])
    melody = score_to_melody(score, settings(EncodingSettings, acceptable_durations=[1.0]))
    assert melody.key.lower() == f"{tonic} {mode}".lower()
    pitch_classes = {pitch % 12 for pitch, _ in melody.events if pitch is not None}
    last_pitch = melody.events[-1][0]
    if mode == "major":
        assert pitch_classes <= {0, 2, 4, 5, 7, 9, 11}  # C major's scale
        assert last_pitch % 12 == 0
    else:
        assert pitch_classes <= {9, 11, 0, 2, 4, 5, 7, 8}  # A harmonic minor
        assert last_pitch % 12 == 9
    assert -6 <= melody.transposition <= 5


def test_a_song_a_tritone_from_c_moves_down_as_every_shift_does():
    score = music21.stream.Score([scale_melody("F#", "major", "key")])
    melody = score_to_melody(score, settings(EncodingSettings, acceptable_durations=[1.0]))
    assert melody.key == "F# major" and melody.transposition == -6


def test_written_tonic_decides_over_analysis_with_mode_from_the_notes():
    # Written "K:G" (as the Essen files do) over a G minor tune: tonic G kept, mode minor.
    part = scale_melody("G", "minor", "none")
    part.insert(0, music21.key.Key("G", "major"))
    found = detect_key(part)
    assert (found.tonic.name, found.mode) == ("G", "minor")
    assert SongKey.of(found).shift_to_c == 2


def test_off_grid_note_is_rejected_under_skip():
    part = music21.stream.Part(
        [music21.note.Note("C4", quarterLength=0.2), music21.note.Note("D4", quarterLength=1)]
    )
    with pytest.raises(Exception, match="off_grid"):
        grid_events(part, settings(EncodingSettings, acceptable_durations=[0.2, 1.0]))
