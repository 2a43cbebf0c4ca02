"""A parsed song as the frames of N voices (a four-voice chorale): its parts on one grid,
under their fermatas, moved to C major / A minor.

:func:`song_to_chorale` is what the chorale representation calls for a song of any format: a
score (MusicXML, kern, ABC) with four parts, or a MIDI song with four tracks or channels. Each
voice is laid on the grid by the same rules as a melody (:func:`~musiclstm.data.grid.lay_on_grid`:
durations, triplets, chords), so a chorale is rejected for the same reasons a melody is, and for
one more: not having as many voices as the texture.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import music21

from musiclstm.data.grid import exact, grid_events, lay_on_grid, midi_spans
from musiclstm.data.melody import first_time_signature, pickup_steps
from musiclstm.data.melody_part import describe_part, mean_pitch, pitched_notes
from musiclstm.data.parsing import MidiSong
from musiclstm.data.rejects import WRONG_VOICE_COUNT, Rejected
from musiclstm.music.frames import Frames
from musiclstm.music.tokens import Event, transpose_events
from musiclstm.music.tonality import SongKey, detect_key, pitch_class_summary
from musiclstm.settings import EncodingSettings


@dataclass
class EncodedChorale:
    """A chorale on the grid, transposed, with what the song table records of it."""

    chorale: Frames
    key: str
    transposition: int
    time_signature: str
    pickup_steps: int


def song_to_chorale(
    song: music21.stream.Score | MidiSong, encoding: EncodingSettings, names: tuple[str, ...]
) -> EncodedChorale:
    """A parsed song of any format as the voices ``names``, as the ``encoding`` settings ask."""
    convert = midi_to_chorale if isinstance(song, MidiSong) else score_to_chorale
    return convert(song, encoding, tuple(names))


def voiced_parts(
    parts: list, describe, count_notes, names: tuple[str, ...], missing_voices: str = "reject"
) -> list:
    """The song's parts with notes, as many as ``names`` or, with ``missing_voices: rest``, fewer;
    rejects with the parts listed."""
    voiced = [part for part in parts if count_notes(part)]
    fewer_allowed = missing_voices == "rest" and 0 < len(voiced) < len(names)
    if len(voiced) != len(names) and not fewer_allowed:
        listed = ", ".join(describe(part) for part in voiced) or "none"
        raise Rejected(
            WRONG_VOICE_COUNT,
            f"{len(voiced)} parts with notes ({listed}); the texture has {len(names)} voices: "
            f"{', '.join(names)}",
        )
    return voiced


def score_to_chorale(
    score: music21.stream.Score, encoding: EncodingSettings, names: tuple[str, ...]
) -> EncodedChorale:
    """A score of as many parts as ``names`` as their frames; the parts, highest first, are the
    voices from the top down."""
    parts = voiced_parts(
        list(score.parts), describe_part, pitched_notes, names, encoding.missing_voices
    )
    parts.sort(key=mean_pitch, reverse=True)
    lowest = len(parts) - 1
    # The bottom part's chords keep their bass with `chords: outer_note`.
    voices = [grid_events(part, encoding, n == lowest) for n, part in enumerate(parts)]
    length = max(sum(steps for _, steps in events) for events in voices)
    marked = fermata_frames(parts, exact(encoding.time_step), length)
    # A chorale ends under a fermata, whether or not the file marks its last chord.
    fermatas = [a or b for a, b in zip(marked, final_chord_fermata(voices, length), strict=True)]
    return chorale_in_c(
        voices,
        fermatas,
        detect_key(score),
        encoding.transpose,
        first_time_signature(parts[0]),
        pickup_steps(parts[0], encoding.time_step),
        names,
    )


def midi_to_chorale(
    song: MidiSong, encoding: EncodingSettings, names: tuple[str, ...]
) -> EncodedChorale:
    """A MIDI song with a track or channel per voice of ``names`` (drums never count) as
    their frames.

    A MIDI file marks no fermatas, so every phrase end is unknown and no frame is under one but
    the last chord, where a chorale always ends on one.
    """
    parts = [part for part in song.parts if not part.is_drums]
    parts = voiced_parts(
        parts, lambda part: part.describe(), lambda part: part.notes, names, encoding.missing_voices
    )
    parts.sort(key=lambda part: part.mean_pitch, reverse=True)
    lowest = len(parts) - 1
    voices = [
        lay_on_grid(None, midi_spans(song.midi, part), encoding, n == lowest)
        for n, part in enumerate(parts)
    ]
    length = max(sum(steps for _, steps in events) for events in voices)
    fermatas = final_chord_fermata(voices, length)
    everything = [event for events in voices for event in events]
    key = detect_key(pitch_class_summary(everything, song.midi.key_signature))
    time_signature = song.midi.time_signature
    return chorale_in_c(voices, fermatas, key, encoding.transpose, time_signature, 0, names)


def seated(voices: list[list[Event]], n_voices: int) -> list[list[Event]]:
    """``voices`` (highest part first) in ``n_voices`` seats: the highest parts in the top seats
    in order, the lowest part in the bottom seat, each seat left over empty (a rest throughout,
    once :func:`padded`)."""
    missing = n_voices - len(voices)
    if missing <= 0:
        return voices
    return voices[:-1] + [[] for _ in range(missing)] + voices[-1:]


def padded(events: list[Event], length: int) -> list[Event]:
    """``events`` with a rest up to ``length`` steps (a part that stops before the others)."""
    missing = length - sum(steps for _, steps in events)
    return events + [(None, missing)] if missing > 0 else events


def fermata_frames(parts: list[music21.stream.Stream], grid: Fraction, length: int) -> list[bool]:
    """Per frame, whether a note with a fermata sounds: the soprano's, or another voice's where
    the soprano marks none."""
    for part in parts:
        marked = [False] * length
        for note in part.flatten().stripTies().notes:
            if any(isinstance(mark, music21.expressions.Fermata) for mark in note.expressions):
                first = round(exact(note.offset) / grid)
                last = round((exact(note.offset) + exact(note.quarterLength)) / grid)
                for frame in range(first, min(max(last, first + 1), length)):
                    marked[frame] = True
        if any(marked):
            return marked
    return [False] * length


def final_chord_fermata(voices: list[list[Event]], length: int) -> list[bool]:
    """Frames of the last chord (from the latest onset of the last notes) under a fermata."""
    starts = []
    for events in voices:
        position, last_onset = 0, 0
        for pitch, steps in events:
            if pitch is not None:
                last_onset = position
            position += steps
        starts.append(last_onset)
    first = max(starts)
    return [frame >= first for frame in range(length)]


def chorale_in_c(
    voices: list[list[Event]],
    fermatas: list[bool],
    key: music21.key.Key,
    transpose: bool,
    time_signature: str,
    pickup: int,
    names: tuple[str, ...],
) -> EncodedChorale:
    """The voices moved from ``key`` to C major / A minor if ``transpose``, with their facts."""
    shift = SongKey.of(key).shift_to_c if transpose else 0
    length = len(fermatas)
    moved = [
        transpose_events(padded(events, length), shift) for events in seated(voices, len(names))
    ]
    return EncodedChorale(
        Frames.from_events(moved, fermatas, names), str(key), shift, time_signature, pickup
    )
