"""Parsing a song source: kern, ABC and MusicXML with music21, MIDI with the project's own reader
(:mod:`musiclstm.music.midi_reader`).

A file may hold several songs (an opus of kern or MusicXML scores, the tracks of a type-2 MIDI
file); each becomes a ``(song_id, song)`` pair. Whatever stops a file from being read becomes a
:class:`~musiclstm.data.rejects.Rejected` with the reason, never an exception that would stop the
other songs of the shard.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import music21

from musiclstm.data.rejects import (
    EMPTY_FILE,
    MALFORMED,
    NO_NOTES,
    UNREADABLE,
    UNSUPPORTED_FORMAT,
    Rejected,
)
from musiclstm.data.sources import (
    MIDI_SUFFIXES,
    MUSIC_SUFFIXES,
    SongSource,
    abc_tune_ranges,
    read_abc_tune,
)
from musiclstm.music.midi_file import MidiFile, MidiFileError, MidiPart
from musiclstm.music.midi_reader import scan_midi

log = logging.getLogger(__name__)

# music21's kern reader skips a token it cannot read with a warning like this one, and goes on.
KERN_WARNING = re.compile(r"Error in parsing event \((?P<token>'.*?'|\".*?\")\) at line (\d+)")


@dataclass
class MidiSong:
    """A song of a MIDI file: the whole file, or one track of a type-2 file."""

    midi: MidiFile
    parts: list[MidiPart]


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


def parse_music_file(path: Path) -> music21.stream.Score | MidiSong:
    """The first song of one music file (its first tune, for an ABC file) parsed as a song of
    the training set is: a file named in the config, a melody to harmonise or a seed. Raises
    :class:`~musiclstm.data.rejects.Rejected` with the reason where it cannot be read."""
    path = Path(path)
    is_abc = path.suffix.lower() == ".abc" and path.is_file()
    ranges = abc_tune_ranges(path) if is_abc else []
    start, end = ranges[0] if ranges else (0, 0)
    source = SongSource(path.stem, "file", str(path), 1 if ranges else 0, start, end)
    songs = parse_song(source)
    if not songs:
        raise Rejected(NO_NOTES, "the file holds no score")
    return songs[0][1]


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
