"""Encode one shard of songs: parse, pick the melody, transpose, tokenise; reject with reasons."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from .scores import ENCODING_ERROR, Rejected, parse_song, score_to_melody
from .sources import SongSource
from .tokens import events_to_tokens

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
    "tokens",
)
REJECT_COLUMNS = ("song_id", "file", "reason", "detail")


def encode_songs(sources: list[SongSource], encoding: dict) -> tuple[list[dict], list[dict]]:
    """Encode songs; return ``(encoded rows, reject rows)``. One bad song never stops the rest."""
    encoded: list[dict] = []
    rejects: list[dict] = []
    for source in sources:
        try:
            scores = parse_song(source)
        except Rejected as rejected:
            rejects.append(reject_row(source.song_id, source.file, rejected))
            continue
        for song_id, score in scores:
            try:
                melody = score_to_melody(
                    score,
                    step=encoding["time_step"],
                    policy=encoding["duration_policy"],
                    acceptable_durations=encoding["acceptable_durations"],
                    melody_part=encoding["melody_part"],
                    transpose=encoding["transpose"],
                )
            except Rejected as rejected:
                rejects.append(reject_row(song_id, source.file, rejected))
                continue
            except Exception as error:  # a music21 failure on one odd song must not stop the rest
                problem = Rejected(ENCODING_ERROR, f"{type(error).__name__}: {error}")
                rejects.append(reject_row(song_id, source.file, problem))
                continue
            tokens = events_to_tokens(melody.events)
            encoded.append(
                {
                    "song_id": song_id,
                    "dataset": source.dataset,
                    "file": source.file,
                    "key": melody.key,
                    "transposition": melody.transposition,
                    "time_signature": melody.time_signature,
                    "pickup_steps": melody.pickup_steps,
                    "n_steps": len(tokens),
                    "tokens": " ".join(tokens),
                }
            )
    log.info("encoded %d songs, rejected %d", len(encoded), len(rejects))
    return encoded, rejects


def reject_row(song_id: str, file: str, rejected: Rejected) -> dict:
    """A row of the rejects table; tabs and newlines in music21's messages are flattened."""
    detail = " ".join(rejected.detail.split())
    log.info("rejected %s (%s): %s", song_id, rejected.reason, detail)
    return {"song_id": song_id, "file": file, "reason": rejected.reason, "detail": detail}


def write_table(rows: list[dict], columns: tuple[str, ...], path: Path) -> None:
    """Write rows as a tab-separated table with a header."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_table(path: Path) -> list[dict]:
    """Read a table written by :func:`write_table`."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def encode_shard(
    sources: list[SongSource], encoding: dict, encoded_path: Path, rejects_path: Path
) -> None:
    """Encode a shard's songs and write the encoded and rejects tables."""
    encoded, rejects = encode_songs(sources, encoding)
    write_table(encoded, ENCODED_COLUMNS, encoded_path)
    write_table(rejects, REJECT_COLUMNS, rejects_path)
