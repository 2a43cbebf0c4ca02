"""Scores: MusicXML that reads back to the same melody, key and time signatures, ties, clefs,
and an SVG engraving with one glyph per written note."""

import re
from dataclasses import replace
from fractions import Fraction

import music21
import pytest
from pieces import melody_piece

from musiclstm.music.tokens import events_to_tokens, tokens_to_events
from musiclstm.music.tonality import SongKey, allowed_keys, song_key
from musiclstm.rendering.notation import engrave_svg, musicxml_text, piece_score, write_score
from musiclstm.rendering.spelling import choose_clef, key_of, ledger_lines, spelled_pitch

EVENTS = [(60, 10), (64, 8), (None, 1), (67, 3), (72, 5), (71, 7)]


def melody_xml(events, clef: str = "auto", **piece) -> str:
    """The MusicXML score of a melody of ``events`` on ``clef``; ``piece`` as
    :func:`pieces.melody_piece` takes it (key: C major unless given)."""
    piece = {"key": "C major", **piece}
    return musicxml_text(piece_score(melody_piece(events_to_tokens(events), **piece), clef)[0])


def read_back(xml: str, step: float = 0.25) -> list:
    """The melody of a MusicXML document as events: every staff's notes, ties joined."""
    score = music21.converter.parse(xml, format="musicxml", forceSource=True)
    grid = Fraction(step).limit_denominator(10_000)
    notes, end = [], Fraction(0)
    for part in score.parts:
        flat = part.flatten()
        end = max(end, Fraction(flat.highestTime).limit_denominator(10_000))
        for note in flat.stripTies().notes:
            start = Fraction(note.offset).limit_denominator(10_000) / grid
            length = Fraction(note.quarterLength).limit_denominator(10_000) / grid
            notes.append((int(start), int(length), note.pitch.midi))
    events, position = [], 0
    for start, length, pitch in sorted(notes):
        if start > position:
            events.append((None, start - position))
        events.append((pitch, length))
        position = start + length
    if end / grid > position:
        events.append((None, int(end / grid) - position))
    return events


def first_clef(part: music21.stream.Part) -> music21.clef.Clef:
    return part.flatten().getElementsByClass(music21.clef.Clef)[0]


def staves(xml: str) -> list[music21.stream.Part]:
    return list(music21.converter.parse(xml, format="musicxml", forceSource=True).parts)


@pytest.mark.parametrize(
    "pitches, clef",
    [([60, 72, 55], "treble"), ([40, 64, 50], "bass"), ([48, 76], "grand"), ([], "treble")],
)
def test_clef_is_chosen_by_range(pitches, clef):
    assert choose_clef(pitches) == clef


def test_a_low_minor_melody_is_read_an_octave_up_not_on_ledger_lines_over_the_bass_staff():
    low = [(52, 4), (57, 4), (59, 2), (60, 2), (62, 4), (64, 4), (60, 4), (57, 8), (55, 4)]
    pitches = [pitch for pitch, _ in low]
    assert sum(ledger_lines(pitch, "bass") for pitch in pitches) == 5  # C4 D4 E4 C4 above it
    assert sum(ledger_lines(pitch, "treble8vb") for pitch in pitches) == 0
    assert choose_clef(pitches) == "treble8vb"
    piece = replace(melody_piece(events_to_tokens(low)), key=SongKey(9, "minor"))
    score, clef = piece_score(piece)
    assert clef == "treble8vb"
    xml = musicxml_text(score)
    (part,) = staves(xml)
    assert isinstance(first_clef(part), music21.clef.Treble8vbClef)
    assert read_back(xml)[: len(low)] == low  # the notes sound where they were
    assert 'class="clef"' in engrave_svg(xml)


def test_treble_melody_reads_back_with_bar_lines_ties_and_signatures():
    # 3/4: a half note E that crosses the first bar line, then odd lengths; 34 steps of 36.
    xml = melody_xml(EVENTS, time_step=0.25, time_signature="3/4")
    assert read_back(xml) == EVENTS + [(None, 2)]
    (part,) = staves(xml)
    measures = part.getElementsByClass(music21.stream.Measure)
    assert len(measures) == 3
    assert all(m.barDuration.quarterLength == 3 for m in measures)
    assert part.flatten().getElementsByClass(music21.meter.TimeSignature)[0].ratioString == "3/4"
    assert part.flatten().getElementsByClass(music21.key.KeySignature)[0].sharps == 0
    assert isinstance(
        part.flatten().getElementsByClass(music21.clef.Clef)[0], music21.clef.TrebleClef
    )
    # The E starts in bar 1 and ends in bar 2: written as two tied notes.
    e_notes = [n for n in part.flatten().notes if n.pitch.midi == 64]
    assert [n.tie.type for n in e_notes] == ["start", "stop"]
    assert [n.getContextByClass(music21.stream.Measure).number for n in e_notes] == [1, 2]


def test_an_anacrusis_is_preceded_by_a_rest_so_bar_lines_fall_in_place():
    events = [(67, 4), (72, 16), (71, 8), (72, 4)]  # a quarter upbeat in 4/4
    (part,) = staves(melody_xml(events, pickup=12))
    measures = part.getElementsByClass(music21.stream.Measure)
    assert [n.pitch.midi for n in measures[0].notes] == [67]
    assert measures[0].notesAndRests[0].isRest and measures[0].notesAndRests[0].quarterLength == 3
    assert [n.pitch.midi for n in measures[1].notes] == [72]  # the downbeat on bar 2's line


def test_last_bar_is_filled_with_a_rest():
    events = [(60, 4), (62, 2)]
    assert read_back(melody_xml(events)) == events + [(None, 10)]


def test_low_melody_gets_a_bass_clef_and_a_wide_one_a_grand_staff():
    low = [(43, 4), (48, 4), (52, 8)]
    score, clef = piece_score(melody_piece(events_to_tokens(low)))
    assert clef == "bass"
    (part,) = staves(musicxml_text(score))
    assert isinstance(
        part.flatten().getElementsByClass(music21.clef.Clef)[0], music21.clef.BassClef
    )
    wide = [(72, 4), (43, 4), (None, 2), (60, 2), (59, 2), (79, 16)]
    score, clef = piece_score(melody_piece(events_to_tokens(wide), key="C major"))
    assert clef == "grand"
    xml = musicxml_text(score)
    upper, lower = staves(xml)
    assert [n.pitch.midi for n in upper.flatten().notes] == [72, 60, 79, 79]  # 79 tied over
    assert [n.pitch.midi for n in lower.flatten().notes] == [43, 59]
    assert isinstance(
        upper.flatten().getElementsByClass(music21.clef.Clef)[0], music21.clef.TrebleClef
    )
    assert isinstance(
        lower.flatten().getElementsByClass(music21.clef.Clef)[0], music21.clef.BassClef
    )
    assert read_back(xml) == wide + [(None, 2)]
    # One MusicXML part with two staves (a brace is MusicXML's default for it), engraved as a
    # system of two staves joined by the group symbol.
    assert xml.count("<score-part ") == 1 and "<staves>2</staves>" in xml
    svg = engrave_svg(xml)
    assert len(re.findall(r'<g [^>]*class="clef"', svg)) == 2
    assert len(re.findall(r'<g [^>]*class="grpSym"', svg)) == 1


def test_forced_clef_and_bad_clef():
    events = [(72, 4), (43, 4)]
    (part,) = staves(melody_xml(events, clef="treble"))
    assert [n.pitch.midi for n in part.flatten().notes] == [72, 43]
    assert isinstance(first_clef(part), music21.clef.TrebleClef)
    with pytest.raises(ValueError, match="clef 'alto'"):
        piece_score(melody_piece(events_to_tokens(events)), clef="alto")


@pytest.mark.parametrize(
    "key, sharps, names",
    [
        (SongKey(0, "major"), 0, ["C4", "C#4", "D#4", "F#4", "B-4"]),  # D#: V of iii
        (SongKey(9, "minor"), 0, ["C4", "C#4", "D#4", "F#4", "B-4"]),
        (SongKey(2, "major"), 2, ["C4", "C#4", "D#4", "F#4", "A#4"]),  # A#: V of vi
        (SongKey(2, "minor"), -1, ["C4", "C#4", "E-4", "F#4", "B-4"]),
        (SongKey(6, "major"), -6, ["C4", "D-4", "E-4", "G-4", "B-4"]),
        (SongKey(4, "minor"), 1, ["C4", "C#4", "D#4", "F#4", "A#4"]),
    ],
)
def test_notes_are_spelled_in_the_key(key, sharps, names):
    music21_key = key_of(key)
    assert music21_key.sharps == sharps
    assert [spelled_pitch(p, music21_key).nameWithOctave for p in (60, 61, 63, 66, 70)] == names
    # Whatever the name, the pitch is the same.
    assert all(round(spelled_pitch(p, music21_key).ps) == p for p in range(40, 90))


def test_song_written_in_d_gets_the_d_key_signature(tmp_path):
    d_major = [(62, 4), (66, 4), (69, 4), (73, 2), (74, 2), (69, 8), (62, 8)]
    key = song_key(d_major, allowed_keys("D"))
    assert key == SongKey(2, "major")
    piece = melody_piece(events_to_tokens(d_major), 0.25, "4/4", tempo_bpm=90, title="in D")
    piece = replace(piece, key=key)
    facts = write_score(piece, tmp_path / "song.musicxml", tmp_path / "song.svg")
    assert facts == {
        "key": "D major",
        "time_signature": "4/4",
        "tempo_bpm": 90,
        "clef": "treble",
        "bars": 2,
        "notes": 7,
        "lowest": "D4",
        "highest": "D5",
    }
    (part,) = staves((tmp_path / "song.musicxml").read_text())
    assert part.flatten().getElementsByClass(music21.key.KeySignature)[0].sharps == 2
    assert [n.pitch.name for n in part.flatten().notes][:4] == ["D", "F#", "A", "C#"]
    mark = part.flatten().getElementsByClass(music21.tempo.MetronomeMark)[0]
    assert mark.number == 90


def test_svg_engraving_has_a_glyph_for_every_written_note():
    xml = melody_xml(EVENTS, time_step=0.25, time_signature="3/4", title="t")
    svg = engrave_svg(xml)
    assert "<svg" in svg[:500]
    written = len(list(staves(xml)[0].flatten().notes))  # tied pieces counted one by one
    notes = len([e for e in EVENTS if e[0] is not None])
    assert written > notes
    assert len(re.findall(r'<g [^>]*class="note"', svg)) == written
    assert len(re.findall(r'<g [^>]*class="tie"', svg)) == written - notes
    assert len(re.findall(r'<g [^>]*class="measure"', svg)) == 3
    assert 'class="meterSig"' in svg and 'class="clef"' in svg


def test_song_without_notes_or_length_is_refused():
    with pytest.raises(ValueError, match="empty"):
        piece_score(melody_piece([]))
    assert tokens_to_events(["r", "_"]) == [(None, 2)]
    xml = musicxml_text(piece_score(melody_piece(["r", "_"]))[0])  # still a bar of rest
    assert read_back(xml) == [(None, 16)]


def test_a_bach_chorale_is_spelled_as_bach_spelled_it():
    """bwv116.6 (A major) leans on vi and iii through their leading notes, E# and B#: every one
    of its 215 notes comes out as Bach wrote it, given only its key and MIDI pitches."""
    chorale = music21.corpus.parse("bach/bwv116.6")
    key = key_of(SongKey(9, "major"))
    pitches = [pitch for note in chorale.recurse().notes for pitch in note.pitches]
    assert {(p.midi - 9) % 12 for p in pitches} >= {3, 8}  # the two leading notes are there
    assert [spelled_pitch(p.midi, key).name for p in pitches] == [p.name for p in pitches]
