"""Reading scores with music21: parse a song, pick its melody, find its key, lay it on the grid.

Every way a song can fail to become tokens raises :class:`Rejected` with a short machine-readable
reason and a detail a person can act on; the encoder records these in the rejects table.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import music21

from .sources import SongSource, read_abc_tune
from .tokens import Event

# Reasons a song is not encoded (the README explains each).
UNREADABLE = "unreadable"
NO_NOTES = "no_notes"
OFF_GRID = "off_grid"
UNACCEPTABLE_DURATION = "unacceptable_duration"
ENCODING_ERROR = "encoding_error"


class Rejected(Exception):
    """A song that cannot be encoded, with the reason and a readable detail."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Melody:
    """A melody on the time grid, transposed, with what later stages need to know about it."""

    events: list[Event]
    key: str  # the key the song was written in, e.g. "g minor"
    transposition: int  # semitones added to reach C major / A minor
    time_signature: str  # e.g. "3/4"; "" where the file has none
    pickup_steps: int  # steps missing from an incomplete first bar (anacrusis)


def parse_song(source: SongSource) -> list[tuple[str, music21.stream.Score]]:
    """Parse a song source into ``(song_id, score)`` pairs; a file holding several gives several."""
    path = Path(source.file)
    try:
        if source.part:
            parsed = music21.converter.parse(
                read_abc_tune(path, source.part), format="abc", forceSource=True
            )
        else:
            parsed = music21.converter.parse(path, forceSource=True)
    except Exception as error:  # music21 raises many types for broken files
        raise Rejected(UNREADABLE, f"{type(error).__name__}: {error}".strip()[:300]) from error
    if isinstance(parsed, music21.stream.Opus):
        scores = list(parsed.scores)
        if len(scores) == 1:
            return [(source.song_id, scores[0])]
        return [(f"{source.song_id}#{n}", score) for n, score in enumerate(scores, start=1)]
    if not isinstance(parsed, music21.stream.Score):
        score = music21.stream.Score()
        score.insert(0, parsed)
        parsed = score
    return [(source.song_id, parsed)]


def pick_melody_part(score: music21.stream.Score, choice: str) -> music21.stream.Stream:
    """The part that holds the melody: the first one with notes, or the highest by mean pitch."""
    parts = [part for part in (score.parts or [score]) if part.recurse().notes]
    if not parts:
        raise Rejected(NO_NOTES, "the song has no notes")
    if choice == "first":
        return parts[0]
    if choice == "highest":
        return max(parts, key=mean_pitch)
    raise ValueError(f"melody_part must be 'first' or 'highest', not {choice!r}")


def mean_pitch(part: music21.stream.Stream) -> float:
    """Mean MIDI pitch of a part's notes (a chord counts with its top note)."""
    pitches = [top_pitch(note) for note in part.recurse().notes]
    return sum(pitches) / len(pitches)


def top_pitch(note: music21.note.GeneralNote) -> int:
    """MIDI pitch of a note, or of the highest note of a chord."""
    return max(pitch.midi for pitch in note.pitches)


def detect_key(part: music21.stream.Stream) -> music21.key.Key:
    """The song's key: the written key or key signature, with the mode settled by analysis.

    Many files (the Essen ABC files among them) write only a tonic or a signature, not the mode, and
    a ``K:G`` tune is often in G minor. So the written key fixes the tonic (or, for a bare key
    signature, the pair of relative keys), and the Krumhansl-Schmuckler analysis picks the best key
    that agrees with it. Without anything written the analysis alone decides.
    """
    analysed = part.analyze("key")
    candidates = [analysed, *analysed.alternateInterpretations]
    written = next(iter(part.recurse().getElementsByClass(music21.key.KeySignature)), None)
    if isinstance(written, music21.key.Key):
        agrees = [k for k in candidates if k.tonic.pitchClass == written.tonic.pitchClass]
    elif written is not None:
        agrees = [k for k in candidates if k.sharps == written.sharps]
    else:
        agrees = []
    return max(agrees or [analysed], key=lambda k: k.correlationCoefficient)


def transposition_to_c(song_key: music21.key.Key) -> int:
    """Semitones (between -5 and +6) that move the key to C major, or A minor for minor keys."""
    target = 9 if song_key.mode == "minor" else 0
    shift = (target - song_key.tonic.pitchClass) % 12
    return shift - 12 if shift > 6 else shift


def grid_events(
    part: music21.stream.Stream,
    step: float,
    policy: str,
    acceptable_durations: list[float],
) -> list[Event]:
    """Lay a monophonic part on a grid of ``step`` quarter lengths as ``(pitch, steps)`` events.

    ``skip`` rejects a song with a note or rest whose written duration is not in
    ``acceptable_durations`` or that starts or ends off the grid; ``quantize`` snaps onsets and ends
    to the nearest step (a note never shrinks below one step). Grace notes take no time and are
    left out; a chord counts as its top note; where notes overlap, the later onset cuts the earlier
    note short.
    """
    grid = Fraction(step).limit_denominator(10_000)
    flat = part.flatten()
    if policy == "skip":
        acceptable = {Fraction(d).limit_denominator(10_000) for d in acceptable_durations}
        for element in flat.notesAndRests:
            length = Fraction(element.quarterLength).limit_denominator(10_000)
            if length and length not in acceptable:
                raise Rejected(
                    UNACCEPTABLE_DURATION,
                    f"{element.fullName} lasts {float(length):g} quarter lengths "
                    f"at offset {float(element.offset):g}",
                )
    notes: list[tuple[int, int, int]] = []  # (start step, end step, pitch)
    for element in flat.stripTies().notes:
        length = Fraction(element.quarterLength).limit_denominator(10_000)
        if length == 0:
            continue
        start = Fraction(element.offset).limit_denominator(10_000) / grid
        end = start + length / grid
        if policy == "skip" and (start.denominator != 1 or end.denominator != 1):
            raise Rejected(
                OFF_GRID,
                f"{element.fullName} at offset {float(element.offset):g} lasting "
                f"{float(length):g} does not fit a grid of {float(grid):g}",
            )
        first, last = round(start), round(end)
        notes.append((first, max(last, first + 1), top_pitch(element)))
    if not notes:
        raise Rejected(NO_NOTES, "the melody has no notes with a duration")
    notes.sort()
    events: list[Event] = []
    position = 0
    for index, (first, last, pitch) in enumerate(notes):
        if index + 1 < len(notes):
            last = min(last, notes[index + 1][0])
        if last <= first:  # two onsets on the same step: the later one wins
            continue
        if first > position:
            events.append((None, first - position))
        events.append((pitch, last - first))
        position = last
    return events


def pickup_steps(part: music21.stream.Stream, step: float) -> int:
    """Steps by which the first bar falls short of a full bar (0 without an anacrusis)."""
    measures = part.getElementsByClass(music21.stream.Measure)
    if not measures:
        return 0
    return round(float(measures[0].paddingLeft) / step)


def first_time_signature(part: music21.stream.Stream) -> str:
    """The first time signature of the part as ``n/d``, or an empty string."""
    signature = next(iter(part.recurse().getElementsByClass(music21.meter.TimeSignature)), None)
    return signature.ratioString if signature is not None else ""


def score_to_melody(
    score: music21.stream.Score,
    step: float,
    policy: str,
    acceptable_durations: list[float],
    melody_part: str = "first",
    transpose: bool = True,
) -> Melody:
    """Turn a parsed score into a grid melody, transposed to C major / A minor if asked."""
    part = pick_melody_part(score, melody_part)
    events = grid_events(part, step, policy, acceptable_durations)
    song_key = detect_key(part)
    shift = transposition_to_c(song_key) if transpose else 0
    events = [(None if pitch is None else pitch + shift, steps) for pitch, steps in events]
    return Melody(
        events=events,
        key=str(song_key),
        transposition=shift,
        time_signature=first_time_signature(part),
        pickup_steps=pickup_steps(part, step),
    )
