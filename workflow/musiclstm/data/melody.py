"""A parsed song as a grid melody: the melody part chosen, laid on the grid, moved to C.

:func:`song_to_melody` is what the encoder calls for a song of any format; a score and a MIDI song
differ only in where their notes, key and meter come from.
"""

from __future__ import annotations

from dataclasses import dataclass

import music21

from musiclstm.data.grid import grid_events, lay_on_grid, midi_spans
from musiclstm.data.melody_part import pick_melody_part, pick_midi_part
from musiclstm.data.parsing import MidiSong
from musiclstm.music.tokens import Event, transpose_events
from musiclstm.music.tonality import SongKey, detect_key, key_of_events
from musiclstm.settings import EncodingSettings


@dataclass
class Melody:
    """A melody on the time grid, transposed, with what later stages need to know about it."""

    events: list[Event]
    key: str  # the key the song was written in, e.g. "g minor"
    transposition: int  # semitones added to reach C major / A minor
    time_signature: str  # e.g. "3/4"; "" where the file has none
    pickup_steps: int  # steps missing from an incomplete first bar (anacrusis)


def song_to_melody(song: music21.stream.Score | MidiSong, encoding: EncodingSettings) -> Melody:
    """A parsed song of any format as a grid melody, as the ``encoding`` settings ask."""
    convert = midi_to_melody if isinstance(song, MidiSong) else score_to_melody
    return convert(song, encoding)


def score_to_melody(score: music21.stream.Score, encoding: EncodingSettings) -> Melody:
    """Turn a parsed score into a grid melody, transposed to C major / A minor if asked."""
    part = pick_melody_part(score, encoding)
    events = grid_events(part, encoding)
    return melody_in_c(
        events,
        detect_key(part),
        encoding.transpose,
        first_time_signature(part),
        pickup_steps(part, encoding.time_step),
    )


def midi_to_melody(song: MidiSong, encoding: EncodingSettings) -> Melody:
    """Turn a MIDI song into a grid melody; the drum channel is never the melody.

    A MIDI file has no notated rests or bars, so the lengths ``skip`` checks are the notes' own,
    and the song has no pickup.
    """
    part = pick_midi_part(song.parts, encoding)
    events = lay_on_grid(None, midi_spans(song.midi, part), encoding)
    key = key_of_events(events, song.midi.key_signature)
    return melody_in_c(events, key, encoding.transpose, song.midi.time_signature, 0)


def melody_in_c(
    events: list[Event],
    key: music21.key.Key,
    transpose: bool,
    time_signature: str,
    pickup_steps: int,
) -> Melody:
    """The melody moved from ``key`` to C major / A minor if ``transpose``, with its facts."""
    shift = SongKey.of(key).shift_to_c if transpose else 0
    return Melody(
        events=transpose_events(events, shift),
        key=str(key),
        transposition=shift,
        time_signature=time_signature,
        pickup_steps=pickup_steps,
    )


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
