"""The voice-leading checks of pieces of N >= 2 voices (four-voice chorales, string quartets,
five-voice motets), to set generated pieces beside held-out ones.

Every check is counted over a set of pieces (stored in C major / A minor) and reported as a
plain number, pooled over all their frames, so two sets of any size compare:

- parallel fifths and octaves (unisons and compound intervals too) between any two voices, per
  100 frames, pooled and for each pair of voices: at consecutive chord changes (frames where some
  voice starts a note or a rest) both voices move the same way to a new pitch, from a perfect
  interval to the same one (mod 12);
- voice crossings: the share of frames where a voice sounds above the next higher one;
- notes outside each voice's range (the classic SATB ranges, or ranges measured with
  :func:`voice_ranges`);
- the share of frames, among those where all voices sound, whose pitch classes form a triad or a
  seventh chord (notes may be doubled; only a seventh chord may leave out its fifth);
- cadences: the chord at each fermata and the final chord, over the lowest voice, and whether
  the final chord has the tonic on top too (see :func:`cadence_counts`);
- spacing: the share of frames where two neighbouring voices above the lowest pair (a chorale's
  soprano and alto, or alto and tenor) lie over an octave apart.

Shares whose denominator is empty are ``None``; so is the spacing of two voices, which have no
upper pair. :func:`voice_leading_stats` adds each part's own figures
(:mod:`musiclstm.evaluation.part_figures`).
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np

from musiclstm.evaluation.chords import (
    cadence_counts,
    chord_counts,
)
from musiclstm.evaluation.part_figures import part_figures
from musiclstm.music.frames import Frames
from musiclstm.music.tokens import HOLD, REST

# (low, high) MIDI pitch per voice, soprano to bass: C4-G5, G3-D5, C3-G4, E2-C4.
SATB_RANGES = ((60, 79), (55, 74), (48, 67), (40, 60))

OCTAVE = 12
PERFECT = {"octaves": 0, "fifths": 7}  # interval classes of the parallels


def neighbours(voices: int) -> list[tuple[int, int]]:
    """Each voice and the one below it (a chorale's S-A, A-T, T-B)."""
    return [(voice, voice + 1) for voice in range(voices - 1)]


def upper_neighbours(voices: int) -> list[tuple[int, int]]:
    """The neighbours whose spacing is checked: all but the lowest pair (the bass may lie far
    below the tenor)."""
    return neighbours(voices)[:-1]


def pair_name(names: tuple[str, ...], upper: int, lower: int) -> str:
    """The name of a pair of voices, upper first: ``"Violin I-Viola"``."""
    return f"{names[upper]}-{names[lower]}"


def voice_pairs(names: tuple[str, ...]) -> list[str]:
    """Every pair of voices by name, upper first, in score order."""
    return [pair_name(names, upper, lower) for upper, lower in combinations(range(len(names)), 2)]


def sounding_pitches(chorale: Frames) -> np.ndarray:
    """Per frame, each voice's sounding MIDI pitch (holds resolved, ``None`` in a rest): an
    object array of shape (frames, voices), top voice first."""
    grid = np.full((chorale.frames, len(chorale.voices)), None, dtype=object)
    for voice, tokens in enumerate(chorale.voices):
        pitch = None  # a hold at the very start holds nothing
        for frame, token in enumerate(tokens):
            if token == REST:
                pitch = None
            elif token != HOLD:
                pitch = int(token)
            grid[frame, voice] = pitch
    return grid


def chord_changes(chorale: Frames) -> list[int]:
    """The frames where at least one voice starts a note or a rest."""
    return [
        frame
        for frame in range(chorale.frames)
        if any(tokens[frame] != HOLD for tokens in chorale.voices)
    ]


def parallel_kind(before: tuple, after: tuple) -> str | None:
    """``"fifths"`` or ``"octaves"`` if two voices, (upper, lower) pitches ``before`` and
    ``after`` a chord change, move in parallel perfect intervals; else ``None``."""
    if None in before or None in after:
        return None
    upper_motion = np.sign(after[0] - before[0])
    if upper_motion == 0 or upper_motion != np.sign(after[1] - before[1]):
        return None
    interval_before = abs(before[0] - before[1]) % OCTAVE
    interval_after = abs(after[0] - after[1]) % OCTAVE
    for kind, interval in PERFECT.items():
        if interval_before == interval_after == interval:
            return kind
    return None


def parallel_counts(pitches: np.ndarray, changes: list[int], names: tuple[str, ...]) -> Counter:
    """Parallel fifths and octaves between every pair of voices over consecutive chord changes:
    pooled by kind, and both kinds together per pair (``parallels_<upper>-<lower>``)."""
    counts = Counter({"parallel_fifths": 0, "parallel_octaves": 0})
    counts.update({f"parallels_{pair}": 0 for pair in voice_pairs(names)})
    for first, second in zip(changes, changes[1:], strict=False):
        for upper, lower in combinations(range(pitches.shape[1]), 2):
            kind = parallel_kind(
                (pitches[first, upper], pitches[first, lower]),
                (pitches[second, upper], pitches[second, lower]),
            )
            if kind:
                counts[f"parallel_{kind}"] += 1
                counts[f"parallels_{pair_name(names, upper, lower)}"] += 1
    return counts


def frames_where(pitches: np.ndarray, pairs: list[tuple[int, int]], apart) -> int:
    """How many frames have a pair of voices (upper, lower), both sounding, for which
    ``apart(upper pitch, lower pitch)`` holds."""
    return sum(
        any(
            row[upper] is not None and row[lower] is not None and apart(row[upper], row[lower])
            for upper, lower in pairs
        )
        for row in pitches
    )


def range_counts(chorale: Frames, ranges) -> Counter:
    """Notes (onsets of a pitch) per voice, and those outside the voice's (low, high) range."""
    counts = Counter()
    for name, tokens, (low, high) in zip(chorale.names, chorale.voices, ranges, strict=True):
        notes = [int(token) for token in tokens if token not in (HOLD, REST)]
        counts["notes"] += len(notes)
        counts[f"notes_{name}"] += len(notes)
        outside = sum(not low <= pitch <= high for pitch in notes)
        counts["notes_out_of_range"] += outside
        counts[f"out_of_range_{name}"] += outside
    return counts


def chorale_counts(chorale: Frames, ranges=SATB_RANGES) -> Counter:
    """Everything counted in one piece; :func:`chorale_checks` pools these over a set."""
    pitches = sounding_pitches(chorale)
    changes = chord_changes(chorale)
    counts = Counter({"chorales": 1, "frames": chorale.frames, "chord_changes": len(changes)})
    counts.update(parallel_counts(pitches, changes, chorale.names))
    voices = len(chorale.voices)
    counts["crossing_frames"] = frames_where(
        pitches, neighbours(voices), lambda high, low: high < low
    )
    counts["wide_spacing_frames"] = frames_where(
        pitches, upper_neighbours(voices), lambda high, low: high - low > OCTAVE
    )
    counts.update(range_counts(chorale, ranges))
    counts.update(chord_counts(pitches))
    counts.update(cadence_counts(chorale, pitches))
    return counts


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def per_100(count: int, frames: int) -> float | None:
    return 100 * count / frames if frames else None


def chorale_checks(chorales: list[Frames], ranges=None) -> dict:
    """The musical checks of a set of pieces, pooled over all their frames, as plain numbers;
    the parallels of each pair of voices as one dict, ``parallels_per_100_frames_by_pair``
    (pair name, see :func:`pair_name`, -> parallels per 100 frames).

    ``ranges`` is one (low, high) MIDI pitch per voice, top voice first; by default
    :data:`SATB_RANGES`.
    """
    ranges = SATB_RANGES if ranges is None else tuple(ranges)
    names = chorales[0].names if chorales else ()
    if chorales and len(ranges) != len(names):
        raise ValueError(
            f"ranges has {len(ranges)} (low, high) pairs, one per voice: {len(names)} expected"
        )
    total = Counter()
    for chorale in chorales:
        total.update(chorale_counts(chorale, ranges))
    return (
        {"chorales": len(chorales)}
        | voice_leading_figures(total, names)
        | chord_and_cadence_figures(total, names, len(chorales))
    )


def voice_leading_figures(total: Counter, names: tuple[str, ...]) -> dict:
    """The pooled counts, parallels, crossings and notes out of range (:func:`chorale_checks`)."""
    frames = total["frames"]
    fifths, octaves = total["parallel_fifths"], total["parallel_octaves"]
    figures = {
        "frames": frames,
        "full_frames": total["full_frames"],
        "chord_changes": total["chord_changes"],
        "notes": total["notes"],
        "parallel_fifths": fifths,
        "parallel_octaves": octaves,
        "parallel_fifths_per_100_frames": per_100(fifths, frames),
        "parallel_octaves_per_100_frames": per_100(octaves, frames),
        "parallels_per_100_frames": per_100(fifths + octaves, frames),
        "parallels_per_100_frames_by_pair": {
            pair: per_100(total[f"parallels_{pair}"], frames) for pair in voice_pairs(names)
        },
        "crossing_share": share(total["crossing_frames"], frames),
        "out_of_range_share": share(total["notes_out_of_range"], total["notes"]),
    }
    for name in names:
        figures[f"out_of_range_share_{name}"] = share(
            total[f"out_of_range_{name}"], total[f"notes_{name}"]
        )
    return figures


def chord_and_cadence_figures(total: Counter, names: tuple[str, ...], chorales: int) -> dict:
    """The chords, cadences and spacing of :func:`chorale_checks`."""
    full, fermatas = total["full_frames"], total["fermatas"]
    return {
        "triad_share": share(total["triad_frames"], full),
        "seventh_share": share(total["seventh_frames"], full),
        "chord_share": share(total["triad_frames"] + total["seventh_frames"], full),
        "fermatas": fermatas,
        "fermatas_per_chorale": share(fermatas, chorales),
        "fermata_root_triad_share": share(total["fermata_root_triads"], fermatas),
        "fermata_tonic_dominant_share": share(total["fermata_tonic_dominant"], fermatas),
        "final_tonic_triad_share": share(total["final_tonic_triad"], chorales),
        "final_tonic_on_top_share": share(total["final_tonic_on_top"], chorales),
        "wide_spacing_share": (
            share(total["wide_spacing_frames"], total["frames"])
            if upper_neighbours(len(names))
            else None
        ),
    }


def voice_ranges(chorales: list[Frames], percentiles=(1, 99)) -> tuple[tuple[int, int], ...]:
    """Each voice's (low, high) MIDI pitch in a set of pieces: the given percentiles of its
    notes (one per onset, so long notes weigh no more than short ones), rounded outwards to whole
    pitches. ``percentiles=(0, 100)`` gives the lowest and highest notes."""
    ranges = []
    for voice, name in enumerate(chorales[0].names if chorales else ()):
        notes = [
            int(token)
            for chorale in chorales
            for token in chorale.voices[voice]
            if token not in (HOLD, REST)
        ]
        if not notes:
            raise ValueError(f"the {name} has no notes in {len(chorales)} pieces: no range")
        low, high = np.percentile(notes, percentiles)
        ranges.append((int(np.floor(low)), int(np.ceil(high))))
    return tuple(ranges)


def keys_in_order(first: dict, second: dict) -> list:
    """The keys of ``first`` in its order, then those only ``second`` has."""
    return list(first) + [key for key in second if key not in first]


def compare_checks(generated: dict, held_out: dict) -> list[tuple[str, object, object]]:
    """Rows ``(check, generated, held-out)`` for a side-by-side table, in the order of the
    generated checks, then any only the held-out ones have (missing values are ``None``).
    Checks that are dicts (figures by pair of voices) are left to tables of their own."""
    names = keys_in_order(generated, held_out)
    rows = [(name, generated.get(name), held_out.get(name)) for name in names]
    return [row for row in rows if not any(isinstance(value, dict) for value in row[1:])]


def voice_leading_stats(generated: list[Frames], held_out: list[Frames], training) -> dict:
    """The checks of generated and held-out pieces side by side, each voice's range measured on
    the ``training`` pieces, and each part's own figures (rests, note lengths) in both sets."""
    ranges = voice_ranges(training)
    ours = chorale_checks(generated, ranges)
    theirs = chorale_checks(held_out, ranges)
    names = training[0].names if training else ()
    return {
        "ranges": {voice: list(bounds) for voice, bounds in zip(names, ranges, strict=True)},
        "generated": ours,
        "held_out": theirs,
        "table": [list(row) for row in compare_checks(ours, theirs)],
        "part_figures": {"generated": part_figures(generated), "held_out": part_figures(held_out)},
    }
