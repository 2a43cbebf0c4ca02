"""Split, vocabulary and tensors: deterministic, stable, compact."""

import json

import numpy as np

from musiclstm.data.encode import ENCODED_COLUMNS, REJECT_COLUMNS, write_table
from musiclstm.data.splits import account_songs, assign_splits, read_songs, split_dataset
from musiclstm.data.tensors import load_songs, save_arrays, songs_to_arrays
from musiclstm.data.vocabulary import Vocabulary, build_vocabulary, save_vocabulary
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.settings import SplitSettings, settings

MELODY = MelodyRepresentation()

SONGS = [
    "60 _ 62 _ 64 _ _ _",
    "67 _ _ _ r _ 65 64",
    "57 _ 59 60 _ _ 72 _",
    "64 _ _ _ 64 _ _ _ 62",
]


def test_split_is_deterministic_whole_songs_and_sized_by_fraction():
    ids = [f"set:song{i}" for i in range(200)]
    first = assign_splits(ids, 0.1, 0.2, seed=0)
    assert first == assign_splits(list(reversed(ids)), 0.1, 0.2, seed=0)
    counts = {name: list(first.values()).count(name) for name in ("train", "valid", "test")}
    assert counts == {"train": 140, "valid": 20, "test": 40}
    assert assign_splits(ids, 0.1, 0.2, seed=1) != first


def test_tiny_datasets_still_get_a_valid_and_test_song():
    split = assign_splits(["a", "b", "c"], 0.1, 0.1, seed=0)
    assert sorted(split.values()) == ["test", "train", "valid"]


def test_split_dataset_writes_one_song_per_line_and_tables(tmp_path):
    rows = [
        {c: "" for c in ENCODED_COLUMNS} | {"song_id": f"s{i}", "file": f"f{i}", "tokens": t}
        for i, t in enumerate(SONGS * 5)
    ]
    write_table(rows[:10], ENCODED_COLUMNS, tmp_path / "a.tsv")
    write_table(rows[10:], ENCODED_COLUMNS, tmp_path / "b.tsv")
    reject = {"song_id": "bad", "file": "x.mid", "reason": "unreadable", "detail": "no"}
    write_table([reject], REJECT_COLUMNS, tmp_path / "a.rejects.tsv")
    write_table([], REJECT_COLUMNS, tmp_path / "b.rejects.tsv")
    summary = account_songs(
        None,
        [tmp_path / "a.tsv", tmp_path / "b.tsv"],
        [tmp_path / "a.rejects.tsv", tmp_path / "b.rejects.tsv"],
        tmp_path / "rejects.tsv",
        tmp_path / "summary.json",
    )
    assert summary["rejected_by_reason"] == {"unreadable": 1}
    assert (summary["files_in"], summary["files_encoded"], summary["files_rejected"]) == (21, 20, 1)
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    paths = {name: tmp_path / f"{name}.txt" for name in ("train", "valid", "test")}
    sizes = split_dataset(
        [tmp_path / "a.tsv", tmp_path / "b.tsv"],
        settings(SplitSettings, valid_fraction=0.1, test_fraction=0.1, seed=0),
        paths,
        tmp_path / "songs.tsv",
        tmp_path / "summary.json",
    )
    assert sizes["songs_per_split"] == {"train": 16, "valid": 2, "test": 2}
    lines = [song for name in paths for song in read_songs(paths[name])]
    assert sorted(" ".join(song) for song in lines) == sorted(SONGS * 5)


def test_vocabulary_is_sorted_stable_and_byte_identical(tmp_path):
    songs = [song.split() for song in SONGS]
    save_vocabulary(build_vocabulary(songs, MELODY), tmp_path / "a.json")
    save_vocabulary(build_vocabulary(list(reversed(songs)), MELODY), tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    tokens = json.loads((tmp_path / "a.json").read_text())["tokens"]
    assert tokens == ["/", "<unk>", "57", "59", "60", "62", "64", "65", "67", "72", "r", "_"]


def test_tensors_round_trip_compactly(tmp_path):
    songs = [song.split() for song in SONGS]
    vocabulary = Vocabulary(build_vocabulary(songs[:2], MELODY)["tokens"])
    arrays = songs_to_arrays(songs, vocabulary)
    assert arrays["tokens"].dtype == np.uint8
    assert arrays["tokens"].size == sum(len(song) for song in songs)  # no one-hot, no padding
    save_arrays(arrays, tmp_path / "train.npz")
    loaded = load_songs(tmp_path / "train.npz")
    assert [len(song) for song in loaded] == [len(song) for song in songs]
    decoded = [vocabulary.decode(song) for song in loaded]
    assert decoded[:2] == songs[:2]
    # Tokens missing from the training vocabulary come back as <unk>.
    assert decoded[2] == ["<unk>", "_", "<unk>", "60", "_", "_", "<unk>", "_"]
