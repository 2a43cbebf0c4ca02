"""Reading Standard MIDI Files of type 0, 1 and 2 into the notes of one track and channel.

A reader of its own, rather than mido's or music21's, for three reasons. It reads one track chunk
at a time and keeps only counts for every part and the notes of the one part asked for, so a 50 MB
file never becomes millions of Python objects. It skips chunk types it does not know, as the
standard asks, instead of giving up on the file. And it says where and why a broken file is broken.

A *part* is the notes of one MIDI channel within one track: a type-0 file holds every instrument
in its single track, told apart only by channel. What the reader deliberately ignores: pitch
bends and controllers (a note keeps its written pitch), lyrics and other text, tempo (the grid is
in beats), and the SMPTE offset (it places the music in clock time, not in the bar).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from musiclstm.music.midi_file import (
    MidiFile,
    MidiFileError,
    MidiPart,
    read_file_header,
    track_chunks,
)


@dataclass
class _TrackScan:
    """What one pass over a track's events found, and what it keeps track of on the way."""

    track: int
    wanted_channel: int | None
    parts: dict[int, MidiPart] = field(default_factory=dict)
    notes: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, pitch) wanted
    sounding: dict[int, int] = field(default_factory=dict)  # pitch -> start tick, wanted channel
    names: list[str] = field(default_factory=lambda: ["", ""])  # first track, instrument name
    end_tick: int = 0  # the tick of the track's last event


def scan_track(data: bytes, track: int, midi: MidiFile, wanted_channel: int | None) -> _TrackScan:
    """One pass over a track's events: count every channel's notes, read the file's signatures,
    and, if ``wanted_channel`` is given, pair that channel's note-ons and note-offs into notes.

    A note-on with velocity 0 is a note-off. A note-on for a pitch that already sounds ends the
    earlier note. Notes still sounding when the track ends stop at its last event. Running status
    (data bytes that reuse the last status byte) is honoured, also across meta events, which some
    writers do although the standard says not to.
    """
    scan = _TrackScan(track, wanted_channel)
    scan.end_tick = scan_events(data, midi, scan)
    for pitch, start in scan.sounding.items():
        scan.notes.append((start, scan.end_tick, pitch))
    for part in scan.parts.values():
        part.track_name, part.instrument_name = scan.names
    return scan


def scan_events(data: bytes, midi: MidiFile, scan: _TrackScan) -> int:
    """The loop of :func:`scan_track` over the events; returns the tick of the last one.

    Channel messages, nearly every event of a big file, are read here without a function call;
    the rare meta and system events go to :func:`system_event`.
    """
    track, wanted_channel = scan.track, scan.wanted_channel
    parts, notes, sounding = scan.parts, scan.notes, scan.sounding
    position = tick = status = 0
    size = len(data)
    try:
        while position < size:
            byte = data[position]
            position += 1
            delta = byte & 0x7F
            while byte & 0x80:
                byte = data[position]
                position += 1
                delta = (delta << 7) | (byte & 0x7F)
            tick += delta
            kind = data[position]
            if kind & 0x80:
                position += 1
                if kind < 0xF0:
                    status = kind
            elif status:
                kind = status
            else:
                raise MidiFileError(
                    f"track {track + 1}: a data byte at position {position} of the track "
                    "with no status byte before it"
                )
            command = kind & 0xF0
            if command == 0x90 or command == 0x80:
                pitch = data[position]
                velocity = data[position + 1]
                position += 2
                channel = kind & 0x0F
                if command == 0x90 and velocity:
                    part = parts.get(channel) or parts.setdefault(channel, MidiPart(track, channel))
                    part.notes += 1
                    part.pitch_total += pitch
                    if channel == wanted_channel:
                        if pitch in sounding:
                            notes.append((sounding[pitch], tick, pitch))
                        sounding[pitch] = tick
                elif channel == wanted_channel and pitch in sounding:
                    notes.append((sounding.pop(pitch), tick, pitch))
            elif command in (0xA0, 0xB0, 0xE0):
                position += 2
            elif command in (0xC0, 0xD0):
                position += 1
            else:
                end = system_event(data, position, kind, tick, midi, scan)
                if end is None:  # the end of the track
                    break
                position = end
    except IndexError:
        raise MidiFileError(
            f"track {track + 1} ends in the middle of an event (at tick {tick}): the file is "
            "truncated or corrupt"
        ) from None
    if position > size:
        raise MidiFileError(f"track {track + 1}: its last event runs past the end of the track")
    return tick


def system_event(
    data: bytes, position: int, kind: int, tick: int, midi: MidiFile, scan: _TrackScan
) -> int | None:
    """Read the meta or system-exclusive event of status ``kind`` whose data starts at
    ``position``: the position after it, or None for the end of the track."""
    if kind == 0xFF:
        meta, payload, position = read_meta(data, position)
        if meta == 0x2F:
            return None
        note_meta(meta, payload, tick, midi, scan.names)
        return position
    if kind in (0xF0, 0xF7):  # system exclusive
        length, position = read_variable_length(data, position)
        return position + length
    raise MidiFileError(
        f"track {scan.track + 1}: status byte 0x{kind:02X} at position {position - 1} "
        "of the track is not allowed in a MIDI file"
    )


def read_meta(data: bytes, position: int) -> tuple[int, bytes, int]:
    """``(meta type, payload, position after it)`` of the meta event whose type byte is at
    ``position``; raises IndexError where the track ends inside it."""
    meta = data[position]
    length, position = read_variable_length(data, position + 1)
    payload = data[position : position + length]
    if len(payload) < length:
        raise IndexError
    return meta, payload, position + length


def note_meta(meta: int, payload: bytes, tick: int, midi: MidiFile, names: list[str]) -> None:
    """Keep what a meta event says that the reader uses: the track's first track and instrument
    names (in ``names``), and the file's earliest time and key signatures (in ``midi``)."""
    if meta == 0x03 and not names[0]:
        names[0] = payload.decode("latin-1").strip()
    elif meta == 0x04 and not names[1]:
        names[1] = payload.decode("latin-1").strip()
    elif meta == 0x58 and len(payload) >= 2:
        if midi._time_signature_tick < 0 or tick < midi._time_signature_tick:
            midi.time_signature = f"{payload[0]}/{2 ** payload[1]}"
            midi._time_signature_tick = tick
    elif meta == 0x59 and len(payload) >= 2:
        if midi._key_signature_tick < 0 or tick < midi._key_signature_tick:
            sharps = payload[0] - 256 if payload[0] > 127 else payload[0]
            midi.key_signature = (sharps, bool(payload[1]))
            midi._key_signature_tick = tick


def read_variable_length(data: bytes, position: int) -> tuple[int, int]:
    """A variable-length quantity (7 bits a byte, high bit set on all but the last)."""
    value = 0
    for _ in range(4):
        byte = data[position]
        position += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, position
    raise MidiFileError(f"a variable-length number longer than 4 bytes at position {position}")


def scan_midi(path: Path) -> MidiFile:
    """First pass: the file's format, timing, signatures and every part's note count."""
    with open(path, "rb") as handle:
        file_format, n_tracks, ticks_per_quarter = read_file_header(handle)
        midi = MidiFile(Path(path), file_format, ticks_per_quarter, n_tracks)
        for track, length, position in track_chunks(handle, n_tracks):
            handle.seek(position)
            scan = scan_track(handle.read(length), track, midi, wanted_channel=None)
            midi.parts.extend(sorted(scan.parts.values(), key=lambda part: part.channel))
            midi.end_tick = max(midi.end_tick, scan.end_tick)
            handle.seek(position + length)
    return midi


def part_notes(midi: MidiFile, part: MidiPart) -> list[tuple[int, int, int]]:
    """Second pass: the ``(start tick, end tick, pitch)`` notes of one part, by start and pitch."""
    with open(midi.path, "rb") as handle:
        read_file_header(handle)
        for track, length, position in track_chunks(handle, midi.n_tracks):
            if track == part.track:
                handle.seek(position)
                scan = scan_track(handle.read(length), track, midi, wanted_channel=part.channel)
                return sorted(scan.notes)
    raise ValueError(f"{midi.path} has no track {part.track + 1}")
