"""Reading scores: parse a song, pick its melody, find its key, lay it on the time grid.

Kern, ABC and MusicXML files are read with music21; MIDI files with :mod:`.midi_reader`. Both end
as a list of :class:`NoteSpan` (start, end, pitches) that one function lays on the grid, so the
duration policy, triplets and chords are handled the same way whatever the format.

Every way a song can fail to become tokens raises :class:`Rejected` with a short machine-readable
reason (one of :data:`REASONS`) and a detail a person can act on; the encoder records these in the
rejects table.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import music21

from melodylstm.data.sources import MIDI_SUFFIXES, MUSIC_SUFFIXES, SongSource, read_abc_tune
from melodylstm.music.midi_reader import MidiFile, MidiFileError, MidiPart, part_notes, scan_midi
from melodylstm.music.tokens import Event

log = logging.getLogger(__name__)

# Reasons a song is not encoded, each with what it means (the README's table says the same).
EMPTY_FILE = "empty_file"
UNSUPPORTED_FORMAT = "unsupported_format"
UNREADABLE = "unreadable"
MALFORMED = "malformed"
NO_NOTES = "no_notes"
DRUMS_ONLY = "drums_only"
NO_MELODY_PART = "no_melody_part"
CHORD = "chord"
TRIPLET = "triplet"
UNACCEPTABLE_DURATION = "unacceptable_duration"
OFF_GRID = "off_grid"
ENCODING_ERROR = "encoding_error"
REASONS = {
    EMPTY_FILE: "the file is empty (0 bytes)",
    UNSUPPORTED_FORMAT: "the file's suffix is not one of the music formats read",
    UNREADABLE: "the file or tune cannot be parsed (not the format its suffix says, truncated, …)",
    MALFORMED: "a kern file holds a token music21 cannot read; the song would lose that note",
    NO_NOTES: "the song has no pitched notes with a duration",
    DRUMS_ONLY: "the song's only notes are drums (MIDI channel 10, or unpitched percussion)",
    NO_MELODY_PART: "with `melody_part: named`, no part or track has that name",
    CHORD: "with `chords: reject`, the melody plays two notes at once",
    TRIPLET: "with `triplets: reject`, the melody has a triplet",
    UNACCEPTABLE_DURATION: "with `duration_policy: skip`, a length outside `acceptable_durations`",
    OFF_GRID: "with `duration_policy: skip`, a note starts or ends between two grid steps",
    ENCODING_ERROR: "music21 failed on the song in another way (the detail says how)",
}


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


@dataclass
class MidiSong:
    """A song of a MIDI file: the whole file, or one track of a type-2 file."""

    midi: MidiFile
    parts: list[MidiPart]


def exact(value) -> Fraction:
    """A music21 offset or length (float or Fraction) as an exact fraction."""
    return Fraction(value).limit_denominator(10_000)


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_song(source: SongSource) -> list[tuple[str, music21.stream.Score | MidiSong]]:
    """Parse a song source into ``(song_id, song)`` pairs; a file holding several gives several."""
    path = Path(source.file)
    suffix = path.suffix.lower()
    if suffix not in MUSIC_SUFFIXES:
        raise Rejected(
            UNSUPPORTED_FORMAT,
            f"{suffix or 'no suffix'}: not a music file; the suffixes read are "
            + ", ".join(MUSIC_SUFFIXES),
        )
    try:
        size = path.stat().st_size
    except OSError as error:
        raise Rejected(UNREADABLE, f"cannot open the file: {error.strerror}") from error
    if size == 0:
        raise Rejected(EMPTY_FILE, "the file is empty (0 bytes)")
    if suffix in MIDI_SUFFIXES:
        return parse_midi(source)
    if suffix == ".abc" and not source.part:
        raise Rejected(UNREADABLE, "no ABC tune in the file: no line starts with 'X:'")
    parsed = parse_with_music21(source, path)
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


# music21's kern reader skips a token it cannot read with a warning like this one, and goes on.
KERN_WARNING = re.compile(r"Error in parsing event \((?P<token>'.*?'|\".*?\")\) at line (\d+)")


def parse_with_music21(source: SongSource, path: Path) -> music21.stream.Stream:
    """Parse a kern, ABC or MusicXML song; a kern token music21 would skip rejects the song."""
    warnings = io.StringIO()
    try:
        with contextlib.redirect_stderr(warnings):
            if source.part:
                text = read_abc_tune(path, source.part, source.start, source.end)
                parsed = music21.converter.parse(text, format="abc", forceSource=True)
            else:
                parsed = music21.converter.parse(path, forceSource=True)
    except Exception as error:  # music21 raises many types for broken files
        message = f"{type(error).__name__}: {error}".strip()
        raise Rejected(UNREADABLE, f"music21 cannot parse it: {message[:300]}") from error
    finally:
        if warnings.getvalue().strip():
            log.info("music21 on %s: %s", source.song_id, " ".join(warnings.getvalue().split()))
    for match in KERN_WARNING.finditer(warnings.getvalue()):
        token = match.group("token")[1:-1]
        # Interpretations such as "*MX" (unmetered) only lose a time signature, not a note.
        if not token.startswith("*"):
            raise Rejected(MALFORMED, f"line {match.group(2)}: cannot read the token {token!r}")
    return parsed


def parse_midi(source: SongSource) -> list[tuple[str, MidiSong]]:
    """Read a MIDI file's parts; each track of a type-2 file (a set of patterns) is a song."""
    try:
        midi = scan_midi(Path(source.file))
    except MidiFileError as error:
        raise Rejected(UNREADABLE, str(error)) from error
    if midi.format != 2:
        return [(source.song_id, MidiSong(midi, midi.parts))]
    tracks = sorted({part.track for part in midi.parts})
    if not tracks:
        return [(source.song_id, MidiSong(midi, []))]
    return [
        (
            f"{source.song_id}#{track + 1}",
            MidiSong(midi, [p for p in midi.parts if p.track == track]),
        )
        for track in tracks
    ]


# ---------------------------------------------------------------------------------------------
# Choosing the melody


def is_pitched(element: music21.base.Music21Object) -> bool:
    """A note or chord with pitches: not a chord symbol, not unpitched percussion."""
    return isinstance(element, (music21.note.Note, music21.chord.Chord)) and not isinstance(
        element, music21.harmony.Harmony
    )


def pitched_notes(part: music21.stream.Stream) -> list[music21.note.NotRest]:
    """The notes and chords of a part that have pitches."""
    return [element for element in part.recurse().notes if is_pitched(element)]


def part_names(part: music21.stream.Stream) -> list[str]:
    """The names a part goes by: its name, abbreviation and id, and its instrument's names."""
    names = [getattr(part, "partName", None), getattr(part, "partAbbreviation", None), part.id]
    instrument = part.getInstrument(returnDefault=False) if hasattr(part, "getInstrument") else None
    if instrument is not None:
        names += [instrument.partName, instrument.instrumentName]
    return list(dict.fromkeys(str(name) for name in names if name))


def choose_part(candidates: list, choice: str, name: str, names_of, mean_pitch_of, describe):
    """The melody among ``candidates`` (parts with pitched notes, in score order).

    ``first`` takes the first; ``highest`` the one with the highest mean pitch; ``named`` the first
    whose name contains ``name``, ignoring case.
    """
    if choice == "first":
        return candidates[0]
    if choice == "highest":
        return max(candidates, key=mean_pitch_of)
    if choice == "named":
        wanted = name.casefold()
        for candidate in candidates:
            if any(wanted in found.casefold() for found in names_of(candidate)):
                return candidate
        raise Rejected(
            NO_MELODY_PART,
            f"no part is named like {name!r}; the parts with notes are "
            + ", ".join(describe(candidate) for candidate in candidates),
        )
    raise ValueError(f"melody_part must be 'first', 'highest' or 'named', not {choice!r}")


def pick_melody_part(
    score: music21.stream.Score, choice: str, name: str = ""
) -> music21.stream.Stream:
    """The part of a score that holds the melody (drum parts and chord symbols never count)."""
    parts = list(score.parts) or [score]
    candidates = [part for part in parts if pitched_notes(part)]
    if not candidates:
        if any(part.recurse().notes for part in parts):
            raise Rejected(DRUMS_ONLY, "the song's only notes are unpitched percussion")
        raise Rejected(NO_NOTES, "the song has no notes")
    return choose_part(
        candidates,
        choice,
        name,
        part_names,
        mean_pitch,
        lambda part: repr(" / ".join(part_names(part)[:2]) or "unnamed"),
    )


def mean_pitch(part: music21.stream.Stream) -> float:
    """Mean MIDI pitch of a part's notes (a chord counts with its top note)."""
    pitches = [top_pitch(note) for note in pitched_notes(part)]
    return sum(pitches) / len(pitches)


def top_pitch(note: music21.note.GeneralNote) -> int:
    """MIDI pitch of a note, or of the highest note of a chord."""
    return max(pitch.midi for pitch in note.pitches)


# ---------------------------------------------------------------------------------------------
# Key and transposition


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


def key_of_events(events: list[Event], key_signature: tuple[int, bool] | None) -> music21.key.Key:
    """:func:`detect_key` for a melody known only as grid events (a MIDI melody).

    The analysis weighs each pitch class by its duration, so a part of one note per pitch class,
    as long as all its notes together, gives the same answer as the whole melody, at any length.
    """
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
    return detect_key(summary)


# ---------------------------------------------------------------------------------------------
# The time grid


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


def lay_on_grid(
    lengths: list[WrittenLength] | None,
    spans: list[NoteSpan],
    step: float,
    policy: str,
    acceptable_durations: list[float],
    triplets: str = "reject",
    chords: str = "top_note",
) -> list[Event]:
    """Lay a melody on a grid of ``step`` quarter lengths as ``(pitch, steps)`` events.

    Notes that start together form a chord: ``top_note`` keeps the highest, ``reject`` rejects
    the song. Where notes overlap, the later onset cuts the earlier note short. ``lengths`` are
    the written lengths of notes and rests that ``skip`` checks; None (a MIDI melody, which has no
    written lengths) checks the lengths the notes sound for, overlaps cut.

    ``triplets: reject`` rejects a song with a triplet: a note written as one, or one that starts
    and ends on the triplet grid (two thirds of a step) but not both on the grid; ``quantize``
    snaps triplet notes to the grid whatever the duration policy. ``skip`` rejects a song with
    any other note or rest whose length is not in ``acceptable_durations`` or that starts or ends
    off the grid; ``quantize`` snaps onsets and ends to the nearest step (a note never shrinks
    below one step).
    """
    grid = exact(step)
    triplet_grid = grid * 2 / 3  # a sixteenth-note grid has triplet sixteenths on it

    def between_steps(time: Fraction) -> bool:
        return (time / grid).denominator != 1

    def triplet_timed(span: NoteSpan) -> bool:
        # Besides notes written as triplets, a note that starts and ends on the triplet grid,
        # one of the two between steps: what a triplet exported to MIDI looks like.
        times = (span.start, span.end)
        return span.triplet or (
            all((time / triplet_grid).denominator == 1 for time in times)
            and any(between_steps(time) for time in times)
        )

    melody = top_notes(spans, chords)
    if lengths is None:  # what sounds: each note ends where the next one starts, at the latest
        melody = [
            span if span.end <= following.start else replace(span, end=following.start)
            for span, following in zip(melody, melody[1:], strict=False)
        ] + melody[-1:]
    timed = [(span, triplet_timed(span)) for span in melody]

    def checked_lengths():
        """The lengths to check: the written ones, or (MIDI) those of the notes as they sound."""
        if lengths is not None:
            return ((written.length, written.triplet, written) for written in lengths)
        return ((span.end - span.start, is_triplet, span) for span, is_triplet in timed)

    if triplets == "reject":
        found = [item for _, is_triplet, item in checked_lengths() if is_triplet][:1]
        found += [span for span, is_triplet in timed if is_triplet][:1]
        if found:
            raise Rejected(
                TRIPLET,
                f"{found[0].describe()} is a triplet (set encoding.triplets to quantize to keep "
                "the song)",
            )
    elif triplets != "quantize":
        raise ValueError(f"triplets must be 'reject' or 'quantize', not {triplets!r}")
    if policy == "skip":
        acceptable = {exact(duration) for duration in acceptable_durations}
        for length, is_triplet, item in checked_lengths():
            if length not in acceptable and not is_triplet:
                raise Rejected(UNACCEPTABLE_DURATION, item.describe())
    elif policy != "quantize":
        raise ValueError(f"duration_policy must be 'skip' or 'quantize', not {policy!r}")
    notes: list[tuple[int, int, int]] = []  # (first step, last step, pitch), by exact onset
    for span, snapped in timed:
        off_grid = between_steps(span.start) or between_steps(span.end)
        if policy == "skip" and off_grid and not snapped:
            raise Rejected(OFF_GRID, f"{span.describe()} does not fit a grid of {float(grid):g}")
        first, last = round(span.start / grid), round(span.end / grid)
        notes.append((first, max(last, first + 1), span.pitches[0]))
    if not notes:
        raise Rejected(NO_NOTES, "the melody has no notes with a duration")
    events: list[Event] = []
    position = 0
    for index, (first, last, pitch) in enumerate(notes):
        if index + 1 < len(notes):
            last = min(last, notes[index + 1][0])
        if last <= first:  # two onsets snapped to the same step: the later one wins
            continue
        if first > position:
            events.append((None, first - position))
        events.append((pitch, last - first))
        position = last
    return events


def top_notes(spans: list[NoteSpan], chords: str) -> list[NoteSpan]:
    """One note per onset, in time order: the top note of each chord (notes that start together).

    With ``chords: reject`` a chord raises :class:`Rejected` instead.
    """
    if chords not in ("top_note", "reject"):
        raise ValueError(f"chords must be 'top_note' or 'reject', not {chords!r}")
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
        top = max(group, key=lambda span: (max(span.pitches), span.end))
        melody.append(top if len(top.pitches) == 1 else replace(top, pitches=(max(top.pitches),)))
    return melody


def grid_events(
    part: music21.stream.Stream,
    step: float,
    policy: str,
    acceptable_durations: list[float],
    triplets: str = "reject",
    chords: str = "top_note",
) -> list[Event]:
    """Lay a music21 part on the grid (see :func:`lay_on_grid`)."""
    lengths, spans = stream_lengths_and_spans(part)
    return lay_on_grid(lengths, spans, step, policy, acceptable_durations, triplets, chords)


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


# ---------------------------------------------------------------------------------------------
# Whole songs


def score_to_melody(
    score: music21.stream.Score,
    step: float,
    policy: str,
    acceptable_durations: list[float],
    melody_part: str = "first",
    transpose: bool = True,
    triplets: str = "reject",
    chords: str = "top_note",
    melody_part_name: str = "",
) -> Melody:
    """Turn a parsed score into a grid melody, transposed to C major / A minor if asked."""
    part = pick_melody_part(score, melody_part, melody_part_name)
    events = grid_events(part, step, policy, acceptable_durations, triplets, chords)
    song_key = detect_key(part)
    shift = transposition_to_c(song_key) if transpose else 0
    return Melody(
        events=[(None if pitch is None else pitch + shift, steps) for pitch, steps in events],
        key=str(song_key),
        transposition=shift,
        time_signature=first_time_signature(part),
        pickup_steps=pickup_steps(part, step),
    )


def midi_spans(midi: MidiFile, part: MidiPart) -> list[NoteSpan]:
    """A MIDI part's notes in quarter notes; zero-length notes (like grace notes) are left out."""
    name = part.describe()  # one string for every note: details are made only for a reject
    ticks = midi.ticks_per_quarter
    return [
        NoteSpan(Fraction(start, ticks), Fraction(end, ticks), (pitch,), False, part=name)
        for start, end, pitch in part_notes(midi, part)
        if end > start
    ]


def midi_to_melody(
    song: MidiSong,
    step: float,
    policy: str,
    acceptable_durations: list[float],
    melody_part: str = "first",
    transpose: bool = True,
    triplets: str = "reject",
    chords: str = "top_note",
    melody_part_name: str = "",
) -> Melody:
    """Turn a MIDI song into a grid melody; the drum channel is never the melody.

    A MIDI file has no notated rests or bars, so the lengths ``skip`` checks are the notes' own,
    and the song has no pickup.
    """
    candidates = [part for part in song.parts if part.notes and not part.is_drums]
    if not candidates:
        if any(part.is_drums for part in song.parts):
            raise Rejected(DRUMS_ONLY, "the only notes are drums (MIDI channel 10)")
        raise Rejected(NO_NOTES, "the file has no notes")
    part = choose_part(
        candidates,
        melody_part,
        melody_part_name,
        lambda candidate: candidate.names,
        lambda candidate: candidate.mean_pitch,
        lambda candidate: candidate.describe(),
    )
    spans = midi_spans(song.midi, part)
    events = lay_on_grid(None, spans, step, policy, acceptable_durations, triplets, chords)
    song_key = key_of_events(events, song.midi.key_signature)
    shift = transposition_to_c(song_key) if transpose else 0
    return Melody(
        events=[(None if pitch is None else pitch + shift, steps) for pitch, steps in events],
        key=str(song_key),
        transposition=shift,
        time_signature=song.midi.time_signature,
        pickup_steps=0,
    )


def song_to_melody(song: music21.stream.Score | MidiSong, encoding: dict) -> Melody:
    """A parsed song of any format as a grid melody, as the ``encoding`` settings ask."""
    convert = midi_to_melody if isinstance(song, MidiSong) else score_to_melody
    return convert(
        song,
        step=encoding["time_step"],
        policy=encoding["duration_policy"],
        acceptable_durations=encoding["acceptable_durations"],
        melody_part=encoding["melody_part"],
        transpose=encoding["transpose"],
        triplets=encoding["triplets"],
        chords=encoding["chords"],
        melody_part_name=encoding["melody_part_name"],
    )
