"""Pieces of three and five parts built directly as a Piece of Parts, as a consort or a motet
is: a MIDI file of one named track per part, on its own channel with its own instrument, and a
score of one named staff per part (the Altus in alto clef) whose first bar line falls after the
anacrusis in every part."""

import re

import mido
import music21
import pytest

from musiclstm.music.midi import TICKS_PER_QUARTER, read_chorale_midi, write_midi
from musiclstm.music.piece import Part, Piece
from musiclstm.music.tokens import events_to_tokens
from musiclstm.music.tonality import SongKey
from musiclstm.rendering.notation import engrave_svg, musicxml_text, piece_score, write_score

STEP, METER, TEMPO = 0.25, "4/4", 72.0
TICKS = round(TICKS_PER_QUARTER * STEP)
PICKUP = 4  # one beat of the first bar is silent: a three-beat anacrusis
# Each part 44 steps: the 12-step anacrusis, then two bars; name -> (events, program, clef).
VOICES = {
    "Cantus": ([(72, 4), (74, 4), (76, 4), (77, 8), (76, 8), (74, 8), (72, 8)], 73, "treble"),
    "Quintus": ([(67, 12), (69, 8), (67, 8), (None, 4), (65, 4), (64, 8)], 71, "treble"),
    "Altus": ([(60, 12), (62, 16), (60, 8), (59, 4), (60, 4)], 41, "alto"),
    "Tenor": ([(55, 4), (57, 8), (59, 16), (57, 8), (55, 8)], 70, "treble8vb"),
    "Bassus": ([(48, 12), (53, 16), (55, 8), (48, 8)], 42, "bass"),
}
THREE = ("Cantus", "Altus", "Bassus")
FIVE = ("Cantus", "Quintus", "Altus", "Tenor", "Bassus")
CLEFS = {
    "treble": music21.clef.TrebleClef,
    "alto": music21.clef.AltoClef,
    "treble8vb": music21.clef.Treble8vbClef,
    "bass": music21.clef.BassClef,
}


def ensemble(names: tuple[str, ...], pickup: int = PICKUP) -> Piece:
    parts = tuple(
        Part(name, tuple(VOICES[name][0]), VOICES[name][1], VOICES[name][2]) for name in names
    )
    return Piece(parts, STEP, METER, TEMPO, SongKey(0, "major"), pickup, title="consort")


def timed(events) -> list[tuple[int, int, int]]:
    """``(start step, steps, pitch)`` of the events' notes."""
    notes, start = [], 0
    for pitch, steps in events:
        if pitch is not None:
            notes.append((start, steps, pitch))
        start += steps
    return notes


def test_the_parts_are_what_the_tests_are_about():
    assert {sum(steps for _, steps in events) for events, _, _ in VOICES.values()} == {44}
    assert len({program for _, program, _ in VOICES.values()}) == len(VOICES)
    piece = ensemble(FIVE)
    assert piece.steps == 44 and piece.staff_groups == tuple((k,) for k in range(5))


@pytest.mark.parametrize("names", [THREE, FIVE], ids=["three", "five"])
def test_midi_has_a_named_track_per_part_with_its_program(tmp_path, names):
    path = tmp_path / "consort.mid"
    write_midi(ensemble(names), path)
    midi = mido.MidiFile(path)
    assert midi.type == 1 and len(midi.tracks) == len(names)
    assert [track.name for track in midi.tracks] == list(names)
    for channel, (track, name) in enumerate(zip(midi.tracks, names, strict=True)):
        messages = [m for m in track if not m.is_meta]
        assert {m.channel for m in messages} == {channel}
        programs = [m.program for m in messages if m.type == "program_change"]
        assert programs == [VOICES[name][1]]
        tick, onsets = 0, []
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.velocity:
                onsets.append((tick, message.note))
        assert onsets == [(start * TICKS, pitch) for start, _, pitch in timed(VOICES[name][0])]
    first = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert round(mido.tempo2bpm(first["set_tempo"].tempo)) == TEMPO
    # Each channel reads back as its part, token for token.
    voices = read_chorale_midi(path, STEP, voices=len(names)).voices
    assert list(voices) == [events_to_tokens(VOICES[name][0]) for name in names]


def read_score(xml: str) -> music21.stream.Score:
    return music21.converter.parse(xml, format="musicxml", forceSource=True)


@pytest.mark.parametrize("names", [THREE, FIVE], ids=["three", "five"])
def test_musicxml_has_a_named_staff_per_part_in_its_clef(names):
    score, clefs = piece_score(ensemble(names))
    assert clefs == ", ".join(VOICES[name][2] for name in names)
    xml = musicxml_text(score)
    assert xml.count("<score-part ") == len(names) and "<staves>" not in xml
    for name in names:
        assert f"<part-name>{name}</part-name>" in xml
    parts = read_score(xml).parts
    assert len(parts) == len(names)
    assert [part.partName for part in parts] == list(names)
    for part, name in zip(parts, names, strict=True):
        clef = part.flatten().getElementsByClass(music21.clef.Clef)[0]
        assert type(clef) is CLEFS[VOICES[name][2]]
        # Every part sounds its own notes, the anacrusis's silent beat before them.
        notes = [
            (round(n.offset / STEP) - PICKUP, round(n.quarterLength / STEP), n.pitch.midi)
            for n in part.flatten().stripTies().notes
        ]
        assert notes == timed(VOICES[name][0])
    altus = parts[names.index("Altus")]
    assert isinstance(
        altus.flatten().getElementsByClass(music21.clef.Clef)[0], music21.clef.AltoClef
    )
    # The staves of an ensemble, not of one instrument: bracketed, not braced.
    assert "<group-symbol>bracket</group-symbol>" in xml
    svg = engrave_svg(xml)
    measures = len(re.findall(r'<g [^>]*class="measure"', svg))
    assert measures == 3
    assert len(re.findall(r'<g [^>]*class="staff"', svg)) == len(names) * measures
    assert len(re.findall(r'<g [^>]*class="clef"', svg)) == len(names)
    assert len(re.findall(r'<g [^>]*class="grpSym"', svg)) == 1


@pytest.mark.parametrize("names", [THREE, FIVE], ids=["three", "five"])
def test_the_first_bar_line_falls_after_the_anacrusis_in_every_part(names):
    parts = read_score(musicxml_text(piece_score(ensemble(names))[0])).parts
    for part, name in zip(parts, names, strict=True):
        measures = part.getElementsByClass(music21.stream.Measure)
        assert len(measures) == 3  # the bar of the anacrusis, then two
        assert all(m.barDuration.quarterLength == 4 for m in measures)
        first = measures[0].flatten().notesAndRests
        assert first[0].isRest and first[0].offset == 0 and first[0].quarterLength == 1
        # The anacrusis fills the rest of the first bar; bar 2 opens on the part's downbeat.
        assert sum(n.quarterLength for n in first) == 4
        downbeat = measures[1].flatten().notesAndRests[0]
        position, sounding = 0, None
        for pitch, steps in VOICES[name][0]:
            if position <= 12 < position + steps:
                sounding = pitch
            position += steps
        assert downbeat.offset == 0
        assert (None if downbeat.isRest else downbeat.pitch.midi) == sounding


def test_without_an_anacrusis_the_first_bar_starts_on_the_first_note():
    parts = read_score(musicxml_text(piece_score(ensemble(THREE, pickup=0))[0])).parts
    for part, name in zip(parts, THREE, strict=True):
        first = part.getElementsByClass(music21.stream.Measure)[0].flatten().notesAndRests[0]
        assert not first.isRest and first.pitch.midi == VOICES[name][0][0][0]


def test_write_score_of_five_parts_returns_each_parts_facts(tmp_path):
    facts = write_score(ensemble(FIVE), tmp_path / "c.musicxml", tmp_path / "c.svg")
    assert "<svg" in (tmp_path / "c.svg").read_text()[:500]
    assert facts["clef"] == "treble, treble, alto, treble8vb, bass"
    assert facts["bars"] == 3 and facts["fermatas"] == 0
    assert list(facts["voices"]) == list(FIVE)
    assert facts["voices"]["Altus"] == {"notes": 5, "lowest": "B3", "highest": "D4"}
    assert facts["notes"] == sum(len(timed(VOICES[name][0])) for name in FIVE)
