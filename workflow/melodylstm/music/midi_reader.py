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

DRUM_CHANNEL = 9  # MIDI channel 10, counted from 0: General MIDI percussion


class MidiFileError(ValueError):
    """The file is not a MIDI file, or is broken; the message says where and why."""


@dataclass
class MidiPart:
    """One channel of one track: how many notes it starts and their mean pitch."""

    track: int  # 0-based position among the track chunks
    channel: int  # 0-based; 9 is the drum channel
    track_name: str = ""
    instrument_name: str = ""
    notes: int = 0
    pitch_total: int = 0

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    @property
    def mean_pitch(self) -> float:
        return self.pitch_total / self.notes if self.notes else 0.0

    @property
    def names(self) -> list[str]:
        return [name for name in (self.track_name, self.instrument_name) if name]

    def describe(self) -> str:
        name = f" {self.track_name or self.instrument_name!r}" if self.names else ""
        return f"track {self.track + 1}{name} channel {self.channel + 1}"


@dataclass
class MidiFile:
    """What a first pass over a MIDI file learns: its format, timing, parts and signatures."""

    path: Path
    format: int  # 0, 1 or 2
    ticks_per_quarter: int
    n_tracks: int
    parts: list[MidiPart] = field(default_factory=list)
    time_signature: str = ""  # the earliest time signature, e.g. "3/4"; "" if none
    key_signature: tuple[int, bool] | None = None  # (sharps, minor) of the earliest key signature
    end_tick: int = 0  # where the longest track ends: a trailing rest lasts until here
    _time_signature_tick: int = -1
    _key_signature_tick: int = -1


@dataclass
class _TrackScan:
    """What one pass over a track's events found."""

    parts: dict[int, MidiPart]
    notes: list[tuple[int, int, int]]  # (start tick, end tick, pitch) of the wanted channel
    end_tick: int  # the tick of the track's last event


def read_chunk_header(handle, where: str) -> tuple[bytes, int] | None:
    """The type and length of the next chunk, or None at the end of the file."""
    header = handle.read(8)
    if not header:
        return None
    if len(header) < 8:
        raise MidiFileError(f"the file ends inside the header of {where} (truncated?)")
    return header[:4], int.from_bytes(header[4:], "big")


def read_file_header(handle) -> tuple[int, int, int]:
    """``(format, number of tracks, ticks per quarter note)`` from the ``MThd`` chunk."""
    chunk = read_chunk_header(handle, "the file header")
    if chunk is None:
        raise MidiFileError("the file is empty")
    kind, length = chunk
    if kind != b"MThd":
        # A RIFF MIDI (.rmi) wraps a standard file; anything else is not MIDI at all.
        raise MidiFileError(f"not a MIDI file: it starts with {kind!r}, not b'MThd'")
    data = handle.read(length)
    if length < 6 or len(data) < 6:
        raise MidiFileError("the MIDI header is shorter than 6 bytes (truncated?)")
    file_format = int.from_bytes(data[0:2], "big")
    n_tracks = int.from_bytes(data[2:4], "big")
    division = int.from_bytes(data[4:6], "big")
    if file_format not in (0, 1, 2):
        raise MidiFileError(f"unknown MIDI file format {file_format} (0, 1 or 2 exist)")
    if division & 0x8000:
        frames = 256 - (division >> 8)
        raise MidiFileError(
            f"the file times its events in SMPTE frames ({frames} frames per second), not in "
            "beats, so it has no bars to lay the notes on"
        )
    if division == 0:
        raise MidiFileError("the MIDI header gives 0 ticks per quarter note")
    return file_format, n_tracks, division


def track_chunks(handle, n_tracks: int):
    """``(track number, chunk length, file position)`` of every ``MTrk`` chunk, in file order.

    Chunks of other types are skipped, as the standard asks. A file that ends before a chunk
    does, or holds fewer tracks than its header announces, is truncated.
    """
    track = 0
    while True:
        chunk = read_chunk_header(handle, f"chunk {track + 2}")
        if chunk is None:
            break
        kind, length = chunk
        position = handle.tell()
        handle.seek(0, 2)
        if handle.tell() < position + length:
            raise MidiFileError(
                f"the file ends inside {kind.decode('latin-1')!r} chunk of track {track + 1}: "
                f"the chunk announces {length} bytes, the file holds {handle.tell() - position} "
                "(truncated?)"
            )
        if kind == b"MTrk":
            yield track, length, position
            track += 1
        handle.seek(position + length)
    if track < n_tracks:
        raise MidiFileError(
            f"the header announces {n_tracks} tracks but the file holds {track} (truncated?)"
        )


def scan_track(data: bytes, track: int, midi: MidiFile, wanted_channel: int | None) -> _TrackScan:
    """One pass over a track's events: count every channel's notes, read the file's signatures,
    and, if ``wanted_channel`` is given, pair that channel's note-ons and note-offs into notes.

    A note-on with velocity 0 is a note-off. A note-on for a pitch that already sounds ends the
    earlier note. Notes still sounding when the track ends stop at its last event. Running status
    (data bytes that reuse the last status byte) is honoured, also across meta events, which some
    writers do although the standard says not to.
    """
    parts: dict[int, MidiPart] = {}
    notes: list[tuple[int, int, int]] = []
    sounding: dict[int, int] = {}  # pitch -> start tick, for the wanted channel
    track_name = instrument_name = ""
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
            byte = data[position]
            if byte & 0x80:
                position += 1
                if byte < 0xF0:
                    status = byte
                kind = byte
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
                    part = parts.get(channel)
                    if part is None:
                        part = parts[channel] = MidiPart(track, channel)
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
            elif kind == 0xFF:
                meta = data[position]
                position += 1
                length, position = read_variable_length(data, position)
                payload = data[position : position + length]
                if len(payload) < length:
                    raise IndexError
                position += length
                if meta == 0x2F:  # end of track
                    break
                if meta == 0x03 and not track_name:
                    track_name = payload.decode("latin-1").strip()
                elif meta == 0x04 and not instrument_name:
                    instrument_name = payload.decode("latin-1").strip()
                elif meta == 0x58 and len(payload) >= 2:
                    if midi._time_signature_tick < 0 or tick < midi._time_signature_tick:
                        midi.time_signature = f"{payload[0]}/{2 ** payload[1]}"
                        midi._time_signature_tick = tick
                elif meta == 0x59 and len(payload) >= 2:
                    if midi._key_signature_tick < 0 or tick < midi._key_signature_tick:
                        sharps = payload[0] - 256 if payload[0] > 127 else payload[0]
                        midi.key_signature = (sharps, bool(payload[1]))
                        midi._key_signature_tick = tick
            elif kind in (0xF0, 0xF7):  # system exclusive
                length, position = read_variable_length(data, position)
                position += length
            else:
                raise MidiFileError(
                    f"track {track + 1}: status byte 0x{kind:02X} at position {position - 1} "
                    "of the track is not allowed in a MIDI file"
                )
    except IndexError:
        raise MidiFileError(
            f"track {track + 1} ends in the middle of an event (at tick {tick}): the file is "
            "truncated or corrupt"
        ) from None
    if position > size:
        raise MidiFileError(f"track {track + 1}: its last event runs past the end of the track")
    for pitch, start in sounding.items():
        notes.append((start, tick, pitch))
    for part in parts.values():
        part.track_name, part.instrument_name = track_name, instrument_name
    return _TrackScan(parts, notes, tick)


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
