"""Clefs and spelling: which clef writes a part with the fewest ledger lines, and how each
MIDI pitch is named in a key (the scale's notes by the scale, the others as altered degrees)."""

from __future__ import annotations

import music21

from musiclstm.music.tonality import SongKey

C_MAJOR = SongKey(0, "major")

CLEFS = ("auto", "treble", "bass", "treble8vb", "grand")
PART_CLEFS = ("auto", "treble", "bass", "treble8vb", "alto")  # a part's own staff
MIDDLE_C = 60
# Staff positions count diatonic steps (C4 is 28, D4 29, ...); a staff's five lines run from its
# bottom line to its top line, eight positions higher. The treble clef's are E4 and F5, the
# bass clef's G2 and A3; the treble clef with an 8 below sounds an octave under the treble's.
STAFF_LINES = {"treble": (30, 38), "bass": (18, 26), "treble8vb": (23, 31), "alto": (24, 32)}
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
    "alto": music21.clef.AltoClef,  # the viola's
}
# Semitones above the tonic -> (scale degree, alteration): the scale's own notes, then the usual
# chromatic ones (raised fourth, lowered seventh in major; raised sixth and seventh in minor).
# The notes outside a major scale are spelled as the leading notes of the chords a piece most
# often moves to (V of ii, iii, V and vi: C#, D#, F#, G# in C major) and the flat seventh (V of
# IV: Bb): in 120 of Bach's chorales in music21's corpus, D# outnumbers Eb 19 to 7 and G#
# outnumbers Ab 132 to 5 in major keys.
MAJOR_DEGREES = {
    0: (1, 0), 1: (1, 1), 2: (2, 0), 3: (2, 1), 4: (3, 0), 5: (4, 0),
    6: (4, 1), 7: (5, 0), 8: (5, 1), 9: (6, 0), 10: (7, -1), 11: (7, 0),
}  # fmt: skip
MINOR_DEGREES = {
    0: (1, 0), 1: (2, -1), 2: (2, 0), 3: (3, 0), 4: (3, 1), 5: (4, 0),
    6: (4, 1), 7: (5, 0), 8: (6, 0), 9: (6, 1), 10: (7, 0), 11: (7, 1),
}  # fmt: skip
ACCIDENTALS = {-1: "-", 0: "", 1: "#"}


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
    degrees (in C major C#, D#, F#, G#, Bb; in A minor Bb, C#, D#, F#, G#)."""
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


def note_name(midi: int, key: music21.key.Key) -> str:
    """The pitch's name in the key, with octave: ``Bb4``, ``F#3``."""
    return spelled_pitch(midi, key).nameWithOctave.replace("-", "b")


def key_name(key: music21.key.Key) -> str:
    """``Bb major``: the key as the facts of a score name it."""
    return f"{key.tonic.name.replace('-', 'b')} {key.mode}"
