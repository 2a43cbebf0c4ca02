"""Account for every song, then split the encoded ones into train, valid and test sets.

:func:`account_songs` merges the shards' rejects and checks that every song of the index ended in
exactly one place, encoded or rejected; it writes the rejects table and the summary. Only then
:func:`split_dataset` splits the encoded songs, deterministically and by whole songs, and stops with
a message that points at the rejects table when no song (or too few) could be encoded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
from collections import Counter
from pathlib import Path

from musiclstm.data.encode import (
    ENCODED_COLUMNS,
    REJECT_COLUMNS,
    iter_table,
    read_table,
    write_table,
)
from musiclstm.data.sections import unsectioned
from musiclstm.data.sources import read_index
from musiclstm.settings import SplitSettings

log = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")


class NotEnoughSongs(ValueError):
    """Too few songs were encoded to train and evaluate; the message says why and where to look."""


def song_rank(song_id: str, seed: int | str) -> str:
    """A stable pseudo-random rank for a song: the hash of its id salted with the split seed."""
    return hashlib.sha256(f"{seed}:{song_id}".encode()).hexdigest()


def assign_splits(
    song_ids: list[str], valid_fraction: float, test_fraction: float, seed: int
) -> dict[str, str]:
    """Map each song id to a split.

    Songs are ordered by a salted hash of their id and cut at exact counts, so the result does not
    depend on file order or on the machine, and a fraction above zero gets at least one song when
    there are songs enough to give every split one.
    """
    ranked = sorted(song_ids, key=lambda song_id: song_rank(song_id, seed))
    n = len(ranked)
    n_test = round(n * test_fraction)
    n_valid = round(n * valid_fraction)
    if n >= 3:
        n_test = max(n_test, 1 if test_fraction > 0 else 0)
        n_valid = max(n_valid, 1 if valid_fraction > 0 else 0)
    assignment = {}
    for position, song_id in enumerate(ranked):
        if position < n_test:
            assignment[song_id] = "test"
        elif position < n_test + n_valid:
            assignment[song_id] = "valid"
        else:
            assignment[song_id] = "train"
    return assignment


def assign_folds(song_ids: list[str], folds: int, seed: int) -> dict[str, int]:
    """Map each song id to the cross-validation fold (1 to ``folds``) whose test split it is in.

    Songs ranked by the split's salted hash are dealt to the folds in turn, so every song is in
    exactly one fold, the folds differ in size by one song at most, and neither file order nor
    the machine changes them.
    """
    if folds < 2:
        raise ValueError(f"cross-validation needs 2 folds or more, not {folds}")
    ranked = sorted(song_ids, key=lambda song_id: song_rank(song_id, seed))
    return {song_id: position % folds + 1 for position, song_id in enumerate(ranked)}


def assign_fold_splits(
    song_ids: list[str], fold: int, folds: int, valid_fraction: float, seed: int
) -> dict[str, str]:
    """Map each song id to its split in one fold of the cross-validation.

    The fold's songs (:func:`assign_folds`) are the test split; of the others, as many as the
    normal split holds out (``valid_fraction`` of all songs, at least one) are the validation
    split, chosen by a hash salted with the fold as well, so that each fold validates on other
    songs; the rest are trained on.
    """
    if not 1 <= fold <= folds:
        raise ValueError(f"fold {fold} is not one of the folds 1 to {folds}")
    test_folds = assign_folds(song_ids, folds, seed)
    rest = sorted(
        (song_id for song_id in song_ids if test_folds[song_id] != fold),
        key=lambda song_id: song_rank(song_id, f"{seed}:fold{fold}"),
    )
    n_valid = max(round(len(song_ids) * valid_fraction), 1)
    assignment = dict.fromkeys((s for s in song_ids if test_folds[s] == fold), "test")
    for position, song_id in enumerate(rest):
        assignment[song_id] = "valid" if position < n_valid else "train"
    return assignment


def work_of(song_id: str, work: str) -> str:
    """The work a song belongs to, as its source's ``work`` setting says: the song (and the
    sections cut from it), its file (the id up to its first ``#``: every song of the file), or
    its file's folder. Built from the id, so no machine's paths enter the split."""
    if work == "song":
        return unsectioned(song_id)
    dataset_file = song_id.split("#", 1)[0]
    if work == "file":
        return dataset_file
    if work == "folder":
        return posixpath.dirname(dataset_file) + "/"
    raise ValueError(f"a source's work must be 'song', 'file' or 'folder', not {work!r}")


def dealt_units(rows: list[dict], by: str, works: dict[str, str] | None) -> dict[str, str]:
    """Each song id's unit of the split: its song with ``split.by: song``; with ``work``, its
    work as ``works`` (dataset name -> the source's ``work``) says."""
    if by not in ("song", "work"):
        raise ValueError(f"split.by must be 'song' or 'work', not {by!r}")
    works = (works or {}) if by == "work" else {}
    return {
        row["song_id"]: work_of(row["song_id"], works.get(row["dataset"], "song")) for row in rows
    }


def source_of(song_id: str, index_ids: set[str]) -> str | None:
    """The index song a result row comes from: itself, or the file it is song ``#n`` of."""
    candidate = song_id
    while candidate not in index_ids:
        if "#" not in candidate:
            return None
        candidate = candidate.rsplit("#", 1)[0]
    return candidate


def account_songs(
    index_path: Path | None,
    encoded_paths: list[Path],
    rejects_paths: list[Path],
    rejects_path: Path,
    summary_path: Path,
) -> dict:
    """Merge the shards' rejects, check that every song is accounted for, write the summary.

    Every song of the index must end as encoded rows or reject rows (a file such as a kern file
    of two melodies gives several), and no song twice; anything else is a bug and stops here.
    The summary counts files and songs in, encoded and rejected, and the rejects by reason.
    """
    outcomes: dict[str, tuple[str, str]] = {}  # song id -> (file, reason or "")
    for path in encoded_paths:
        for row in iter_table(path):
            add_outcome(outcomes, row["song_id"], row["file"], "")
    rejects = [row for path in rejects_paths for row in read_table(path)]
    for row in rejects:
        add_outcome(outcomes, row["song_id"], row["file"], row["reason"])
    rejects.sort(key=lambda row: row["song_id"])
    write_table(rejects, REJECT_COLUMNS, rejects_path)
    index_files = check_accounted(index_path, outcomes) if index_path is not None else []
    summary = summarise(outcomes, index_files, rejects_path)
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    by_reason = ", ".join(f"{reason} {n}" for reason, n in summary["rejected_by_reason"].items())
    log.info(
        "%d files, %d songs: %d encoded, %d rejected%s; each reject's file and reason: %s",
        summary["files_in"],
        summary["songs_in"],
        summary["songs_encoded"],
        summary["songs_rejected"],
        f" ({by_reason})" if by_reason else "",
        rejects_path,
    )
    return summary


def check_accounted(index_path: Path, outcomes: dict[str, tuple[str, str]]) -> list[str]:
    """Check that every song of the index has an outcome and every outcome a song of the index;
    return the index's files, so that the summary counts each file the index lists."""
    index = read_index(index_path)
    index_ids = {song.song_id for song in index}
    accounted: Counter = Counter()
    for song_id, (file, _) in outcomes.items():
        source = source_of(song_id, index_ids)
        if source is None:
            raise ValueError(f"song {song_id!r} of {file} is not in the song index {index_path}")
        accounted[source] += 1
    missing = [song for song in index if not accounted[song.song_id]]
    if missing:
        raise ValueError(
            f"{len(missing)} songs of the index were neither encoded nor rejected, the first "
            f"{missing[0].song_id!r} of {missing[0].file}"
        )
    return [song.file for song in index]


def summarise(
    outcomes: dict[str, tuple[str, str]], index_files: list[str], rejects_path: Path
) -> dict:
    """Files and songs in, encoded and rejected, and the rejects by reason."""
    files: dict[str, list[str]] = {file: [] for file in index_files}  # file -> its songs' reasons
    for file, reason in outcomes.values():
        files.setdefault(file, []).append(reason)
    reasons = Counter(reason for _, reason in outcomes.values() if reason)
    n_rejected = sum(reasons.values())
    return {
        "files_in": len(files),
        "files_encoded": sum(1 for found in files.values() if not any(found)),
        "files_partly_encoded": sum(1 for found in files.values() if any(found) and "" in found),
        "files_rejected": sum(1 for found in files.values() if "" not in found),
        "songs_in": len(outcomes),
        "songs_encoded": len(outcomes) - n_rejected,
        "songs_rejected": n_rejected,
        "rejected_by_reason": dict(sorted(reasons.items())),
        "rejects_table": str(rejects_path),
    }


def add_outcome(outcomes: dict, song_id: str, file: str, reason: str) -> None:
    if song_id in outcomes:
        raise ValueError(f"song {song_id!r} of {file} ended in the results twice")
    outcomes[song_id] = (file, reason)


def split_dataset(
    encoded_paths: list[Path],
    split: SplitSettings,
    split_text_paths: dict[str, Path],
    songs_path: Path,
    summary_path: Path | None = None,
    fold: int | None = None,
    works: dict[str, str] | None = None,
) -> dict:
    """Merge encoded shards, split them, and write the split texts and the song table.

    Each split text holds one song per line, in the order of the song table; the song table gives
    every song's split and its line within that split's text. Returns songs and steps per split.
    With a ``fold`` (1 to ``split.folds``) the split is that fold of the cross-validation
    (:func:`assign_fold_splits`). Whole songs are dealt (a song's sections together), or with
    ``split.by: work`` whole works, each dataset's as ``works`` (name -> its ``work``) says.
    Raises :class:`NotEnoughSongs`, pointing at the rejects table,
    when no song was encoded or too few to give every split one.
    """
    rows = [row for path in encoded_paths for row in read_table(path)]
    rows.sort(key=lambda row: row["song_id"])
    units = dealt_units(rows, split.by, works)
    unit_ids = sorted(set(units.values()))
    if fold is None:
        dealt = assign_splits(unit_ids, split.valid_fraction, split.test_fraction, split.seed)
    else:
        dealt = assign_fold_splits(
            unit_ids, fold, split.folds or 0, split.valid_fraction, split.seed
        )
    assignment = {song_id: dealt[unit] for song_id, unit in units.items()}
    lines: dict[str, list[str]] = {name: [] for name in SPLITS}
    table = []
    for row in rows:
        name = assignment[row["song_id"]]
        table.append({**row, "split": name, "line": len(lines[name]) + 1})
        lines[name].append(row["tokens"])
    empty = [name for name in SPLITS if not lines[name]]
    if empty:
        raise NotEnoughSongs(not_enough_songs(len(rows), empty, summary_path))
    for name in SPLITS:
        split_text_paths[name].write_text("".join(line + "\n" for line in lines[name]))
    columns = tuple(c for c in ENCODED_COLUMNS if c != "tokens") + ("split", "line")
    write_table([{c: row.get(c, "") for c in columns} for row in table], columns, songs_path)
    sizes = {
        "songs_per_split": {name: len(lines[name]) for name in SPLITS},
        "steps_per_split": {
            name: sum(len(line.split()) for line in lines[name]) for name in SPLITS
        },
    }
    log.info("songs per split: %s", sizes["songs_per_split"])
    return sizes


def not_enough_songs(n_encoded: int, empty: list[str], summary_path: Path | None) -> str:
    """Why the split cannot be made, with the rejects' reasons and where the table is."""
    summary = json.loads(Path(summary_path).read_text()) if summary_path else {}
    reasons = ", ".join(f"{r}: {n}" for r, n in summary.get("rejected_by_reason", {}).items())
    where = summary.get("rejects_table", "the rejects table")
    rejected = summary.get("songs_rejected")
    if n_encoded == 0:
        count = f"all {rejected} songs" if rejected else "every song"
        return (
            f"no song could be encoded: {count} of the datasets were rejected"
            + (f" ({reasons})" if reasons else "")
            + f"; see {where} for each song's file and reason, and the encoding settings in "
            "config.yaml (duration_policy, triplets, chords, melody_part) that decide them"
        )
    return (
        f"only {n_encoded} songs were encoded, too few to give the {', '.join(empty)} split a "
        f"song (train, valid and test need one each)"
        + (f"; {rejected} songs were rejected ({reasons}), see {where}" if rejected else "")
    )


def read_songs(path: Path) -> list[list[str]]:
    """Read a split text: one song per line, tokens separated by spaces."""
    return [line.split() for line in Path(path).read_text().splitlines() if line.strip()]
