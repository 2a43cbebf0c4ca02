"""A piece as a score: MusicXML written with music21, engraved as SVG with verovio.

The score has the piece's time signature, bar lines, its key signature (C major / A minor unless
it was written in another key), notes spelled in that key (:mod:`.spelling`), ties across bar
lines, a tempo mark, a rest before an anacrusis so that its bar lines fall in place, and a
fermata where a phrase ends.

A piece of one part (a melody) gets the clef that needs the fewest ledger lines: treble, bass,
treble with an 8 below (a low melody read an octave up, as tenors and guitarists do), or a grand
staff (treble and bass joined by a brace, the notes from middle C up on the treble staff) for a
melody too wide for one staff. A piece of several parts gets the staves its texture lays out: a
staff per part in the part's clef with its name (a string quartet, the viola in alto clef), each
a part of the MusicXML score and the staves joined by a bracket, or two parts to a staff, the
upper one's stems up and the lower one's down, as hymnals print a chorale, the staves joined by a
brace.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import music21

from musiclstm.music.meter import bar_steps
from musiclstm.music.piece import Part, Piece
from musiclstm.music.tokens import Event
from musiclstm.rendering.spelling import (
    CLEFS,
    MIDDLE_C,
    STAFF_CLEFS,
    choose_clef,
    key_name,
    key_of,
    note_name,
    spelled_pitch,
)

# verovio's page: 21 cm wide at the default 100 units/mm scaled by `scale` %; one tall page so
# that the whole song is one SVG.
VEROVIO_OPTIONS = {
    "pageWidth": 2100,
    "pageHeight": 60000,
    "adjustPageHeight": True,
    "scale": 45,
    "breaks": "auto",
    "footer": "none",
    "header": "auto",
}
COMPOSER = "music LSTM"


def staff_events(events: list[Event], keep) -> list[Event]:
    """The events one staff shows: notes whose pitch ``keep`` accepts, rests elsewhere (merged)."""
    shown: list[Event] = []
    for pitch, steps in events:
        if pitch is not None and not keep(pitch):
            pitch = None
        if pitch is None and shown and shown[-1][0] is None:
            shown[-1] = (None, shown[-1][1] + steps)
        else:
            shown.append((pitch, steps))
    return shown


def staff_notes(
    events: list[Event], time_step: float, key: music21.key.Key
) -> list[music21.note.GeneralNote]:
    """The events as music21 notes and rests, spelled in the key, not yet cut into bars."""
    step = Fraction(time_step).limit_denominator(10_000)
    elements = []
    for pitch, steps in events:
        length = step * steps
        if pitch is None:
            elements.append(music21.note.Rest(quarterLength=length))
        else:
            elements.append(music21.note.Note(spelled_pitch(pitch, key), quarterLength=length))
    return elements


def staff_part(
    events: list[Event],
    time_step: float,
    key: music21.key.Key,
    time_signature: str,
    clef: music21.clef.Clef,
    part_class=music21.stream.Part,
    tempo_bpm: float | None = None,
) -> music21.stream.Part:
    """One staff of the score, cut into measures with ties across bar lines."""
    part = part_class()
    part.insert(0, clef)
    part.insert(0, music21.key.Key(key.tonic.name, key.mode))
    part.insert(0, music21.meter.TimeSignature(time_signature))
    if tempo_bpm is not None:
        part.insert(0, music21.tempo.MetronomeMark(number=tempo_bpm, referent=1.0))
    for element in staff_notes(events, time_step, key):
        part.append(element)
    part.makeNotation(inPlace=True)
    return part


def padded_to_bar(events: list[Event], time_step: float, time_signature: str) -> list[Event]:
    """The events with a rest that fills the last bar (the score ends on a bar line)."""
    total = sum(steps for _, steps in events)
    missing = -total % bar_steps(time_signature, time_step)
    return events + [(None, missing)] if missing else list(events)


def with_pickup(events: list[Event], piece: Piece) -> list[Event]:
    """A part's events from the first bar line: a rest as long as the anacrusis first, and a
    rest that fills the last bar."""
    lead = [(None, piece.pickup_steps)] if piece.pickup_steps else []
    return padded_to_bar(lead + events, piece.time_step, piece.time_signature)


def melody_staves(piece: Piece, clef: str, key: music21.key.Key) -> tuple[list, str]:
    """The staves of a piece of one part, on ``clef`` (``auto``: :func:`choose_clef`), and the
    clef chosen."""
    if clef not in CLEFS:
        raise ValueError(f"clef {clef!r}: expected one of {', '.join(CLEFS)}")
    events = with_pickup(list(piece.parts[0].events), piece)
    staves = choose_clef(piece.parts[0].pitches) if clef == "auto" else clef
    meter, step, tempo = piece.time_signature, piece.time_step, piece.tempo_bpm
    if staves != "grand":
        part = staff_part(events, step, key, meter, STAFF_CLEFS[staves](), tempo_bpm=tempo)
        return [part], staves
    upper = staff_part(
        staff_events(events, lambda p: p >= MIDDLE_C),
        step,
        key,
        meter,
        music21.clef.TrebleClef(),
        music21.stream.PartStaff,
        tempo,
    )
    lower = staff_part(
        staff_events(events, lambda p: p < MIDDLE_C),
        step,
        key,
        meter,
        music21.clef.BassClef(),
        music21.stream.PartStaff,
    )
    return [upper, lower], staves


def voice_measures(
    events: list[Event],
    fermata_steps: set[int],
    piece: Piece,
    key: music21.key.Key,
    stem: str | None,
) -> list[music21.stream.Measure]:
    """One part cut into measures, ties across bar lines, stems ``up`` or ``down`` (None: as
    they fall), and a fermata on each note that sounds in one of ``fermata_steps`` (music21
    moves it to the last of the tied notes a bar line splits it into)."""
    part = music21.stream.Part()
    part.insert(0, music21.meter.TimeSignature(piece.time_signature))
    start = 0
    for element, (pitch, steps) in zip(
        staff_notes(events, piece.time_step, key), events, strict=True
    ):
        if pitch is not None:
            if stem:
                element.stemDirection = stem
            if fermata_steps & set(range(start, start + steps)):
                element.expressions.append(voice_fermata(stem or "up"))
        start += steps
        part.append(element)
    part.makeNotation(inPlace=True)
    return list(part.getElementsByClass(music21.stream.Measure))


def staff_clef(parts: list[Part]) -> str:
    """The clef of a staff: its top part's own, or the one with the fewest ledger lines."""
    if parts[0].clef != "auto":
        return parts[0].clef
    clef = choose_clef([pitch for part in parts for pitch in part.pitches])
    return "treble" if clef == "grand" else clef


def ensemble_staves(piece: Piece, key: music21.key.Key) -> tuple[list, list[str]]:
    """The staves of a piece of several parts, as its ``staff_groups`` lay them out: a part
    alone on its staff, named; two parts on one staff as voices 1 and 2. Returns the staves and
    their clefs."""
    ends = {step + piece.pickup_steps for step in fermata_ends(list(piece.fermatas))}
    staves, clefs = [], []
    for number, group in enumerate(piece.staff_groups):
        parts = [piece.parts[index] for index in group]
        clef = staff_clef(parts)
        stems = ["up", "down"] if len(parts) == 2 else [None] * len(parts)
        measures = [
            voice_measures(with_pickup(list(part.events), piece), ends, piece, key, stem)
            for part, stem in zip(parts, stems, strict=True)
        ]
        tempo = piece.tempo_bpm if number == 0 else None
        # A part alone on its staff is an instrument of its own (a MusicXML part, named); the
        # staves of parts that share them are one instrument's, as a hymnal's grand staff is.
        kind = music21.stream.PartStaff if len(parts) > 1 else music21.stream.Part
        staff = voices_staff(measures, STAFF_CLEFS[clef](), key, piece.time_signature, tempo, kind)
        staff.partName = " and ".join(part.name for part in parts)
        staves.append(staff)
        clefs.append(clef)
    return staves, clefs


def piece_score(piece: Piece, clef: str = "auto") -> tuple[music21.stream.Score, str]:
    """The piece as a music21 score, and its clef or clefs as the facts name them; ``clef``
    (``auto``, or one of :data:`~.spelling.CLEFS`) places a piece of one part."""
    if not piece.steps:
        raise ValueError("the piece is empty: there is nothing to write as a score")
    key = key_of(piece.key)
    score = music21.stream.Score()
    score.metadata = music21.metadata.Metadata(title=piece.title, composer=COMPOSER)
    if len(piece.parts) == 1:
        staves, chosen = melody_staves(piece, clef, key)
    else:
        staves, clefs = ensemble_staves(piece, key)
        chosen = ", ".join(clefs)
    if len(staves) == 1:
        score.insert(0, staves[0])
    else:
        shared = all(isinstance(staff, music21.stream.PartStaff) for staff in staves)
        add_staff_group(score, staves, "brace" if shared else "bracket")
    return score, chosen


def add_staff_group(score: music21.stream.Score, staves: list, symbol: str = "brace") -> None:
    """Put the staves into the score, joined by a brace (one instrument's staves, which MusicXML
    writes as one part) or a bracket (an ensemble's), and bar lines drawn through them."""
    for staff in staves:
        score.insert(0, staff)
    group = music21.layout.StaffGroup(staves, symbol=symbol, barTogether=True)
    score.insert(0, group)


def musicxml_text(score: music21.stream.Score) -> str:
    """The score as a MusicXML document."""
    exporter = music21.musicxml.m21ToXml.GeneralObjectExporter(score)
    return exporter.parse().decode("utf-8")


def engrave_svg(musicxml: str) -> str:
    """Engrave a MusicXML document with verovio as one SVG page."""
    import verovio

    verovio.enableLog(verovio.LOG_WARNING)
    toolkit = verovio.toolkit()
    toolkit.setOptions(VEROVIO_OPTIONS)
    if not toolkit.loadData(musicxml):
        raise ValueError("verovio could not read the MusicXML score")
    if toolkit.getPageCount() != 1:
        raise ValueError(f"the score took {toolkit.getPageCount()} pages instead of one")
    return toolkit.renderToSVG(1)


def write_score(piece: Piece, musicxml_path: Path, svg_path: Path, clef: str = "auto") -> dict:
    """Write a piece as MusicXML and as an engraved SVG score, and return what a reader of the
    score wants to know: key, meter, tempo, clef, bars, notes and range, and for a piece of
    several parts the fermatas and each part's notes and range."""
    score, chosen = piece_score(piece, clef)
    xml = musicxml_text(score)
    Path(musicxml_path).write_text(xml)
    Path(svg_path).write_text(engrave_svg(xml))
    key = key_of(piece.key)
    facts = {
        "key": key_name(key),
        "time_signature": piece.time_signature,
        "tempo_bpm": piece.tempo_bpm,
        "clef": chosen,
        "bars": len(score.parts[0].getElementsByClass(music21.stream.Measure)),
        **range_facts(piece.pitches, key),
    }
    if len(piece.parts) > 1:
        facts["fermatas"] = len(fermata_ends(list(piece.fermatas)))
        facts["voices"] = {part.name: range_facts(part.pitches, key) for part in piece.parts}
    return facts


def range_facts(pitches: list[int], key: music21.key.Key) -> dict:
    """How many notes, and the lowest and highest named in the key (None without notes)."""
    return {
        "notes": len(pitches),
        "lowest": note_name(min(pitches), key) if pitches else None,
        "highest": note_name(max(pitches), key) if pitches else None,
    }


def fermata_ends(fermatas: list[bool]) -> set[int]:
    """The last frame of every run of fermata frames: the chord a fermata is written on."""
    return {
        frame
        for frame, fermata in enumerate(fermatas)
        if fermata and (frame + 1 == len(fermatas) or not fermatas[frame + 1])
    }


def voice_fermata(stem: str) -> music21.expressions.Fermata:
    """A fermata on the side of the staff the voice's stems point to: above the upper voice,
    below (upside down) the lower one, so that the two voices' fermatas do not collide."""
    fermata = music21.expressions.Fermata()
    fermata.type = "upright" if stem == "up" else "inverted"
    fermata.placement = "above" if stem == "up" else "below"
    return fermata


def voices_staff(
    voices: list[list[music21.stream.Measure]],
    clef: music21.clef.Clef,
    key: music21.key.Key,
    time_signature: str,
    tempo_bpm: float | None = None,
    kind=music21.stream.PartStaff,
) -> music21.stream.Part:
    """A staff (a ``kind``: a PartStaff of an instrument's several staves, or a Part of its own)
    whose every measure holds the voices' notes (two as voices 1 and 2, one plainly); clef, key,
    time signature and tempo open the first measure."""
    staff = kind()
    for number, bars in enumerate(zip(*voices, strict=True), start=1):
        measure = music21.stream.Measure(number=number)
        if number == 1:
            opening = [clef, music21.key.Key(key.tonic.name, key.mode)]
            opening.append(music21.meter.TimeSignature(time_signature))
            if tempo_bpm is not None:
                opening.append(music21.tempo.MetronomeMark(number=tempo_bpm, referent=1.0))
            for element in opening:
                measure.insert(0, element)
        if len(bars) == 1:
            for element in bars[0].notesAndRests:
                measure.insert(element.offset, element)
        for voice_number, source in enumerate(bars if len(bars) > 1 else [], start=1):
            voice = music21.stream.Voice(id=str(voice_number))
            for element in source.notesAndRests:
                voice.insert(element.offset, element)
            measure.insert(0, voice)
        staff.append(measure)
    return staff
