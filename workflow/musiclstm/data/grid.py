"""Laying a melody on the time grid: its notes as spans, then as ``(pitch, steps)`` events.

Both formats end here the same way: a music21 part (:func:`stream_lengths_and_spans`) and a MIDI
part (:func:`midi_spans`) become :class:`NoteSpan` lists in exact quarter notes, and one function,
:func:`lay_on_grid`, applies the encoding's chord, triplet and duration policies to them, so every
format is encoded by the same rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cache

import music21

from musiclstm.data.melody_part import is_pitched
from musiclstm.data.rejects import (
    CHORD,
    GRACE_NOTE,
    NO_NOTES,
    OFF_GRID,
    TRIPLET,
    UNACCEPTABLE_DURATION,
    Rejected,
)
from musiclstm.music.midi_file import MidiFile, MidiPart
from musiclstm.music.midi_reader import part_notes
from musiclstm.music.tokens import Event, notes_to_events
from musiclstm.settings import EncodingSettings


@dataclass(frozen=True, slots=True)
class NoteSpan:
    """A note (or chord) of the melody before it is laid on the grid, in quarter notes."""

    start: Fraction
    end: Fraction
    pitches: tuple[int, ...]  # MIDI pitches; more than one for a chord
    triplet: bool  # written as a triplet (a tuplet of 3)
    what: str = ""  # how a reject detail names it; "" to name it by pitch and time
    part: str = ""  # the part it belongs to, for a note named by pitch and time

    def describe(self) -> str:
        """The note as a reject detail names it."""
        if self.what:
            return self.what
        name = music21.pitch.Pitch(midi=self.pitches[0]).nameWithOctave
        length = float(self.end - self.start)
        return f"{name} of {self.part} at quarter {float(self.start):g} lasting {length:g}"


@dataclass(frozen=True, slots=True)
class WrittenLength:
    """The written length of a note or rest, as ``duration_policy: skip`` checks it."""

    length: Fraction
    triplet: bool
    what: str

    def describe(self) -> str:
        return self.what


# A length to check: (length, is it a triplet, what a reject detail names).
Checked = tuple[Fraction, bool, WrittenLength | NoteSpan]


def exact(value) -> Fraction:
    """A music21 offset or length (float or Fraction) as an exact fraction."""
    return Fraction(value).limit_denominator(10_000)


def is_triplet(element: music21.note.GeneralNote) -> bool:
    return any(tuplet.numberNotesActual == 3 for tuplet in element.duration.tuplets)


def stream_lengths_and_spans(
    part: music21.stream.Stream,
) -> tuple[list[WrittenLength], list[NoteSpan]]:
    """The written lengths of a part's notes and rests, and its notes with ties joined.

    Grace notes take no time and chord symbols are not melody: both are left out.
    """
    flat = part.flatten()
    lengths = []
    for element in flat.notesAndRests:
        length = exact(element.quarterLength)
        if length and not isinstance(element, music21.harmony.Harmony):
            what = (
                f"{element.fullName} lasts {float(length):g} quarter lengths "
                f"at offset {float(element.offset):g}"
            )
            lengths.append(WrittenLength(length, is_triplet(element), what))
    spans = []
    for element in flat.stripTies().notes:
        length = exact(element.quarterLength)
        if not length or not is_pitched(element):
            continue
        start = exact(element.offset)
        what = f"{element.fullName} at offset {float(element.offset):g} lasting {float(length):g}"
        pitches = tuple(pitch.midi for pitch in element.pitches)
        spans.append(NoteSpan(start, start + length, pitches, is_triplet(element), what))
    return lengths, spans


def midi_spans(midi: MidiFile, part: MidiPart) -> list[NoteSpan]:
    """A MIDI part's notes in quarter notes; zero-length notes (like grace notes) are left out."""
    name = part.describe()  # one string for every note: details are made only for a reject
    ticks = midi.ticks_per_quarter
    return [
        NoteSpan(Fraction(start, ticks), Fraction(end, ticks), (pitch,), False, part=name)
        for start, end, pitch in part_notes(midi, part)
        if end > start
    ]


def lay_on_grid(
    lengths: list[WrittenLength] | None,
    spans: list[NoteSpan],
    encoding: EncodingSettings,
    lowest: bool = False,
) -> list[Event]:
    """Lay a melody on a grid of ``encoding.time_step`` quarter lengths as ``(pitch, steps)``.

    Notes that start together form a chord: ``chords: top_note`` keeps the highest,
    ``outer_note`` the lowest in the ``lowest`` part of an ensemble and the highest elsewhere,
    ``reject`` rejects the song. Where notes overlap, the later onset cuts the earlier note
    short. ``lengths`` are the written lengths of notes and rests that ``skip`` checks; None (a
    MIDI melody, which has no written lengths) checks the lengths the notes sound for, overlaps
    cut.

    First every onset and end within ``timing_tolerance`` steps of a step line or a triplet line
    moves onto it (see :func:`snap_span`), so a note a MIDI converter starts a tick late or
    ends a tick early fits the grid, and a triplet fits its thirds at any ticks per quarter.

    ``triplets: reject`` rejects a song with a triplet: a note written as one, or one that starts
    and ends on the triplet grid (two thirds of a step) but not both on the grid; ``quantize``
    snaps triplet notes to the grid whatever the duration policy. ``duration_policy: skip`` rejects
    a song with any other note or rest whose length is not in ``acceptable_durations`` or that
    starts or ends off the grid; ``quantize`` snaps onsets and ends to the nearest step (a note
    never shrinks below one step).
    """
    grid = exact(encoding.time_step)
    tolerance = exact(encoding.timing_tolerance) * grid
    snapped = [snap_span(span, grid, tolerance) for span in spans]
    melody = top_notes(snapped, encoding.chords, lowest)
    if lengths is None:  # what sounds: each note ends where the next one starts, at the latest
        melody = [
            span if span.end <= following.start else replace(span, end=following.start)
            for span, following in zip(melody, melody[1:], strict=False)
        ] + melody[-1:]
    timed = [(span, triplet_timed(span, grid)) for span in melody]
    if lengths is not None:
        checked: list[Checked] = [(w.length, w.triplet, w) for w in lengths]
    else:  # a MIDI melody has no written lengths: those of its notes as they sound
        checked = [(span.end - span.start, is_triplet, span) for span, is_triplet in timed]
    check_triplets(checked, timed, encoding.triplets)
    check_durations(checked, encoding)
    notes = grid_notes(timed, grid, encoding.duration_policy)
    if not notes:
        raise Rejected(NO_NOTES, "the melody has no notes with a duration")
    return notes_to_events(notes)


def snap_time(time: Fraction, grid: Fraction, tolerance: Fraction) -> Fraction:
    """``time`` on the nearest step line, or else triplet line (every two thirds of a step), if
    one is within ``tolerance`` quarter notes; else ``time`` as it is.

    A step line and a triplet line can be a third of a step apart; the schema keeps the tolerance
    under a sixth of a step, so that no time is near both.
    """
    if (time / grid).denominator == 1:  # most times of most files: one division, not six
        return time
    for line in (grid, grid * 2 / 3):
        nearest = round(time / line) * line
        if abs(time - nearest) <= tolerance:
            return nearest
    return time


def snap_span(span: NoteSpan, grid: Fraction, tolerance: Fraction) -> NoteSpan:
    """The span with its onset and end snapped (:func:`snap_time`); a note so short that both
    would snap to one line stays as it is, so that it is still checked and encoded as a note."""
    start, end = snap_time(span.start, grid, tolerance), snap_time(span.end, grid, tolerance)
    if end <= start or (start, end) == (span.start, span.end):
        return span
    return replace(span, start=start, end=end)


def between_steps(time: Fraction, grid: Fraction) -> bool:
    return (time / grid).denominator != 1


def triplet_timed(span: NoteSpan, grid: Fraction) -> bool:
    """A note written as a triplet, or one that starts and ends on the triplet grid (two thirds of
    a step), one of the two between steps: what a triplet exported to MIDI looks like."""
    triplet_grid = grid * 2 / 3  # a sixteenth-note grid has triplet sixteenths on it
    times = (span.start, span.end)
    return span.triplet or (
        all((time / triplet_grid).denominator == 1 for time in times)
        and any(between_steps(time, grid) for time in times)
    )


def check_triplets(
    checked: list[Checked], timed: list[tuple[NoteSpan, bool]], triplets: str
) -> None:
    """With ``triplets: reject``, reject a melody with a triplet length or triplet-timed note."""
    if triplets == "reject":
        found = [item for _, is_triplet, item in checked if is_triplet][:1]
        found += [span for span, is_triplet in timed if is_triplet][:1]
        if found:
            raise Rejected(
                TRIPLET,
                f"{found[0].describe()} is a triplet (set encoding.triplets to quantize to keep "
                "the song)",
            )
    elif triplets != "quantize":
        raise ValueError(f"triplets must be 'reject' or 'quantize', not {triplets!r}")


def check_durations(checked: list[Checked], encoding: EncodingSettings) -> None:
    """With ``duration_policy: skip``, reject a length outside ``acceptable_durations`` (triplets
    are left to :func:`check_triplets`).

    A MIDI note (a :class:`NoteSpan`: MIDI has no ties, so a note tied over a bar line is one long
    note) is acceptable if a score could write it as tied notes of acceptable lengths: a sum of
    them (:func:`tied_length`)."""
    policy = encoding.duration_policy
    if policy == "skip":
        acceptable = tuple(sorted({exact(duration) for duration in encoding.acceptable_durations}))
        for length, is_triplet, item in checked:
            if length in acceptable or is_triplet:
                continue
            if isinstance(item, NoteSpan) and tied_length(length, acceptable):
                continue
            raise Rejected(UNACCEPTABLE_DURATION, item.describe())
    elif policy != "quantize":
        raise ValueError(f"duration_policy must be 'skip' or 'quantize', not {policy!r}")


@cache
def tied_length(length: Fraction, acceptable: tuple[Fraction, ...]) -> bool:
    """Whether ``length`` is a sum of ``acceptable`` lengths (each any number of times): the
    written notes a tie could join into it."""
    unit = Fraction(
        math.gcd(*(a.numerator for a in acceptable)), math.lcm(*(a.denominator for a in acceptable))
    )
    if (length / unit).denominator != 1:
        return False
    steps = [int(a / unit) for a in acceptable]
    reachable = [True] + [False] * int(length / unit)
    for total in range(1, len(reachable)):
        reachable[total] = any(step <= total and reachable[total - step] for step in steps)
    return reachable[-1]


def grid_notes(
    timed: list[tuple[NoteSpan, bool]], grid: Fraction, policy: str
) -> list[tuple[int, int, int]]:
    """``(first step, end step, pitch)`` of each note, snapped to the nearest steps; with ``skip``
    a note (not a triplet) that starts or ends between steps rejects the melody."""
    notes = []
    for span, snapped in timed:
        off_grid = between_steps(span.start, grid) or between_steps(span.end, grid)
        if policy == "skip" and off_grid and not snapped:
            raise Rejected(OFF_GRID, f"{span.describe()} does not fit a grid of {float(grid):g}")
        first, last = round(span.start / grid), round(span.end / grid)
        notes.append((first, max(last, first + 1), span.pitches[0]))
    return notes


def top_notes(spans: list[NoteSpan], chords: str, lowest: bool = False) -> list[NoteSpan]:
    """One note per onset, in time order: the top note of each chord (notes that start together),
    or with ``chords: outer_note`` in the ``lowest`` part the bottom one.

    With ``chords: reject`` a chord raises :class:`Rejected` instead.
    """
    if chords not in ("top_note", "outer_note", "reject"):
        raise ValueError(f"chords must be 'top_note', 'outer_note' or 'reject', not {chords!r}")
    bass = chords == "outer_note" and lowest
    by_start: dict[Fraction, list[NoteSpan]] = {}
    for span in spans:
        by_start.setdefault(span.start, []).append(span)
    melody = []
    for start in sorted(by_start):
        group = by_start[start]
        pitches = {pitch for span in group for pitch in span.pitches}
        if len(pitches) > 1 and chords == "reject":
            names = " ".join(music21.pitch.Pitch(midi=p).nameWithOctave for p in sorted(pitches))
            raise Rejected(
                CHORD,
                f"{len(pitches)} notes ({names}) start together at offset {float(start):g} "
                "(set encoding.chords to top_note to keep the highest)",
            )
        melody.append(kept_note(group, bass))
    return melody


def kept_note(group: list[NoteSpan], bass: bool) -> NoteSpan:
    """The highest note of notes that start together (the longest of those that share it), or
    with ``bass`` the lowest, as a note of one pitch."""
    outer = min if bass else max
    chosen = max(
        group, key=lambda span: (-min(span.pitches) if bass else max(span.pitches), span.end)
    )
    pitch = outer(chosen.pitches)
    return chosen if len(chosen.pitches) == 1 else replace(chosen, pitches=(pitch,))


def grid_events(
    part: music21.stream.Stream, encoding: EncodingSettings, lowest: bool = False
) -> list[Event]:
    """Lay a music21 part on the grid (see :func:`lay_on_grid`), its grace notes as
    ``encoding.grace_notes`` says."""
    check_grace_notes(part, encoding.grace_notes)
    lengths, spans = stream_lengths_and_spans(part)
    return lay_on_grid(lengths, spans, encoding, lowest)


def check_grace_notes(part: music21.stream.Stream, policy: str) -> None:
    """With ``grace_notes: reject``, reject a part with a grace note; ``drop`` leaves them to
    :func:`stream_lengths_and_spans`, which takes no note without a length."""
    if policy == "reject":
        for note in part.recurse().notes:
            if note.duration.isGrace:
                raise Rejected(
                    GRACE_NOTE,
                    f"{note.fullName} in measure {note.measureNumber} is a grace note (set "
                    "encoding.grace_notes to drop to leave grace notes out)",
                )
    elif policy != "drop":
        raise ValueError(f"grace_notes must be 'drop' or 'reject', not {policy!r}")
