"""Writing tokens as a MIDI file, and reading such a file back into tokens.

The writer puts one note per onset token and keeps every note's full length, the last one
included; a trailing rest is kept as the length of the track.
"""

from __future__ import annotations

from pathlib import Path

import mido

from melodylstm.music.midi_reader import part_notes, scan_midi
from melodylstm.music.tokens import events_to_tokens, notes_to_events, tokens_to_events

TICKS_PER_QUARTER = 480


def step_ticks(step: float) -> int:
    """MIDI ticks in one time step; raises where a step is not a whole number of ticks."""
    ticks = TICKS_PER_QUARTER * step
    if abs(ticks - round(ticks)) > 1e-9:
        raise ValueError(f"a time step of {step} quarters is not a whole number of MIDI ticks")
    return round(ticks)


def write_midi(
    tokens: list[str],
    path: Path,
    step: float = 0.25,
    tempo_bpm: float = 100.0,
    time_signature: str = "4/4",
    velocity: int = 80,
    program: int = 0,
) -> None:
    """Write a melody as a type-0 MIDI file."""
    ticks = step_ticks(step)
    numerator, denominator = (int(part) for part in time_signature.split("/"))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name="melody", time=0))
    track.append(
        mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0)
    )
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    track.append(mido.Message("program_change", program=program, time=0))
    waiting = 0  # ticks since the last message
    for pitch, steps in tokens_to_events(tokens):
        if pitch is None:
            waiting += steps * ticks
            continue
        track.append(mido.Message("note_on", note=pitch, velocity=velocity, time=waiting))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=steps * ticks))
        waiting = 0
    track.append(mido.MetaMessage("end_of_track", time=waiting))
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_QUARTER)
    midi.tracks.append(track)
    midi.save(path)


def read_midi_tokens(path: Path, step: float = 0.25) -> list[str]:
    """Tokens of a monophonic MIDI file, read back with the encoder's reader (:mod:`.midi_reader`)
    with every part's notes together and the trailing rest kept: :func:`write_midi` undone."""
    midi = scan_midi(Path(path))
    notes = sorted(note for part in midi.parts for note in part_notes(midi, part))
    ticks = step * midi.ticks_per_quarter

    def on_grid(tick: int) -> int:
        return round(tick / ticks)

    grid_notes = [(on_grid(start), on_grid(end), pitch) for start, end, pitch in notes]
    return events_to_tokens(notes_to_events(grid_notes, on_grid(midi.end_tick)))
