"""Encode one shard of songs: parse, pick the melody, transpose, tokenise; reject with reasons.

Songs are parsed and written one at a time, so a shard of 10,000 tunes never holds more than one
parsed score in memory. Every song of the shard ends as exactly one row, in the encoded table or
in the rejects table.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from musiclstm.data.parsing import parse_song
from musiclstm.data.rejects import ENCODING_ERROR, Rejected
from musiclstm.data.sections import song_sections
from musiclstm.data.sources import SongSource
from musiclstm.representation.base import EncodedSong, Representation
from musiclstm.settings import EncodingSettings

log = logging.getLogger(__name__)

ENCODED_COLUMNS = (
    "song_id",
    "dataset",
    "file",
    "key",
    "transposition",
    "time_signature",
    "pickup_steps",
    "n_steps",
    "phrase_ends",
    "tokens",
)
REJECT_COLUMNS = ("song_id", "file", "reason", "detail")


def iter_outcomes(
    sources: list[SongSource], encoding: EncodingSettings, representation: Representation
) -> Iterator[tuple[str, dict]]:
    """``("encoded", row)`` or ``("rejected", row)`` for every song, one song at a time, as
    ``representation`` encodes it.

    One bad song never stops the rest: whatever music21 raises on one song becomes a reject.
    """
    for source in sources:
        try:
            songs = parse_song(source)
        except Rejected as rejected:
            yield "rejected", reject_row(source.song_id, source.file, rejected)
            continue
        for song_id, song in sections_of(songs, encoding):
            if isinstance(song, Rejected):
                yield "rejected", reject_row(song_id, source.file, song)
                continue
            try:
                encoded = representation.encode(song, encoding)
            except Rejected as rejected:
                yield "rejected", reject_row(song_id, source.file, rejected)
                continue
            except Exception as error:  # a music21 failure on one odd song must not stop the rest
                detail = f"{type(error).__name__} while reading the melody: {error}"
                yield "rejected", reject_row(song_id, source.file, Rejected(ENCODING_ERROR, detail))
                continue
            yield "encoded", encoded_row(song_id, source, encoded, encoding.time_step)


def sections_of(songs: list[tuple], encoding: EncodingSettings) -> Iterator[tuple]:
    """``(song_id, song)`` for every section of every song (:func:`song_sections`), or
    ``(song_id, Rejected)`` for a song whose repeats or meter the encoding refuses."""
    for song_id, song in songs:
        try:
            yield from song_sections(song_id, song, encoding)
        except Rejected as rejected:
            yield song_id, rejected
        except Exception as error:  # music21 failing to cut one odd score must not stop the rest
            detail = f"{type(error).__name__} while cutting the score into sections: {error}"
            yield song_id, Rejected(ENCODING_ERROR, detail)


def encoded_row(
    song_id: str, source: SongSource, song: EncodedSong, time_step: float = 0.25
) -> dict:
    """A row of the encoded table; ``phrase_ends`` the steps where each phrase of an ABC tune
    ends (its lines, see :mod:`.abc_phrases`), blank where they are not known."""
    return {
        "song_id": song_id,
        "dataset": source.dataset,
        "file": source.file,
        "key": song.key,
        "transposition": song.transposition,
        "time_signature": song.time_signature,
        "pickup_steps": song.pickup_steps,
        "n_steps": len(song.tokens),
        "phrase_ends": " ".join(map(str, source_phrase_ends(source, len(song.tokens), time_step))),
        "tokens": " ".join(song.tokens),
    }


def source_phrase_ends(source: SongSource, length: int, time_step: float) -> list[int]:
    """The ends of the lines of the ABC tune ``source`` is, where they add up to the song's
    ``length`` steps as encoded (a tune cut into sections, or with its repeats written out, has
    none); [] for other files."""
    from musiclstm.data.abc_phrases import song_phrase_ends
    from musiclstm.data.sources import read_abc_tune

    if not source.part or Path(source.file).suffix.lower() != ".abc":
        return []
    tune = read_abc_tune(Path(source.file), source.part, source.start, source.end)
    return song_phrase_ends(tune, time_step, length)


def encode_songs(
    sources: list[SongSource], encoding: EncodingSettings, representation: Representation
) -> tuple[list[dict], list[dict]]:
    """Encode songs; return ``(encoded rows, reject rows)``. One bad song never stops the rest."""
    encoded: list[dict] = []
    rejects: list[dict] = []
    for outcome, row in iter_outcomes(sources, encoding, representation):
        (encoded if outcome == "encoded" else rejects).append(row)
    log_counts(len(encoded), Counter(row["reason"] for row in rejects))
    return encoded, rejects


def reject_row(song_id: str, file: str, rejected: Rejected) -> dict:
    """A row of the rejects table; tabs and newlines in music21's messages are flattened."""
    detail = " ".join(rejected.detail.split())
    log.info("rejected %s (%s): %s", song_id, rejected.reason, detail)
    return {"song_id": song_id, "file": file, "reason": rejected.reason, "detail": detail}


def log_counts(n_encoded: int, reasons: Counter) -> None:
    by_reason = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
    rejected = sum(reasons.values())
    log.info(
        "encoded %d songs, rejected %d%s",
        n_encoded,
        rejected,
        f" ({by_reason})" if rejected else "",
    )


def write_table(rows: list[dict], columns: tuple[str, ...], path: Path) -> None:
    """Write rows as a tab-separated table with a header."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_table(path: Path) -> list[dict]:
    """Read a table written by :func:`write_table`."""
    return list(iter_table(path))


def iter_table(path: Path) -> Iterator[dict]:
    """The rows of a table written by :func:`write_table`, one at a time."""
    with open(path, newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle, delimiter="\t")


def encode_shard(
    sources: list[SongSource],
    encoding: EncodingSettings,
    representation: Representation,
    encoded_path: Path,
    rejects_path: Path,
) -> None:
    """Encode a shard's songs and write the encoded and rejects tables as the songs come."""
    reasons: Counter = Counter()
    n_encoded = 0
    with (
        open(encoded_path, "w", newline="", encoding="utf-8") as encoded_file,
        open(rejects_path, "w", newline="", encoding="utf-8") as rejects_file,
    ):
        encoded = csv.DictWriter(encoded_file, ENCODED_COLUMNS, delimiter="\t", lineterminator="\n")
        rejects = csv.DictWriter(rejects_file, REJECT_COLUMNS, delimiter="\t", lineterminator="\n")
        encoded.writeheader()
        rejects.writeheader()
        for outcome, row in iter_outcomes(sources, encoding, representation):
            if outcome == "encoded":
                encoded.writerow(row)
                n_encoded += 1
            else:
                rejects.writerow(row)
                reasons[row["reason"]] += 1
    log_counts(n_encoded, reasons)
