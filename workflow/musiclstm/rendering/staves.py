"""The staves of a score: a part's notes spelled, cut into measures with ties across bar lines
and a rest before an anacrusis; one part on the staff of its clef (or a grand staff); two parts
to a staff as voices 1 and 2, stems up and down; a fermata where each phrase ends."""

from __future__ import annotations

from fractions import Fraction

import music21

from musiclstm.music.meter import bar_steps
from musiclstm.music.piece import Part, Piece
from musiclstm.music.tokens import Event
from musiclstm.rendering.spelling import CLEFS, MIDDLE_C, STAFF_CLEFS, choose_clef, spelled_pitch


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
        # An instrument's staff is named; voices sharing staves go unnamed, as in a hymnal.
        if len(parts) == 1:
            staff.partName = parts[0].name
            staff.insert(0, part_instrument(parts[0]))
        staves.append(staff)
        clefs.append(clef)
    return staves, clefs


def part_instrument(part) -> music21.instrument.Instrument:
    """The instrument a part plays, named as the part (a notation program shows it by the staff
    and plays the part's General MIDI program)."""
    instrument = music21.instrument.Instrument()
    if part.program is not None:
        instrument = music21.instrument.instrumentFromMidiProgram(part.program)
        instrument.midiProgram = part.program
    # The part's own name on every system: General MIDI's abbreviation would print two violins
    # alike.
    instrument.instrumentName = instrument.partName = part.name
    instrument.instrumentAbbreviation = instrument.partAbbreviation = part.name
    return instrument


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
