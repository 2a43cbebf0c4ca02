"""Where songs come from: the datasets in config, resolved to files and to songs within files.

A dataset is either a glob inside music21's own corpus (``corpus:``, the embedded default) or a glob
of the user's files relative to the working directory (``files:``, normally under ``resources/``).
Every file the glob matches becomes at least one row of the song index, so that every file ends in
the encoded songs or in the rejects table: a file whose suffix is not a music format is rejected by
the encoder rather than dropped here. An ABC file may hold many tunes; it is split here, as bytes
and one line at a time, into the byte range of each tune, so that a 10,000-tune file is never held
in memory as text and each tune is read on its own in whichever shard it lands.
"""

from __future__ import annotations

import csv
import glob
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from musiclstm.settings import SourceSettings

MIDI_SUFFIXES = (".mid", ".midi", ".kar")
MUSIC_SUFFIXES = (".krn", ".abc", ".xml", ".musicxml", ".mxl") + MIDI_SUFFIXES
INDEX_COLUMNS = ("song_id", "dataset", "file", "part", "start", "end")

# A tune of an ABC file starts at a line beginning with "X:"; lines may end in \n, \r\n or \r.
ABC_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n|$)")
BYTE_ORDER_MARK = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class SongSource:
    """One song to encode: a file and, for ABC files, which tune of it (and where it lies)."""

    song_id: str
    dataset: str
    file: str
    part: int  # 1-based tune number within an ABC file; 0 for a whole file
    start: int = 0  # byte range of the tune within an ABC file (0, 0: find it by its number)
    end: int = 0


def corpus_root() -> Path:
    """The folder of the corpus that ships inside the music21 package."""
    import music21

    return Path(music21.__file__).parent / "corpus"


CORPUS_PREFIX = "corpus:"


def music_file(path: str) -> Path:
    """A file named in the config: ``corpus:bach/bwv269.mxl`` lies in music21's corpus, any other
    path is relative to the working directory."""
    if path.startswith(CORPUS_PREFIX):
        return corpus_root() / path.removeprefix(CORPUS_PREFIX)
    return Path(path)


def matched_files(dataset: SourceSettings, workdir: Path = Path(".")) -> list[Path]:
    """Every file a dataset's glob matches, whatever its suffix, sorted."""
    root = corpus_root() if dataset.corpus is not None else workdir
    pattern = dataset.pattern
    matches = glob.glob(str(root / pattern), recursive=True)
    return sorted(Path(match) for match in matches if Path(match).is_file())


def dataset_files(dataset: SourceSettings, workdir: Path = Path(".")) -> list[Path]:
    """The music files a dataset's glob matches (known suffixes only), sorted."""
    return [path for path in matched_files(dataset, workdir) if is_music_file(path)]


def is_music_file(path: Path) -> bool:
    return path.suffix.lower() in MUSIC_SUFFIXES


def display_path(path: Path, dataset: SourceSettings, workdir: Path = Path(".")) -> str:
    """The path as the user wrote it: relative to the corpus or to the working directory."""
    root = corpus_root() if dataset.corpus is not None else workdir
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def abc_lines(handle) -> Iterator[tuple[int, bytes]]:
    """``(byte offset, line)`` for every line of a binary file, read a block at a time."""
    offset = 0
    pending = b""
    while block := handle.read(1 << 20):
        data = pending + block
        # Keep the last line back: it may go on in the next block (a "\r\n" split in two included).
        cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1))
        complete, pending = data[: cut + 1], data[cut + 1 :]
        for match in ABC_LINE.finditer(complete):
            if match.group():
                yield offset + match.start(), match.group()
        offset += len(complete)
    if pending:
        yield offset, pending


def abc_tune_ranges(path: Path) -> list[tuple[int, int]]:
    """The byte range ``(start, end)`` of every tune of an ABC file, in file order."""
    starts: list[int] = []
    with open(path, "rb") as handle:
        for offset, line in abc_lines(handle):
            if starts_tune(offset, line):
                starts.append(offset)
        size = handle.tell()
    return list(zip(starts, [*starts[1:], size], strict=True)) if starts else []


def decode(data: bytes) -> str:
    """Text of a music file; old ABC and kern files are often Latin-1 rather than UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_text(path: Path) -> str:
    """Read a text music file as UTF-8, or as Latin-1 where it is not valid UTF-8."""
    return decode(Path(path).read_bytes())


def split_abc_tunes(text: str) -> list[str]:
    """Split the text of an ABC file into tunes, each prefixed with the file header.

    A tune starts at an ``X:`` line; lines before the first one form the file header, whose fields
    apply to every tune.
    """
    header: list[str] = []
    tunes: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("X:"):
            tunes.append([line])
        elif tunes:
            tunes[-1].append(line)
        else:
            header.append(line)
    return ["\n".join(header + tune) + "\n" for tune in tunes]


def read_abc_tune(path: Path, part: int, start: int = 0, end: int = 0) -> str:
    """The text of tune number ``part`` (1-based) of an ABC file, with the file header before it.

    With its byte range known (from the index) only the header and the tune are read.
    """
    ranges = abc_tune_ranges(path) if end <= start else None
    if ranges is not None:
        if not 1 <= part <= len(ranges):
            raise ValueError(f"{path} holds {len(ranges)} ABC tunes, so there is no tune {part}")
        start, end = ranges[part - 1]
    with open(path, "rb") as handle:
        header = handle.read(first_tune_start(path))
        handle.seek(start)
        tune = handle.read(end - start)
    return "\n".join(decode(header + tune).splitlines()) + "\n"


def first_tune_start(path: Path) -> int:
    """Byte offset of the first ``X:`` line: everything before it is the file header."""
    with open(path, "rb") as handle:
        for offset, line in abc_lines(handle):
            if starts_tune(offset, line):
                return offset
    return 0


def starts_tune(offset: int, line: bytes) -> bool:
    """True for an ``X:`` line (the first line of a file may carry a UTF-8 byte order mark)."""
    if offset == 0 and line.startswith(BYTE_ORDER_MARK):
        line = line[len(BYTE_ORDER_MARK) :]
    return line.startswith(b"X:")


def file_songs(path: Path, dataset: SourceSettings, workdir: Path = Path(".")) -> list[SongSource]:
    """The songs of one file: one per tune of an ABC file, else one for the whole file.

    An ABC file without any tune still gets one row (part 0), which the encoder rejects.
    """
    song_id = f"{dataset.name}:{display_path(path, dataset, workdir)}"
    if path.suffix.lower() == ".abc":
        ranges = abc_tune_ranges(path)
        if ranges:
            return [
                SongSource(f"{song_id}#{part}", dataset.name, str(path), part, start, end)
                for part, (start, end) in enumerate(ranges, start=1)
            ]
    return [SongSource(song_id, dataset.name, str(path), 0)]


def list_songs(datasets: list[SourceSettings], workdir: Path = Path(".")) -> list[SongSource]:
    """Every song of every dataset, in a stable order, honouring each dataset's ``max_songs``."""
    songs: list[SongSource] = []
    for dataset in datasets:
        found: list[SongSource] = []
        limit = dataset.max_songs
        for path in matched_files(dataset, workdir):
            found.extend(file_songs(path, dataset, workdir))
            if limit is not None and len(found) >= limit:
                break
        songs.extend(found[:limit] if limit is not None else found)
    return songs


def write_index(songs: list[SongSource], path: Path) -> None:
    """Write the song list as a TSV table."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, INDEX_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for song in songs:
            writer.writerow(asdict(song))


def read_index(path: Path) -> list[SongSource]:
    """Read a song list written by :func:`write_index`."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            SongSource(
                row["song_id"],
                row["dataset"],
                row["file"],
                int(row["part"]),
                int(row["start"]),
                int(row["end"]),
            )
            for row in csv.DictReader(handle, delimiter="\t")
        ]


def shard_of(songs: list[SongSource], shard: int, n_shards: int) -> list[SongSource]:
    """The songs of one shard: every ``n_shards``-th song, so shards get a similar mix."""
    return songs[shard::n_shards]
