"""A chorale as a musician opens it: a four-track MIDI file (read back with mido, music21 and our
reader), a grand-staff score (MusicXML read back to the four voices, an SVG with two staves), a
WAV file, a piano roll coloured by voice, and the facts of its song page (pieces of three and five
parts: test_ensemble_rendering.py)."""

import re
from dataclasses import replace
from fractions import Fraction

import mido
import music21
import numpy as np
import pytest
from pieces import chorale_piece

from conftest import require_tool
from musiclstm.music.frames import SATB, Frames
from musiclstm.music.midi import TICKS_PER_QUARTER, read_chorale_midi, write_midi
from musiclstm.music.piece import Piece
from musiclstm.music.tonality import SongKey
from musiclstm.rendering.audio import PEAK, TAIL_SECONDS, read_wav, write_audio
from musiclstm.rendering.notation import (
    engrave_svg,
    fermata_ends,
    musicxml_text,
    piece_score,
    write_score,
)
from musiclstm.rendering.plots import fermata_runs, plot_piano_roll
from musiclstm.rendering.report_pages import voice_rows
from musiclstm.settings import RenderSettings, settings

STEP, TEMPO, METER = 0.25, 90.0, "4/4"
TICKS = round(TICKS_PER_QUARTER * STEP)
# Three bars of sixteenths. The soprano repeats its C5 (two notes) where the bass holds its C3
# (one note); the tenor rests; the alto has eighth notes; the tenor's B3 fills bar 2.
SOPRANO = [(72, 4), (72, 4), (71, 4), (69, 4), (67, 8), (67, 8), (69, 4), (71, 4), (72, 8)]
ALTO = [(67, 4), (65, 2), (64, 2), (62, 4), (64, 4), (64, 8), (62, 8), (65, 4), (67, 4), (64, 8)]
TENOR = [(64, 4), (None, 4), (62, 4), (60, 4), (59, 16), (60, 4), (62, 4), (55, 8)]
BASS = [(48, 8), (53, 4), (53, 4), (52, 12), (55, 4), (53, 4), (55, 4), (48, 8)]
VOICE_EVENTS = [SOPRANO, ALTO, TENOR, BASS]
# Fermatas over the last quarter of bar 2 and the final half note.
FERMATAS = [False] * 28 + [True] * 4 + [False] * 8 + [True] * 8
FRAMES = len(FERMATAS)
NAMES = [name.capitalize() for name in SATB]  # the parts' names: the staves' and the tracks'
PROGRAMS = (52, 19, 42, 32)  # choir aahs, church organ, cello, acoustic bass


@pytest.fixture
def chorale() -> Frames:
    return Frames.from_events(VOICE_EVENTS, FERMATAS)


@pytest.fixture
def piece(chorale) -> Piece:
    return chorale_piece(chorale, STEP, METER, TEMPO, key="C major", title="chorale")


def timed(events) -> list[tuple[int, int, int]]:
    """``(start step, steps, pitch)`` of the events' notes."""
    notes, start = [], 0
    for pitch, steps in events:
        if pitch is not None:
            notes.append((start, steps, pitch))
        start += steps
    return notes


def on_grid(quarters) -> int:
    return int(Fraction(quarters).limit_denominator(10_000) / Fraction(STEP))


def test_the_fixture_holds_what_the_tests_are_about(chorale, piece):
    assert chorale.voices[0][:8] == ["72", "_", "_", "_", "72", "_", "_", "_"]  # repeated
    assert chorale.voices[3][:8] == ["48", "_", "_", "_", "_", "_", "_", "_"]  # held
    assert "r" in chorale.voices[2]
    assert fermata_ends(FERMATAS) == {31, 47}
    assert fermata_runs(FERMATAS) == [(28, 4), (40, 8)]
    # The chorale's piece: its parts the voices, named, on two staves, with the fermatas.
    assert [part.name for part in piece.parts] == NAMES
    assert [list(part.events) for part in piece.parts] == VOICE_EVENTS
    assert piece.staff_groups == ((0, 1), (2, 3))
    assert list(piece.fermatas) == FERMATAS and piece.steps == FRAMES
    assert piece.key == SongKey(0, "major")


def test_midi_has_four_named_tracks_on_their_own_channels(tmp_path, piece):
    path = tmp_path / "chorale.mid"
    parts = tuple(
        replace(part, program=program) for part, program in zip(piece.parts, PROGRAMS, strict=True)
    )
    write_midi(replace(piece, parts=parts), path)
    midi = mido.MidiFile(path)
    assert midi.type == 1 and midi.ticks_per_beat == TICKS_PER_QUARTER
    assert len(midi.tracks) == 4
    for channel, (track, events) in enumerate(zip(midi.tracks, VOICE_EVENTS, strict=True)):
        assert track.name == NAMES[channel]
        messages = [m for m in track if not m.is_meta]
        assert {m.channel for m in messages} == {channel}
        assert [m.program for m in messages if m.type == "program_change"] == [PROGRAMS[channel]]
        tick, onsets, offsets = 0, [], []
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.velocity:
                onsets.append((tick, message.note))
            elif message.type in ("note_off", "note_on"):
                offsets.append((tick, message.note))
        notes = timed(events)
        assert onsets == [(start * TICKS, pitch) for start, _, pitch in notes]
        assert offsets == [((start + steps) * TICKS, pitch) for start, steps, pitch in notes]
        assert tick == FRAMES * TICKS  # every track lasts the whole chorale
    first = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert round(mido.tempo2bpm(first["set_tempo"].tempo)) == TEMPO
    assert (first["time_signature"].numerator, first["time_signature"].denominator) == (4, 4)


def test_midi_reads_back_to_the_same_voices(tmp_path, chorale, piece):
    path = tmp_path / "chorale.mid"
    write_midi(piece, path)
    # MIDI has no fermatas: the voices come back token for token, the frames without them.
    assert read_chorale_midi(path, STEP) == Frames(chorale.voices, [False] * FRAMES)


def test_a_silent_voice_reads_back_as_a_rest(tmp_path):
    silent = Frames.from_events([[(60, 8)], [(None, 8)], [(55, 8)], [(48, 8)]], [False] * 8)
    path = tmp_path / "silent.mid"
    write_midi(chorale_piece(silent), path)
    assert read_chorale_midi(path).voices[1] == ["r"] + ["_"] * 7


def test_music21_reads_the_midi_as_four_parts_with_the_same_notes(tmp_path, piece):
    path = tmp_path / "chorale.mid"
    write_midi(piece, path)
    score = music21.converter.parse(path)
    assert len(score.parts) == 4
    for part, events in zip(score.parts, VOICE_EVENTS, strict=True):
        notes = [
            (on_grid(n.offset), on_grid(n.quarterLength), n.pitch.midi)
            for n in part.flatten().notes
        ]
        assert notes == timed(events)


def written_voices(xml: str) -> tuple[list, list]:
    """Per staff of a MusicXML score, per voice number, the ``(start step, steps, pitch)`` of its
    notes (ties joined) with stem and fermata; and the staves' clefs."""
    score = music21.converter.parse(xml, format="musicxml", forceSource=True)
    staves, clefs = [], []
    for staff in score.parts:
        clefs.append(staff.flatten().getElementsByClass(music21.clef.Clef)[0])
        voices: dict[int, list] = {}
        for measure in staff.getElementsByClass(music21.stream.Measure):
            assert len(measure.voices) == 2
            for number, voice in enumerate(measure.voices):
                for note in voice.notes:
                    start = on_grid(measure.offset + note.offset)
                    voices.setdefault(number, []).append(
                        (start, note, note.stemDirection, bool(note.expressions))
                    )
        staves.append([voices[0], voices[1]])
    return staves, clefs


def joined(pieces) -> list[tuple[int, int, int]]:
    """Tied pieces joined into ``(start step, steps, pitch)`` notes."""
    notes = []
    for start, note, _, _ in pieces:
        steps = on_grid(note.quarterLength)
        if note.tie is not None and note.tie.type in ("stop", "continue"):
            first, length, pitch = notes[-1]
            notes[-1] = (first, length + steps, pitch)
        else:
            notes.append((start, steps, note.pitch.midi))
    return notes


def test_musicxml_reads_back_to_four_voices_on_a_grand_staff(piece):
    score, clef = piece_score(piece)
    assert clef == "treble, bass"
    xml = musicxml_text(score)
    staves, clefs = written_voices(xml)
    assert len(staves) == 2
    assert isinstance(clefs[0], music21.clef.TrebleClef)
    assert isinstance(clefs[1], music21.clef.BassClef)
    (soprano, alto), (tenor, bass) = staves
    for pieces, events, stem in [
        (soprano, SOPRANO, "up"),
        (alto, ALTO, "down"),
        (tenor, TENOR, "up"),
        (bass, BASS, "down"),
    ]:
        assert joined(pieces) == timed(events)
        assert {piece[2] for piece in pieces} == {stem}
        # A fermata on the note sounding at the end of each fermata run, once per note.
        marked = [start for start, _, _, fermata in pieces if fermata]
        sounding = [
            start
            for start, steps, _ in timed(events)
            if {31, 47} & set(range(start, start + steps))
        ]
        assert len(marked) == len(sounding) == 2
    score = music21.converter.parse(xml, format="musicxml", forceSource=True)
    measures = score.parts[0].getElementsByClass(music21.stream.Measure)
    assert len(measures) == 3
    assert all(m.barDuration.quarterLength == 4 for m in measures)
    assert score.parts[0].flatten().getElementsByClass(music21.key.KeySignature)[0].sharps == 0


def test_a_chorale_in_a_minor_is_written_in_a_minor():
    minor = Frames.from_events(
        [[(76, 8), (72, 8)], [(72, 8), (69, 8)], [(64, 8), (64, 8)], [(45, 8), (57, 8)]],
        [False] * 16,
    )
    assert chorale_piece(minor).key == SongKey(9, "minor")


def test_svg_has_two_staves_a_brace_and_every_fermata(piece):
    xml = musicxml_text(piece_score(piece)[0])
    # The two staves are one instrument's: one MusicXML part of two staves (a brace is
    # MusicXML's default for it), not a bracketed group of parts.
    assert xml.count("<score-part ") == 1 and "<staves>2</staves>" in xml
    assert "<group-symbol>bracket</group-symbol>" not in xml
    svg = engrave_svg(xml)
    assert "<svg" in svg[:500]
    measures = len(re.findall(r'<g [^>]*class="measure"', svg))
    assert measures == 3
    assert len(re.findall(r'<g [^>]*class="staff"', svg)) == 2 * measures
    assert len(re.findall(r'<g [^>]*class="layer"', svg)) == 4 * measures  # two voices a staff
    assert len(re.findall(r'<g [^>]*class="grpSym"', svg)) == 1
    assert len(re.findall(r'<g [^>]*class="fermata"', svg)) == 2 * len(SATB)


def test_write_score_of_a_chorale_returns_its_facts(tmp_path, piece):
    facts = write_score(piece, tmp_path / "c.musicxml", tmp_path / "c.svg")
    assert (tmp_path / "c.musicxml").read_text().lstrip().startswith("<?xml")
    assert "<svg" in (tmp_path / "c.svg").read_text()[:500]
    assert facts["key"] == "C major" and facts["clef"] == "treble, bass"
    assert facts["time_signature"] == METER and facts["tempo_bpm"] == TEMPO
    assert facts["bars"] == 3 and facts["fermatas"] == 2
    assert list(facts["voices"]) == NAMES
    assert facts["voices"]["Soprano"] == {"notes": 9, "lowest": "G4", "highest": "C5"}
    assert facts["voices"]["Bass"] == {"notes": 8, "lowest": "C3", "highest": "G3"}
    assert facts["notes"] == sum(len(timed(events)) for events in VOICE_EVENTS)
    assert (facts["lowest"], facts["highest"]) == ("C3", "C5")
    rows = dict(voice_rows(facts))
    assert rows["voices"].startswith("Soprano G4 to C5 (9 notes); Alto")
    assert rows["fermatas"] == 2
    assert voice_rows({"notes": 3}) == []  # a melody's facts add no rows


def test_builtin_audio_sounds_for_the_length_of_the_chorale(tmp_path, piece):
    render = settings(RenderSettings, synthesizer="builtin", sample_rate=8000)
    wav = tmp_path / "chorale.wav"
    info = write_audio(piece, wav, render)
    rate, channels = read_wav(wav)
    seconds = FRAMES * STEP * 60 / TEMPO + TAIL_SECONDS
    assert rate == 8000 and channels.shape[0] == 1
    assert channels.shape[1] == round(seconds * rate)
    assert info["seconds"] == pytest.approx(seconds, abs=1e-3)
    assert info["synthesizer"] == "builtin" and info["program"] is None
    assert np.max(np.abs(channels)) == pytest.approx(PEAK, abs=1e-3)  # normalised, no clipping
    # Sound while the chorale plays (the tenor's rest is covered by the other voices).
    quarter = round(60 / TEMPO * rate)
    for beat in range(FRAMES // 4):
        assert np.abs(channels[0, beat * quarter : (beat + 1) * quarter]).max() > 0.05


def test_fluidsynth_plays_the_four_tracks(tmp_path, piece):
    require_tool("fluidsynth")
    render = settings(RenderSettings, synthesizer="fluidsynth", program=19, sample_rate=22050)
    wav = tmp_path / "chorale.wav"
    info = write_audio(piece, wav, render)
    _, channels = read_wav(wav)
    assert info["program"] == 19
    assert info["seconds"] >= FRAMES * STEP * 60 / TEMPO
    assert np.abs(channels).max() > 0.5
    # Without a program each part plays its own.
    parts = tuple(
        replace(part, program=program) for part, program in zip(piece.parts, PROGRAMS, strict=True)
    )
    own = settings(RenderSettings, synthesizer="fluidsynth", program=None, sample_rate=22050)
    info = write_audio(replace(piece, parts=parts), tmp_path / "own.wav", own)
    assert info["program"] == list(PROGRAMS)
    assert np.abs(read_wav(tmp_path / "own.wav")[1]).max() > 0.5


def test_piano_roll_is_written(tmp_path, piece):
    png = tmp_path / "roll.png"
    plot_piano_roll(piece, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000
