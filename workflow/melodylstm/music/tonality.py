"""The key of a melody on the token grid: its tonic and mode, its scale, and its key signature.

Songs are transposed to C major or A minor before encoding (both have no sharps or flats), and a
generated song may be moved to another tonic with the mode kept. So the question is rarely "which
of 24 keys?" but "which of these few?": :func:`song_key` ranks all keys with music21's
Krumhansl-Schmuckler analysis and returns the best of the allowed ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from melodylstm.music.tokens import Event

C_MAJOR_OR_A_MINOR = ((0, "major"), (9, "minor"))
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
TONIC_PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Sharps (positive) or flats (negative) of each major key's signature, by tonic pitch class; a
# minor key has the signature of the major key three semitones above it. F# / Gb is written Gb.
MAJOR_SHARPS = {0: 0, 7: 1, 2: 2, 9: 3, 4: 4, 11: 5, 6: -6, 1: -5, 8: -4, 3: -3, 10: -2, 5: -1}


@dataclass(frozen=True)
class SongKey:
    """A key as a tonic pitch class (0 = C) and a mode, ``major`` or ``minor``."""

    tonic: int
    mode: str

    @property
    def scale(self) -> frozenset[int]:
        """Pitch classes of the major or natural minor scale."""
        steps = MAJOR_SCALE if self.mode == "major" else NATURAL_MINOR_SCALE
        return frozenset((self.tonic + step) % 12 for step in steps)

    @property
    def sharps(self) -> int:
        """Sharps (positive) or flats (negative) of the key signature."""
        relative_major = self.tonic if self.mode == "major" else (self.tonic + 3) % 12
        return MAJOR_SHARPS[relative_major]

    @property
    def shift_to_c(self) -> int:
        """Semitones (-6 to +5) that move this key to C major, or A minor for a minor key."""
        target = 0 if self.mode == "major" else 9
        shift = (target - self.tonic) % 12
        return shift - 12 if shift > 5 else shift


def tonic_pitch_class(name: str) -> int:
    """Pitch class of a tonic written like ``D``, ``F#``, ``Bb`` or ``e`` (case is ignored)."""
    letter, accidental = name[:1].upper(), name[1:]
    if letter not in TONIC_PITCH_CLASSES or accidental not in ("", "#", "b"):
        raise ValueError(f"key {name!r}: expected a tonic like C, F#, Bb (a letter A-G, # or b)")
    return (TONIC_PITCH_CLASSES[letter] + {"": 0, "#": 1, "b": -1}[accidental]) % 12


def allowed_keys(tonic: str | None) -> tuple[tuple[int, str], ...]:
    """The keys a song may be in: C major / A minor, or the major and minor key of ``tonic``."""
    if tonic is None:
        return C_MAJOR_OR_A_MINOR
    pitch_class = tonic_pitch_class(tonic)
    return ((pitch_class, "major"), (pitch_class, "minor"))


def song_key(events: list[Event], allowed=C_MAJOR_OR_A_MINOR) -> SongKey:
    """The allowed key that music21's key analysis ranks highest for these notes.

    ``allowed`` is a sequence of ``(tonic pitch class, mode)``; ``None`` allows all 24 keys. A song
    without notes gets the first allowed key.
    """
    import music21

    stream = music21.stream.Stream()
    for pitch, steps in events:
        if pitch is not None:
            stream.append(music21.note.Note(pitch, quarterLength=steps))
    if not stream.notes:
        tonic, mode = allowed[0] if allowed else (0, "major")
        return SongKey(tonic, mode)
    analysed = stream.analyze("key")
    for candidate in [analysed, *analysed.alternateInterpretations]:
        if allowed is None or (candidate.tonic.pitchClass, candidate.mode) in allowed:
            return SongKey(candidate.tonic.pitchClass, candidate.mode)
    raise ValueError(f"no key among {allowed} fits; the allowed keys must be major or minor")
