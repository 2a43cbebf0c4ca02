"""MIDI timing: a converter's one-tick jitter fits the grid, real off-grid notes are still
rejected with their reason, and triplets are triplets at any ticks per quarter."""

from fractions import Fraction
from pathlib import Path

import mido
import pytest
from real_world_files import conductor, note_track

from musiclstm.data.encode import encode_songs
from musiclstm.data.sources import list_songs
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.settings import EncodingSettings, settings, source_settings

# A bar of 4/4 and a half: (start, end) in quarter notes and the pitch; a rest between 3 and 3.5.
TUNE = [
    (0, 0.5, 67),
    (0.5, 1, 69),
    (1, 2, 71),
    (2, 2.75, 72),
    (2.75, 3, 74),
    (3.5, 4, 72),
    (4, 5.5, 67),
]
TUNE_TOKENS = "67 _ 69 _ 71 _ _ _ 72 _ _ 74 r _ 72 _ 67 _ _ _ _ _"
# A quarter C, triplet eighths D E F, a half G.
TRIPLETS = [(0, 1, 60), (1, 4 / 3, 62), (4 / 3, 5 / 3, 64), (5 / 3, 2, 65), (2, 4, 67)]
TRIPLET_TOKENS = "60 _ _ _ 62 64 _ 65 67 _ _ _ _ _ _ _"


def write_midi(
    path: Path, notes, ticks_per_quarter: int, start_shift: int = 0, end_shift: int = 0
) -> Path:
    """A type-1 MIDI file of ``notes`` (in quarter notes, rounded to the nearest tick), each note
    moved by ``start_shift`` ticks at its start and ``end_shift`` at its end."""
    ticks = [
        (
            max(0, round(start * ticks_per_quarter) + start_shift),
            round(end * ticks_per_quarter) + end_shift,
            pitch,
        )
        for start, end, pitch in notes
    ]
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_quarter)
    midi.tracks.extend([conductor(), note_track(ticks)])
    midi.save(path)
    return path


def encode_folder(folder: Path, **options) -> tuple[list[dict], list[dict]]:
    """Every song of the folder's MIDI files, untransposed, with the given encoding settings."""
    songs = list_songs(source_settings([{"name": "t", "files": str(folder / "*.mid")}]))
    encoding = settings(EncodingSettings, transpose=False, **options)
    return encode_songs(songs, encoding, MelodyRepresentation())


def outcome(path: Path, **options) -> tuple[str, str]:
    """The tokens of a one-song MIDI file and "", or its reject reason and detail."""
    folder = path.parent / f"only {path.stem}"
    folder.mkdir()
    path.rename(folder / path.name)
    encoded, rejects = encode_folder(folder, **options)
    assert len(encoded) + len(rejects) == 1, (encoded, rejects)
    if encoded:
        return encoded[0]["tokens"], ""
    return rejects[0]["reason"], rejects[0]["detail"]


JITTERS = [(1, -1), (1, 0), (0, -1), (-1, 1), (2, -2)]


@pytest.mark.parametrize("ticks_per_quarter", [480, 1024])
def test_a_folder_of_converter_jitter_encodes_like_the_clean_file(tmp_path, ticks_per_quarter):
    write_midi(tmp_path / "clean.mid", TUNE, ticks_per_quarter)
    for start_shift, end_shift in JITTERS:
        name = f"shifted {start_shift} {end_shift}.mid"
        write_midi(tmp_path / name, TUNE, ticks_per_quarter, start_shift, end_shift)
    first_note = mido.MidiFile(tmp_path / "shifted 1 -1.mid").tracks[1][0]
    assert (first_note.type, first_note.time) == ("note_on", 1)  # the jitter is in the file
    encoded, rejects = encode_folder(tmp_path)
    assert rejects == []
    assert len(encoded) == 1 + len(JITTERS)
    assert {row["tokens"] for row in encoded} == {TUNE_TOKENS}


def test_the_converter_example_fits_at_480_ticks(tmp_path):
    # Onset 0.00208 and length 0.4979 quarter notes: one tick late, one tick short.
    path = write_midi(tmp_path / "abc2midi.mid", TUNE, 480, start_shift=1, end_shift=0)
    note_on, note_off = mido.MidiFile(path).tracks[1][:2]
    assert float(Fraction(note_on.time, 480)) == pytest.approx(0.00208, abs=1e-5)
    assert float(Fraction(note_off.time, 480)) == pytest.approx(0.4979, abs=1e-4)
    assert outcome(path) == (TUNE_TOKENS, "")


def test_timing_tolerance_zero_takes_ticks_exactly(tmp_path):
    path = write_midi(tmp_path / "jitter.mid", TUNE, 480, start_shift=1, end_shift=-1)
    reason, detail = outcome(path, timing_tolerance=0)
    assert reason == "unacceptable_duration"
    assert "G4 of track 2 channel 1 at quarter 0.00208333 lasting 0.495833" in detail


@pytest.mark.parametrize("ticks_per_quarter", [480, 1024])
def test_a_note_lasting_four_tenths_is_still_rejected(tmp_path, ticks_per_quarter):
    notes = [*TUNE[:1], (0.5, 0.9, 69), *TUNE[2:]]
    path = write_midi(tmp_path / "off.mid", notes, ticks_per_quarter, start_shift=1)
    reason, detail = outcome(path)
    assert reason == "unacceptable_duration"
    assert "A4 of track 2 channel 1 at quarter 0.5 lasting 0.4" in detail


def test_an_onset_between_steps_is_still_off_grid(tmp_path):
    notes = [*TUNE[:2], (1.1, 1.6, 71), *TUNE[3:]]  # a tenth of a quarter late: 0.4 of a step
    path = write_midi(tmp_path / "late.mid", notes, 1024)
    reason, detail = outcome(path)
    assert reason == "off_grid"
    assert "B4 of track 2 channel 1 at quarter 1.09961 lasting 0.5" in detail


def test_a_thirty_second_note_is_still_unacceptable(tmp_path):
    notes = [(0, 0.125, 67), (0.125, 0.5, 69), *TUNE[1:]]
    path = write_midi(tmp_path / "short.mid", notes, 1024)
    assert outcome(path)[0] == "unacceptable_duration"


@pytest.mark.parametrize("ticks_per_quarter", [96, 480, 1000, 1024])
def test_triplets_are_triplets_at_any_ticks_per_quarter(tmp_path, ticks_per_quarter):
    path = write_midi(tmp_path / "triplets.mid", TRIPLETS, ticks_per_quarter)
    reason, detail = outcome(path)
    assert reason == "triplet"
    assert "D4 of track 2 channel 1 at quarter 1 lasting 0.333333 is a triplet" in detail
    path = write_midi(tmp_path / "triplets again.mid", TRIPLETS, ticks_per_quarter)
    assert outcome(path, triplets="quantize") == (TRIPLET_TOKENS, "")


def test_triplets_at_1024_ticks_last_0_333008_quarters(tmp_path):
    path = write_midi(tmp_path / "triplets.mid", TRIPLETS, 1024)
    lengths = [message.time for message in mido.MidiFile(path).tracks[1] if message.time]
    assert lengths[:4] == [1024, 341, 342, 341]  # 341 ticks: 0.333008 quarter notes
    assert outcome(path, timing_tolerance=0)[0] == "unacceptable_duration"
    path = write_midi(tmp_path / "jittered triplets.mid", TRIPLETS, 1024, 1, -1)
    assert outcome(path, duration_policy="quantize")[0] == "triplet"
