"""Writing tokens as a MIDI file, and reading MIDI back into tokens (with mido and with music21).

The writer puts one note per onset token and keeps every note's full length, the last one
included; a trailing rest is kept as the length of the track.
"""

from __future__ import annotations

from pathlib import Path

import mido

from melodylstm.music.tokens import events_to_tokens, tokens_to_events

TICKS_PER_QUARTER = 480


def step_ticks(step: float) -> int:
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
    """Tokens of a monophonic MIDI file, read with mido (tracks merged, trailing rest kept)."""
    midi = mido.MidiFile(path)
    ticks = step_ticks(step) * midi.ticks_per_beat / TICKS_PER_QUARTER
    now = 0
    sounding: dict[int, int] = {}
    notes: list[tuple[int, int, int]] = []  # (start tick, end tick, pitch)
    for message in mido.merge_tracks(midi.tracks):
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            sounding[message.note] = now
        elif message.type in ("note_off", "note_on") and message.note in sounding:
            notes.append((sounding.pop(message.note), now, message.note))
    notes.sort()
    events = []
    position = 0
    for start, end, pitch in notes:
        first, last = round(start / ticks), round(end / ticks)
        if first > position:
            events.append((None, first - position))
        events.append((pitch, last - first))
        position = last
    total = round(now / ticks)
    if total > position:
        events.append((None, total - position))
    return events_to_tokens(events)


def read_midi_tokens_music21(path: Path, step: float = 0.25) -> list[str]:
    """Tokens of a monophonic MIDI file as music21 reads it (a trailing rest is not kept)."""
    import music21

    from melodylstm.data.scores import grid_events

    score = music21.converter.parse(path, forceSource=True)
    part = score.parts[0] if score.parts else score
    return events_to_tokens(grid_events(part, step, "quantize", []))
