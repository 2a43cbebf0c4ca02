"""Chords of a piece of several voices: which frames sound a triad or a seventh chord, the
piece's tonic, and the chords at its fermatas and at its end (its cadences)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from musiclstm.music.frames import Frames

TRIADS = {"major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6), "augmented": (0, 4, 8)}
SEVENTHS = {
    "dominant": (0, 4, 7, 10),
    "minor": (0, 3, 7, 10),
    "major": (0, 4, 7, 11),
    "half-diminished": (0, 3, 6, 10),
    "diminished": (0, 3, 6, 9),
}
# Four voices often sound a seventh chord as root, third and seventh, one of them doubled. A
# diminished seventh without its fifth would be a diminished triad, so it must be whole.
SEVENTHS_WITHOUT_FIFTH = [
    shape[:2] + shape[3:] for name, shape in SEVENTHS.items() if name != "diminished"
]
# A cadence chord is major or minor; its fifth may be left out, as Bach's final chords often do.
CADENCE_TRIADS = ((0, 4, 7), (0, 3, 7), (0, 4), (0, 3))

C_TONIC, A_TONIC = 0, 9  # the tonics of the stored keys, C major and A minor
DOMINANT = 7  # semitones from a tonic up to its dominant
OCTAVE = 12


def chords_of(shapes) -> dict[frozenset[int], int]:
    """Every transposition of the chord ``shapes`` (intervals above a root): pitch classes ->
    root. Symmetric chords (augmented, diminished seventh) keep one of their roots."""
    return {
        frozenset((root + step) % OCTAVE for step in shape): root
        for shape in shapes
        for root in range(OCTAVE)
    }


TRIAD_SETS = chords_of(TRIADS.values())
SEVENTH_SETS = chords_of([*SEVENTHS.values(), *SEVENTHS_WITHOUT_FIFTH])
CADENCE_SETS = chords_of(CADENCE_TRIADS)


def pitch_classes(row) -> frozenset[int] | None:
    """The pitch classes of a frame, or ``None`` unless every voice sounds."""
    if any(pitch is None for pitch in row):
        return None
    return frozenset(pitch % OCTAVE for pitch in row)


def chord_counts(pitches: np.ndarray) -> Counter:
    """Frames where every voice sounds, and those that form a triad or a seventh chord."""
    counts = Counter({"full_frames": 0, "triad_frames": 0, "seventh_frames": 0})
    for row in pitches:
        classes = pitch_classes(row)
        if classes is None:
            continue
        counts["full_frames"] += 1
        counts["triad_frames"] += classes in TRIAD_SETS
        counts["seventh_frames"] += classes in SEVENTH_SETS
    return counts


def chorale_tonic(pitches: np.ndarray) -> int:
    """The chorale's tonic pitch class, C (major) or A (minor).

    The last bass note decides where it is C or A; otherwise (a chorale ending on its dominant,
    or a generated one ending anywhere) the one of C and A that the bass sounds on longer.
    """
    bass = [pitch % OCTAVE for pitch in pitches[:, -1] if pitch is not None]
    if bass and bass[-1] in (C_TONIC, A_TONIC):
        return bass[-1]
    return A_TONIC if bass.count(A_TONIC) > bass.count(C_TONIC) else C_TONIC


def root_position_root(row) -> int | None:
    """The root of a frame's chord if it is a major or minor triad (its fifth may be left out)
    with the root in the bass; else ``None``."""
    classes = pitch_classes(row)
    root = CADENCE_SETS.get(classes) if classes else None
    return root if root is not None and row[-1] % OCTAVE == root else None


def fermata_starts(fermatas: list[bool]) -> list[int]:
    """The first frame of each run of frames under a fermata: one per phrase end."""
    return [
        frame
        for frame, fermata in enumerate(fermatas)
        if fermata and (frame == 0 or not fermatas[frame - 1])
    ]


def cadence_counts(chorale: Frames, pitches: np.ndarray) -> Counter:
    """The chords at the fermatas (at the first frame of each run under one) and the final chord.

    A fermata counts as ``fermata_root_triads`` if its chord is a root-position major or minor
    triad, and as ``fermata_tonic_dominant`` if that triad's root is also the tonic or the
    dominant (G or E). ``final_tonic_triad`` is 1 if the last frame where the bass sounds holds
    a root-position triad on the tonic (a major chord in A minor, a Picardy third, counts), and
    ``final_tonic_on_top`` if its top voice sounds the tonic as well (a perfect authentic
    cadence).
    """
    tonic = chorale_tonic(pitches)
    homes = {tonic, (tonic + DOMINANT) % OCTAVE}
    counts = Counter({"fermatas": 0, "fermata_root_triads": 0, "fermata_tonic_dominant": 0})
    for frame in fermata_starts(chorale.fermatas):
        root = root_position_root(pitches[frame])
        counts["fermatas"] += 1
        counts["fermata_root_triads"] += root is not None
        counts["fermata_tonic_dominant"] += root in homes
    bass_frames = [frame for frame, pitch in enumerate(pitches[:, -1]) if pitch is not None]
    last = pitches[bass_frames[-1]] if bass_frames else None
    final = root_position_root(last) if last is not None else None
    counts["final_tonic_triad"] = int(final == tonic)
    on_top = final == tonic and last[0] is not None and last[0] % OCTAVE == tonic
    counts["final_tonic_on_top"] = int(on_top)
    return counts
