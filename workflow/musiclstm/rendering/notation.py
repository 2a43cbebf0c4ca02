"""A melody as a score: MusicXML written with music21, engraved as SVG with verovio.

The score has the song's time signature, bar lines, its key signature (C major / A minor unless the
song was written in another key), notes spelled in that key, ties across bar lines, a tempo mark,
and the clef that needs the fewest ledger lines: treble, bass, treble with an 8 below (a low
melody read an octave up, as tenors and guitarists do), or a grand staff (treble and bass joined
by a brace, the notes from middle C up on the treble staff) for a melody too wide for one staff.

A chorale (:mod:`musiclstm.music.voices`) is written on a grand staff: soprano and alto on the
treble staff, tenor and bass on the bass staff, two voices to a staff with the upper voice's stems
up and the lower one's down, as hymnals print them, and a fermata where each phrase ends.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import music21

from musiclstm.music.meter import bar_steps
from musiclstm.music.tokens import Event, tokens_to_events
from musiclstm.music.tonality import C_MAJOR_OR_A_MINOR, SongKey, song_key
from musiclstm.music.voices import VOICES, Chorale, parse_chorale
from musiclstm.settings import RenderSettings

C_MAJOR = SongKey(0, "major")

CLEFS = ("auto", "treble", "bass", "treble8vb", "grand")
MIDDLE_C = 60
# Staff positions count diatonic steps (C4 is 28, D4 29, ...); a staff's five lines run from its
# bottom line to its top line, eight positions higher. The treble clef's are E4 and F5, the
# bass clef's G2 and A3; the treble clef with an 8 below sounds an octave under the treble's.
STAFF_LINES = {"treble": (30, 38), "bass": (18, 26), "treble8vb": (23, 31)}
LETTER_OF_PITCH_CLASS = (0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5, 6)  # C C# D D# E F F# G G# A A# B
# What a staff costs beyond its ledger lines, per note: an 8 under the clef is one more thing to
# read, and a grand staff makes the eye jump between staves.
CLEF_COST_PER_NOTE = {"treble": 0.0, "bass": 0.0, "treble8vb": 0.5, "grand": 1.0}
SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "D-", "D", "E-", "E", "F", "G-", "G", "A-", "A", "B-", "B")
STAFF_CLEFS = {
    "treble": music21.clef.TrebleClef,
    "bass": music21.clef.BassClef,
    "treble8vb": music21.clef.Treble8vbClef,
}
# Semitones above the tonic -> (scale degree, alteration): the scale's own notes, then the usual
# chromatic ones (raised fourth, lowered seventh in major; raised sixth and seventh in minor).
MAJOR_DEGREES = {
    0: (1, 0), 1: (1, 1), 2: (2, 0), 3: (3, -1), 4: (3, 0), 5: (4, 0),
    6: (4, 1), 7: (5, 0), 8: (6, -1), 9: (6, 0), 10: (7, -1), 11: (7, 0),
}  # fmt: skip
MINOR_DEGREES = {
    0: (1, 0), 1: (2, -1), 2: (2, 0), 3: (3, 0), 4: (3, 1), 5: (4, 0),
    6: (4, 1), 7: (5, 0), 8: (6, 0), 9: (6, 1), 10: (7, 0), 11: (7, 1),
}  # fmt: skip
ACCIDENTALS = {-1: "-", 0: "", 1: "#"}
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


def staff_position(midi: int) -> int:
    """The pitch's diatonic position, a sharp on its natural's (C4 28, E4 30, C5 35)."""
    return (midi // 12 - 1) * 7 + LETTER_OF_PITCH_CLASS[midi % 12]


def ledger_lines(midi: int, staff: str) -> int:
    """How many ledger lines the pitch needs on the staff ``staff`` (see :data:`STAFF_LINES`)."""
    bottom, top = STAFF_LINES[staff]
    position = staff_position(midi)
    return max(0, (bottom - position) // 2, (position - top) // 2)


def clef_cost(pitches: list[int], clef: str) -> float:
    """The ledger lines of every note on ``clef`` (a grand staff: middle C and up on the treble
    staff, the rest on the bass staff), plus the clef's cost per note."""
    if clef == "grand":
        lines = sum(ledger_lines(p, "treble" if p >= MIDDLE_C else "bass") for p in pitches)
    else:
        lines = sum(ledger_lines(pitch, clef) for pitch in pitches)
    return lines + CLEF_COST_PER_NOTE[clef] * len(pitches)


def choose_clef(pitches: list[int]) -> str:
    """The clef (``treble``, ``bass``, ``treble8vb``) or grand staff that writes a melody with
    these MIDI pitches (one per note) with the fewest ledger lines; treble on a tie."""
    return min(CLEF_COST_PER_NOTE, key=lambda clef: clef_cost(pitches, clef))


def key_of(song_key: SongKey) -> music21.key.Key:
    """music21's key with the tonic spelled as the signature asks (F# major, Gb major: Gb)."""
    names = SHARP_NAMES if song_key.sharps >= 0 else FLAT_NAMES
    tonic = names[song_key.tonic]
    return music21.key.Key(tonic if song_key.mode == "major" else tonic.lower(), song_key.mode)


def spelled_pitch(midi: int, key: music21.key.Key) -> music21.pitch.Pitch:
    """The pitch named as the key spells it: scale notes by the scale; the others as altered scale
    degrees (in C major C#, Eb, F#, Ab, Bb; in A minor Bb, C#, D#, F#, G#)."""
    offset = (midi - key.tonic.pitchClass) % 12
    degrees = MAJOR_DEGREES if key.mode == "major" else MINOR_DEGREES
    degree, alteration = degrees[offset]
    scale_pitch = key.pitchFromDegree(degree)
    alter = int(scale_pitch.alter) + alteration
    if abs(alter) > 1:  # a double sharp or flat reads worse than the plain enharmonic note
        return music21.pitch.Pitch(midi).simplifyEnharmonic(mostCommon=True)
    pitch = music21.pitch.Pitch(scale_pitch.step + ACCIDENTALS[alter] + "4")
    pitch.octave += round((midi - pitch.ps) / 12)
    if round(pitch.ps) != midi:
        raise ValueError(f"could not spell MIDI pitch {midi} in {key}")
    return pitch


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


def melody_score(
    tokens: list[str],
    time_step: float = 0.25,
    time_signature: str = "4/4",
    song_key: SongKey = C_MAJOR,
    clef: str = "auto",
    title: str | None = None,
    tempo_bpm: float | None = None,
    pickup: int = 0,
) -> music21.stream.Score:
    """The melody as a music21 score, on one staff or on a grand staff (see :func:`choose_clef`);
    a melody that starts ``pickup`` steps into its bar (an anacrusis) is preceded by a rest that
    long, so that its bar lines fall where they belong."""
    if clef not in CLEFS:
        raise ValueError(f"clef {clef!r}: expected one of {', '.join(CLEFS)}")
    events = tokens_to_events(tokens)
    if not events:
        raise ValueError("the melody is empty: there is nothing to write as a score")
    events = padded_to_bar(([(None, pickup)] if pickup else []) + events, time_step, time_signature)
    pitches = [pitch for pitch, _ in events if pitch is not None]
    staves = choose_clef(pitches) if clef == "auto" else clef
    key = key_of(song_key)
    score = music21.stream.Score()
    score.metadata = music21.metadata.Metadata(title=title or "", composer="music LSTM")
    if staves == "grand":
        upper = staff_part(
            staff_events(events, lambda p: p >= MIDDLE_C),
            time_step,
            key,
            time_signature,
            music21.clef.TrebleClef(),
            music21.stream.PartStaff,
            tempo_bpm,
        )
        lower = staff_part(
            staff_events(events, lambda p: p < MIDDLE_C),
            time_step,
            key,
            time_signature,
            music21.clef.BassClef(),
            music21.stream.PartStaff,
        )
        add_grand_staff(score, upper, lower)
    else:
        staff_clef = STAFF_CLEFS[staves]()
        score.insert(
            0, staff_part(events, time_step, key, time_signature, staff_clef, tempo_bpm=tempo_bpm)
        )
    return score


def add_grand_staff(
    score: music21.stream.Score, upper: music21.stream.Part, lower: music21.stream.Part
) -> None:
    """Put two staves into the score, joined by a brace and bar lines drawn through both."""
    score.insert(0, upper)
    score.insert(0, lower)
    group = music21.layout.StaffGroup([upper, lower], symbol="brace", barTogether=True)
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


def note_name(midi: int, key: music21.key.Key) -> str:
    """The pitch's name in the key, with octave: ``Bb4``, ``F#3``."""
    return spelled_pitch(midi, key).nameWithOctave.replace("-", "b")


def write_score(
    tokens_path: Path,
    musicxml_path: Path,
    svg_path: Path,
    time_step: float,
    time_signature: str,
    song_key: SongKey,
    render: RenderSettings,
    title: str | None = None,
    tempo_bpm: float | None = None,
    pickup: int = 0,
) -> dict:
    """Read a song's tokens, write it as MusicXML and as an engraved SVG score with the clef
    ``render`` asks for, and return what a reader of the score wants to know (key, clef, bars,
    notes, range); the song starts ``pickup`` steps into its bar."""
    tokens = Path(tokens_path).read_text().split()
    clef = render.clef
    score = melody_score(
        tokens, time_step, time_signature, song_key, clef, title, tempo_bpm, pickup
    )
    xml = musicxml_text(score)
    Path(musicxml_path).write_text(xml)
    Path(svg_path).write_text(engrave_svg(xml))
    pitches = [pitch for pitch, _ in tokens_to_events(tokens) if pitch is not None]
    key = key_of(song_key)
    return {
        "key": key_name(key),
        "time_signature": time_signature,
        "tempo_bpm": tempo_bpm,
        "clef": choose_clef(pitches) if clef == "auto" else clef,
        "bars": len(score.parts[0].getElementsByClass(music21.stream.Measure)),
        **range_facts(pitches, key),
    }


def key_name(key: music21.key.Key) -> str:
    """``Bb major``: the key as the facts of a score name it."""
    return f"{key.tonic.name.replace('-', 'b')} {key.mode}"


def range_facts(pitches: list[int], key: music21.key.Key) -> dict:
    """How many notes, and the lowest and highest named in the key (None without notes)."""
    return {
        "notes": len(pitches),
        "lowest": note_name(min(pitches), key) if pitches else None,
        "highest": note_name(max(pitches), key) if pitches else None,
    }


def chorale_key(chorale: Chorale, allowed=C_MAJOR_OR_A_MINOR) -> SongKey:
    """The allowed key that fits the outer voices best: the soprano's tune and the bass's
    cadences settle the key, where the inner voices fill in the chords."""
    soprano, *_, bass = chorale.events()
    return song_key(soprano + bass, allowed)


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


def voice_measures(
    events: list[Event],
    fermata_frames: set[int],
    time_step: float,
    key: music21.key.Key,
    time_signature: str,
    stem: str,
) -> list[music21.stream.Measure]:
    """One voice cut into measures, ties across bar lines, stems ``up`` or ``down``, and a
    fermata on each note that sounds in one of ``fermata_frames`` (music21 moves it to the last
    of the tied notes a bar line splits it into)."""
    part = music21.stream.Part()
    part.insert(0, music21.meter.TimeSignature(time_signature))
    start = 0
    for element, (pitch, steps) in zip(staff_notes(events, time_step, key), events, strict=True):
        if pitch is not None:
            element.stemDirection = stem
            if fermata_frames & set(range(start, start + steps)):
                element.expressions.append(voice_fermata(stem))
        start += steps
        part.append(element)
    part.makeNotation(inPlace=True)
    return list(part.getElementsByClass(music21.stream.Measure))


def two_voice_staff(
    upper: list[music21.stream.Measure],
    lower: list[music21.stream.Measure],
    clef: music21.clef.Clef,
    key: music21.key.Key,
    time_signature: str,
    tempo_bpm: float | None = None,
) -> music21.stream.PartStaff:
    """A staff whose every measure holds two voices: the notes of ``upper`` as voice 1 and of
    ``lower`` as voice 2; clef, key, time signature and tempo open the first measure."""
    staff = music21.stream.PartStaff()
    for number, pair in enumerate(zip(upper, lower, strict=True), start=1):
        measure = music21.stream.Measure(number=number)
        if number == 1:
            opening = [clef, music21.key.Key(key.tonic.name, key.mode)]
            opening.append(music21.meter.TimeSignature(time_signature))
            if tempo_bpm is not None:
                opening.append(music21.tempo.MetronomeMark(number=tempo_bpm, referent=1.0))
            for element in opening:
                measure.insert(0, element)
        for voice_number, source in enumerate(pair, start=1):
            voice = music21.stream.Voice(id=str(voice_number))
            for element in source.notesAndRests:
                voice.insert(element.offset, element)
            measure.insert(0, voice)
        staff.append(measure)
    return staff


def chorale_score(
    chorale: Chorale,
    time_step: float = 0.25,
    time_signature: str = "4/4",
    song_key: SongKey = C_MAJOR,
    title: str | None = None,
    tempo_bpm: float | None = None,
) -> music21.stream.Score:
    """The chorale as a music21 score on a grand staff: soprano (stems up) and alto (down) on
    the treble staff, tenor (up) and bass (down) on the bass staff."""
    if not chorale.frames:
        raise ValueError("the chorale is empty: there is nothing to write as a score")
    key = key_of(song_key)
    ends = fermata_ends(chorale.fermatas)
    measures = [
        voice_measures(
            padded_to_bar(events, time_step, time_signature),
            ends,
            time_step,
            key,
            time_signature,
            "up" if voice % 2 == 0 else "down",
        )
        for voice, events in enumerate(chorale.events())
    ]
    soprano, alto, tenor, bass = measures
    score = music21.stream.Score()
    score.metadata = music21.metadata.Metadata(title=title or "", composer="music LSTM")
    upper = two_voice_staff(
        soprano, alto, music21.clef.TrebleClef(), key, time_signature, tempo_bpm
    )
    lower = two_voice_staff(tenor, bass, music21.clef.BassClef(), key, time_signature)
    add_grand_staff(score, upper, lower)
    return score


def write_chorale_score(
    tokens_path: Path,
    musicxml_path: Path,
    svg_path: Path,
    time_step: float,
    time_signature: str,
    song_key: SongKey,
    title: str | None = None,
    tempo_bpm: float | None = None,
) -> dict:
    """Read a chorale's token stream, write it as MusicXML and as an engraved SVG score on a
    grand staff, and return what a reader of the score wants to know: the facts of
    :func:`write_score`, the fermatas, and each voice's notes and range."""
    chorale = parse_chorale(Path(tokens_path).read_text().split())
    score = chorale_score(chorale, time_step, time_signature, song_key, title, tempo_bpm)
    xml = musicxml_text(score)
    Path(musicxml_path).write_text(xml)
    Path(svg_path).write_text(engrave_svg(xml))
    key = key_of(song_key)
    voice_pitches = [
        [pitch for pitch, _ in events if pitch is not None] for events in chorale.events()
    ]
    return {
        "key": key_name(key),
        "time_signature": time_signature,
        "tempo_bpm": tempo_bpm,
        "clef": "grand staff",
        "bars": len(score.parts[0].getElementsByClass(music21.stream.Measure)),
        **range_facts([pitch for pitches in voice_pitches for pitch in pitches], key),
        "fermatas": len(fermata_ends(chorale.fermatas)),
        "voices": {
            name: range_facts(pitches, key)
            for name, pitches in zip(VOICES, voice_pitches, strict=True)
        },
    }
