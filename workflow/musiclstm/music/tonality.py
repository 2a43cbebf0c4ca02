"""The key of a melody: detecting it, naming tonics, and the shifts between keys.

Songs are transposed to C major or A minor before encoding (both have no sharps or flats), and a
generated song may be moved to another tonic with the mode kept. Every shift here follows one
convention, the nearer way round, -6 to +5 semitones (a tritone goes down): :func:`nearest_shift`.

Keys are found with music21's key analysis, which ranks all 24 keys by how well the notes' pitch
classes, weighted by duration, fit each key's profile. A score's written key or key signature
settles which of those keys it can be (:func:`detect_key`); a melody known only as tokens or grid
events gets the best of the keys allowed to it (:func:`song_key`), where the question is rarely
"which of 24 keys?" but "which of these few?".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from musiclstm.music.tokens import Event, tokens_to_events

if TYPE_CHECKING:  # music21 is imported where it is used: it takes a second to load
    import music21

C_MAJOR_OR_A_MINOR = ((0, "major"), (9, "minor"))
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
TONIC_PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Each pitch class by its commonest name, for plots and tables (a score spells by its key).
PITCH_CLASS_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
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
        return nearest_shift(self.tonic, 0 if self.mode == "major" else 9)

    @classmethod
    def of(cls, key: music21.key.Key) -> SongKey:
        """A music21 key as tonic pitch class and mode."""
        return cls(key.tonic.pitchClass, key.mode)


def nearest_shift(start: int, target: int) -> int:
    """Semitones (-6 to +5) from pitch class ``start`` to ``target`` the nearer way round.

    The one convention of every shift between keys: a tritone (6 either way) goes down, so an F#
    major song moves down to C major, and C major up to F# is -6 as well.
    """
    shift = (target - start) % 12
    return shift - 12 if shift > 5 else shift


def tonic_name(key: str) -> str:
    """The tonic of a key as music21 names it (``E- major``, ``f# minor``) as `generate:` writes
    one (``Eb``, ``F#``)."""
    tonic = key.split()[0]
    return tonic[0].upper() + tonic[1:].replace("-", "b")


def parse_key(name: str) -> SongKey:
    """A key as music21 names it (``F major``, ``c# minor``, ``B- major``)."""
    return SongKey(tonic_pitch_class(tonic_name(name)), name.split()[1])


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


def key_shift(key: str, tonic: int) -> int:
    """Semitones (-6 to +5) from a song's tonic pitch class to the tonic named ``key`` ('F#')."""
    return nearest_shift(tonic, tonic_pitch_class(key))


def pitch_class_summary(
    events: list[Event], key_signature: tuple[int, bool] | None = None
) -> music21.stream.Part:
    """A part of one note per pitch class, as long as all its notes together, after the key
    signature ``(sharps, minor)`` if given.

    The key analysis weighs each pitch class by its duration and nothing else, so the summary gets
    the same answer as the whole melody, at any length, from 12 notes at most.
    """
    import music21

    weights = [0] * 12
    for pitch, steps in events:
        if pitch is not None:
            weights[pitch % 12] += steps
    summary = music21.stream.Part()
    if key_signature is not None:
        summary.append(music21.key.KeySignature(key_signature[0]))
    for pitch_class, steps in enumerate(weights):
        if steps:
            summary.append(music21.note.Note(60 + pitch_class, quarterLength=steps))
    return summary


def ranked_keys(stream: music21.stream.Stream) -> list[music21.key.Key]:
    """All 24 keys, the best fit for the stream's notes first (by correlation, highest first)."""
    analysed = stream.analyze("key")
    return [analysed, *analysed.alternateInterpretations]


def song_key(events: list[Event], allowed=C_MAJOR_OR_A_MINOR) -> SongKey:
    """The allowed key that music21's key analysis ranks highest for these notes.

    ``allowed`` is a sequence of ``(tonic pitch class, mode)``; ``None`` allows all 24 keys. A song
    without notes gets the first allowed key.
    """
    summary = pitch_class_summary(events)
    if not summary.notes:
        tonic, mode = allowed[0] if allowed else (0, "major")
        return SongKey(tonic, mode)
    for candidate in ranked_keys(summary):
        if allowed is None or (candidate.tonic.pitchClass, candidate.mode) in allowed:
            return SongKey.of(candidate)
    raise ValueError(f"no key among {allowed} fits; the allowed keys must be major or minor")


def song_tonic(tokens: list[str]) -> int:
    """Pitch class of a song's tonic: C (0) or A (9), whichever key its notes fit better."""
    return song_key(tokens_to_events(tokens)).tonic


def detect_key(part: music21.stream.Stream) -> music21.key.Key:
    """A score's key: the written key or key signature, with the mode settled by analysis.

    Many files (the Essen ABC files among them) write only a tonic or a signature, not the mode, and
    a ``K:G`` tune is often in G minor. So the written key fixes the tonic (or, for a bare key
    signature, the pair of relative keys), and the best-ranked key that agrees with it wins.
    Without anything written the analysis alone decides. The music21 key is returned, not a
    :class:`SongKey`: its name, spelled as music21 spells it, is the ``key`` of the song table.
    """
    import music21

    candidates = ranked_keys(part)
    written = next(iter(part.recurse().getElementsByClass(music21.key.KeySignature)), None)
    if isinstance(written, music21.key.Key):
        agrees = [k for k in candidates if k.tonic.pitchClass == written.tonic.pitchClass]
    elif written is not None:
        agrees = [k for k in candidates if k.sharps == written.sharps]
    else:
        agrees = []
    return max(agrees or candidates[:1], key=lambda k: k.correlationCoefficient)


def key_of_events(events: list[Event], key_signature: tuple[int, bool] | None) -> music21.key.Key:
    """:func:`detect_key` for a melody known only as grid events (a MIDI melody), with the key
    signature ``(sharps, minor)`` of the file, if any."""
    return detect_key(pitch_class_summary(events, key_signature))
