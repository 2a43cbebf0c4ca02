"""Where songs come from: the datasets in config, resolved to files and to songs within files.

A dataset is either a glob inside music21's own corpus (``corpus:``, the embedded default) or a glob
of the user's files relative to the working directory (``files:``, normally under ``resources/``).
An ABC file may hold many tunes; it is split here, cheaply and as text, so that each tune is parsed
on its own in whichever shard it lands.
"""

from __future__ import annotations

import csv
import glob
from dataclasses import asdict, dataclass
from pathlib import Path

MUSIC_SUFFIXES = (".krn", ".mid", ".midi", ".abc", ".xml", ".musicxml", ".mxl")
INDEX_COLUMNS = ("song_id", "dataset", "file", "part")


@dataclass(frozen=True)
class SongSource:
    """One song to encode: a file and, for ABC files, the ordinal of the tune inside it."""

    song_id: str
    dataset: str
    file: str
    part: int  # 1-based tune number within an ABC file; 0 for a whole file


def corpus_root() -> Path:
    """The folder of the corpus that ships inside the music21 package."""
    import music21

    return Path(music21.__file__).parent / "corpus"


def dataset_files(dataset: dict, workdir: Path = Path(".")) -> list[Path]:
    """The music files a dataset's glob matches, sorted, with unknown suffixes left out."""
    root = corpus_root() if "corpus" in dataset else workdir
    pattern = dataset.get("corpus") or dataset.get("files")
    matches = glob.glob(str(root / pattern), recursive=True)
    return sorted(
        Path(match)
        for match in matches
        if Path(match).is_file() and Path(match).suffix.lower() in MUSIC_SUFFIXES
    )


def display_path(path: Path, dataset: dict, workdir: Path = Path(".")) -> str:
    """The path as the user wrote it: relative to the corpus or to the working directory."""
    root = corpus_root() if "corpus" in dataset else workdir
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


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


def read_abc_tune(path: Path, part: int) -> str:
    """The text of tune number ``part`` (1-based) of an ABC file."""
    return split_abc_tunes(read_text(path))[part - 1]


def read_text(path: Path) -> str:
    """Read a text music file; old ABC and kern files are often Latin-1 rather than UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def list_songs(datasets: list[dict], workdir: Path = Path(".")) -> list[SongSource]:
    """Every song of every dataset, in a stable order, honouring each dataset's ``max_songs``."""
    songs: list[SongSource] = []
    for dataset in datasets:
        found: list[SongSource] = []
        limit = dataset.get("max_songs")
        for path in dataset_files(dataset, workdir):
            shown = display_path(path, dataset, workdir)
            if path.suffix.lower() == ".abc":
                n_tunes = len(split_abc_tunes(read_text(path)))
                parts = range(1, n_tunes + 1)
            else:
                parts = [0]
            for part in parts:
                song_id = f"{dataset['name']}:{shown}" + (f"#{part}" if part else "")
                found.append(SongSource(song_id, dataset["name"], str(path), part))
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
            SongSource(row["song_id"], row["dataset"], row["file"], int(row["part"]))
            for row in csv.DictReader(handle, delimiter="\t")
        ]


def shard_of(songs: list[SongSource], shard: int, n_shards: int) -> list[SongSource]:
    """The songs of one shard: every ``n_shards``-th song, so shards get a similar mix."""
    return songs[shard::n_shards]
