"""Writing tokens as a MIDI file, and reading such a file back into tokens.

The writer puts one note per onset token and keeps every note's full length, the last one
included; a trailing rest is kept as the length of the track. A piece of one part (a melody) is a
type-0 file of one track; a piece of several (a chorale, a quartet) a type-1 file of one named
track per part, each part on its own channel.
"""

from __future__ import annotations

from pathlib import Path

import mido

from musiclstm.music.frames import SATB, Frames
from musiclstm.music.midi_file import MidiFile
from musiclstm.music.midi_reader import part_notes, scan_midi
from musiclstm.music.piece import Piece
from musiclstm.music.tokens import events_to_tokens, notes_to_events, tokens_to_events

TICKS_PER_QUARTER = 480


def step_ticks(step: float) -> int:
    """MIDI ticks in one time step; raises where a step is not a whole number of ticks."""
    ticks = TICKS_PER_QUARTER * step
    if abs(ticks - round(ticks)) > 1e-9:
        raise ValueError(f"a time step of {step} quarters is not a whole number of MIDI ticks")
    return round(ticks)


def meter_messages(tempo_bpm: float, time_signature: str) -> list[mido.MetaMessage]:
    """The time signature and tempo at the start of a file, as its first track carries them."""
    numerator, denominator = (int(part) for part in time_signature.split("/"))
    return [
        mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0),
    ]


def append_notes(
    track: mido.MidiTrack, tokens: list[str], ticks: int, velocity: int, channel: int = 0
) -> None:
    """One note-on and note-off per note of the tokens, then the end of the track after the
    trailing rest, so the track lasts as long as the tokens."""
    waiting = 0  # ticks since the last message
    for pitch, steps in tokens_to_events(tokens):
        if pitch is None:
            waiting += steps * ticks
            continue
        track.append(
            mido.Message("note_on", channel=channel, note=pitch, velocity=velocity, time=waiting)
        )
        track.append(
            mido.Message("note_off", channel=channel, note=pitch, velocity=0, time=steps * ticks)
        )
        waiting = 0
    track.append(mido.MetaMessage("end_of_track", time=waiting))


def write_midi(piece: Piece, path: Path, velocity: int = 80) -> None:
    """Write a piece as a MIDI file: one part as a type-0 file of one track, several as a type-1
    file of one named track per part, part ``k`` on channel ``k`` with its program; the first
    track carries the time signature and tempo.

    MIDI has no fermata: a phrase end sounds as long as its notes are written.
    """
    ticks = step_ticks(piece.time_step)
    midi = mido.MidiFile(type=0 if len(piece.parts) == 1 else 1, ticks_per_beat=TICKS_PER_QUARTER)
    for channel, part in enumerate(piece.parts):
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=part.name, time=0))
        if channel == 0:
            track.extend(meter_messages(piece.tempo_bpm, piece.time_signature))
        track.append(mido.Message("program_change", channel=channel, program=part.program, time=0))
        append_notes(track, part.tokens, ticks, velocity, channel)
        midi.tracks.append(track)
    midi.save(path)


def grid_tokens(midi: MidiFile, notes: list[tuple[int, int, int]], step: float) -> list[str]:
    """``(start tick, end tick, pitch)`` notes, sorted, as the tokens of one voice on the grid
    of ``step`` quarters, lasting until the end of the file."""
    ticks = step * midi.ticks_per_quarter

    def on_grid(tick: int) -> int:
        return round(tick / ticks)

    grid_notes = [(on_grid(start), on_grid(end), pitch) for start, end, pitch in notes]
    return events_to_tokens(notes_to_events(grid_notes, on_grid(midi.end_tick)))


def read_midi_tokens(path: Path, step: float = 0.25) -> list[str]:
    """Tokens of a monophonic MIDI file, read back with the encoder's reader (:mod:`.midi_reader`)
    with every part's notes together and the trailing rest kept: :func:`write_midi` of a piece
    of one part undone."""
    midi = scan_midi(Path(path))
    notes = sorted(note for part in midi.parts for note in part_notes(midi, part))
    return grid_tokens(midi, notes, step)


def read_chorale_midi(path: Path, step: float = 0.25, voices: int = 4) -> Frames:
    """The frames of a file :func:`write_midi` wrote for ``voices`` parts: voice ``k`` is channel
    ``k``'s notes, in whichever track they lie. A voice without notes is a rest as long as the
    file, and no frame is under a fermata (MIDI has none). Four voices are named as a chorale's
    (:data:`~musiclstm.music.frames.SATB`), any other number ``voice 1``, ``voice 2``, ..."""
    midi = scan_midi(Path(path))
    voices_tokens = []
    for channel in range(voices):
        notes = sorted(
            note
            for part in midi.parts
            if part.channel == channel
            for note in part_notes(midi, part)
        )
        voices_tokens.append(grid_tokens(midi, notes, step))
    names = SATB if voices == len(SATB) else tuple(f"voice {k + 1}" for k in range(voices))
    return Frames(tuple(voices_tokens), [False] * len(voices_tokens[0]), names)
