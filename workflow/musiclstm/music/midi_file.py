"""The structure of a Standard MIDI File: its header, its chunks, and what the reader learns.

:mod:`.midi_reader` reads the events; this module finds the track chunks they lie in (skipping
chunks of other types, as the standard asks, and saying where a file is truncated) and holds
what a pass over the events learns: a :class:`MidiFile` with its :class:`MidiPart` list.
A *part* is the notes of one MIDI channel within one track.
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
