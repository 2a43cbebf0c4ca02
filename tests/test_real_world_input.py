"""Real-world input: every file, however messy, becomes songs or rejects with a reason a person can
read, and the counts add up exactly."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import music21
import pytest
import yaml
from real_world_files import (
    MIDI_OUTCOMES,
    TUNE_TOKENS,
    big_abc,
    midi_fixtures,
    write_midi_fixtures,
)

from conftest import FIXTURES, REPO
from musiclstm.data.encode import encode_shard, encode_songs, read_table
from musiclstm.data.melody import score_to_melody
from musiclstm.data.rejects import REASONS, Rejected
from musiclstm.data.sources import (
    SongSource,
    abc_tune_ranges,
    list_songs,
    read_abc_tune,
    shard_of,
    split_abc_tunes,
    write_index,
)
from musiclstm.data.splits import NotEnoughSongs, account_songs, split_dataset
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.settings import EncodingSettings, SplitSettings, settings, source_settings

MELODY = MelodyRepresentation()

REAL_WORLD = FIXTURES / "real_world"
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


DEFAULT_ENCODING = settings(EncodingSettings)
SPLIT = settings(SplitSettings, valid_fraction=0.1, test_fraction=0.1, seed=0)


def encode_file(path: Path, **options) -> tuple[list[dict], list[dict]]:
    """Encode every song of one file, untransposed, with the given encoding settings."""
    songs = list_songs(source_settings([{"name": "t", "files": str(path)}]))
    return encode_songs(songs, settings(EncodingSettings, transpose=False, **options), MELODY)


def outcome(path: Path, **options) -> str:
    """The tokens of a one-song file, or its reject reason."""
    encoded, rejects = encode_file(path, **options)
    assert len(encoded) + len(rejects) == 1, (encoded, rejects)
    return encoded[0]["tokens"] if encoded else rejects[0]["reason"]


@pytest.fixture(scope="module")
def midi_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("midi") / "MIDI-Dateien (gemischt)"
    write_midi_fixtures(folder)
    return folder


# --- MIDI -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "type0 melody chords drums.mid",
        "unknown chunk.mid",
        "running status.mid",
        "pitch bends and lyrics.kar",
        "zero-length notes.mid",
        "chords in the melody.mid",
    ],
)
def test_midi_quirks_do_not_change_the_melody(midi_folder, name):
    # Channel 10 drums and a chord channel beside the melody, a chunk of unknown type, running
    # status, bends, lyrics and an SMPTE offset, zero-length notes, chords in the melody track:
    # the melody that comes out is the same eight quarter notes every time.
    assert outcome(midi_folder / name) == TUNE_TOKENS


def test_melody_track_is_first_highest_or_named(midi_folder):
    path = midi_folder / "type1 piano melody drums.mid"
    piano_top_notes = " ".join(["55"] + ["_"] * 7) * 1  # C-E-G half notes: G3 on top
    assert outcome(path).split()[:8] == piano_top_notes.split()
    assert outcome(path, melody_part="highest") == TUNE_TOKENS
    assert outcome(path, melody_part="named", melody_part_name="MELODY") == TUNE_TOKENS
    encoded, rejects = encode_file(path, melody_part="named", melody_part_name="violin")
    assert rejects[0]["reason"] == "no_melody_part"
    # The detail lists the parts there are, drums left out: they are never the melody.
    assert "'Piano'" in rejects[0]["detail"] and "'Melody'" in rejects[0]["detail"]
    assert "Drums" not in rejects[0]["detail"]
    encoded, _ = encode_file(path, melody_part="highest")
    assert encoded[0]["time_signature"] == "3/4"


def test_type2_tracks_are_separate_songs(midi_folder):
    encoded, rejects = encode_file(midi_folder / "type2 two patterns.mid")
    assert rejects == []
    assert [row["song_id"][-2:] for row in encoded] == ["#1", "#2"]
    assert encoded[0]["tokens"] == TUNE_TOKENS
    assert encoded[1]["tokens"].split()[::4] == TUNE_TOKENS.split()[::4][::-1]


def test_overlapping_notes_are_cut_by_the_next_onset(midi_folder):
    # Legato overlaps of 60 ticks, and a pitch struck again before its note-off.
    tokens = outcome(midi_folder / "overlapping notes.mid").split()
    assert tokens[::4] == ["67", "69", "71", "72", "74", "74", "71", "67"]
    assert len(tokens) == 32


def test_triplets_are_rejected_or_quantised_as_asked(midi_folder, tmp_path):
    path = midi_folder / "triplets.mid"
    encoded, rejects = encode_file(path)
    assert rejects[0]["reason"] == "triplet"
    assert "encoding.triplets" in rejects[0]["detail"]
    # A quarter C, triplet eighths D E F, a half G: the triplets snap to 1, 2 and 1 steps.
    assert outcome(path, triplets="quantize") == "60 _ _ _ 62 64 _ 65 67 _ _ _ _ _ _ _"


def test_chords_keep_the_top_note_or_reject(midi_folder):
    path = midi_folder / "chords in the melody.mid"
    assert outcome(path, chords="top_note") == TUNE_TOKENS
    encoded, rejects = encode_file(path, chords="reject")
    assert rejects[0]["reason"] == "chord"
    assert "E-4 G4" in rejects[0]["detail"]


def test_performed_midi_needs_quantize(midi_folder):
    path = midi_folder / "performed, not quantised.midi"
    assert outcome(path) == "unacceptable_duration"
    assert outcome(path, duration_policy="quantize") == TUNE_TOKENS


@pytest.mark.parametrize(
    "name, reason, detail",
    [
        ("empty.mid", "empty_file", "0 bytes"),
        ("truncated.mid", "unreadable", "truncated"),
        ("text renamed.mid", "unreadable", "not a MIDI file"),
        ("smpte division.mid", "unreadable", "SMPTE frames"),
        ("drums only.mid", "drums_only", "channel 10"),
    ],
)
def test_broken_midi_is_rejected_with_a_readable_reason(midi_folder, name, reason, detail):
    encoded, rejects = encode_file(midi_folder / name)
    assert encoded == []
    assert (rejects[0]["reason"], detail in rejects[0]["detail"]) == (reason, True)


def test_every_midi_fixture_has_its_expected_outcome(midi_folder):
    assert set(MIDI_OUTCOMES) == set(midi_fixtures())
    songs = list_songs(source_settings([{"name": "m", "files": str(midi_folder / "*")}]))
    encoded, rejects = encode_songs(songs, DEFAULT_ENCODING, MELODY)
    found = {row["song_id"]: "encoded" for row in encoded}
    found |= {row["song_id"]: row["reason"] for row in rejects}
    prefix = f"m:{midi_folder}/"
    expected = {
        prefix + name + suffix: result
        for name, outcomes in MIDI_OUTCOMES.items()
        for suffix, result in outcomes.items()
    }
    assert found == expected


# --- kern -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, settings, expected",
    [
        # A pickup of two eighths, a tie over the bar, B flat then B natural, 3/4 to 2/4 and back.
        (
            "ties_pickup_meter_change.krn",
            {},
            "60 _ 65 _ 69 _ _ _ 67 _ _ _ _ _ _ _ 70 _ _ _ 71 _ _ _ 65" + " _" * 11,
        ),
        ("triplets.krn", {}, "triplet"),
        (
            "triplets.krn",
            {"triplets": "quantize"},
            "60 _ _ _ 64 _ _ _ 67 65 _ 64 62 _ _ _ 60 _ _ _ _ _ _ _",
        ),
        # "*MX" (unmetered) is an interpretation music21 cannot read; no note is lost by it.
        (
            "unmetered_passage.krn",
            {},
            " ".join(f"{p} _ _ _" for p in (60, 62, 64, 65, 67, 69, 67, 65, 64, 62))
            + " 60"
            + " _" * 15,
        ),
        ("breve.krn", {}, "unacceptable_duration"),
        (
            "breve.krn",
            {"acceptable_durations": [2.0, 8.0]},
            "60" + " _" * 7 + " 64" + " _" * 7 + " 67" + " _" * 31,
        ),
        ("thirty_seconds.krn", {}, "unacceptable_duration"),
        (
            "thirty_seconds.krn",
            {"duration_policy": "quantize"},
            "62 64 67 _ _ _ _ _ 67 _ _ _ 60 _ _ _ _ _ _ _",
        ),
        ("grace_notes.krn", {}, "60 _ _ _ 64 _ _ _ 67 _ _ _ 64 _ _ _ 60 _ _ _ _ _ _ _"),
        ("malformed_token.krn", {}, "malformed"),
    ],
)
def test_kern_files(name, settings, expected):
    assert outcome(REAL_WORLD / name, **settings) == expected


def test_kern_pickup_and_meter_are_kept_in_the_song_table():
    (song,), _ = encode_file(REAL_WORLD / "ties_pickup_meter_change.krn")
    assert (song["time_signature"], song["pickup_steps"], song["key"]) == ("3/4", 8, "F major")


def test_malformed_kern_token_names_the_line_and_token():
    _, (reject,) = encode_file(REAL_WORLD / "malformed_token.krn")
    assert reject["detail"] == "line 8: cannot read the token '4xyz'"


def test_two_melodies_in_one_kern_file_are_two_songs():
    encoded, rejects = encode_file(REAL_WORLD / "two_melodies.krn")
    assert rejects == []
    assert [(row["song_id"][-2:], row["time_signature"]) for row in encoded] == [
        ("#1", "2/4"),
        ("#2", "3/4"),
    ]


# --- MusicXML -------------------------------------------------------------------------------------

LEAD_SHEET_TOKENS = "67 _ _ _ 69 _ 71 _ 72 _ _ _ 69 _ _ _ 71 _ _ _ _ _ _ _ r _ _ _ 67 _ _ _"


def test_lead_sheet_chord_symbols_are_not_melody(tmp_path):
    # The non-ASCII file name and part name are part of the test.
    path = tmp_path / "Schöne Grüße – Lied.musicxml"
    shutil.copy(REAL_WORLD / "lead_sheet_chord_symbols.musicxml", path)
    assert outcome(path, chords="reject") == LEAD_SHEET_TOKENS
    assert outcome(path, melody_part="named", melody_part_name="melodie") == LEAD_SHEET_TOKENS


def test_compressed_mxl_reads_like_its_xml(tmp_path):
    path = tmp_path / "Lied für Jürgen.mxl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0" encoding="UTF-8"?><container><rootfiles>'
            '<rootfile full-path="lied.musicxml"/></rootfiles></container>',
        )
        archive.write(REAL_WORLD / "lead_sheet_chord_symbols.musicxml", "lied.musicxml")
    assert outcome(path) == LEAD_SHEET_TOKENS


def test_piano_score_takes_the_upper_staff_with_its_chords_top_notes():
    path = REAL_WORLD / "piano_two_staves.musicxml"
    assert outcome(path) == "76 _ _ _ 76 _ _ _ 79 _ _ _ 77 _ _ _ _ _ _ _ 74 _ _ _ 76" + " _" * 11
    _, (reject,) = encode_file(path, chords="reject")
    assert reject["reason"] == "chord" and "C5 E5" in reject["detail"]


def test_musicxml_grace_notes_take_no_time():
    assert outcome(REAL_WORLD / "grace_notes.musicxml") == "74 _ _ _ 69 _ _ _ 74" + " _" * 7


# --- ABC ------------------------------------------------------------------------------------------


def test_big_abc_file_with_broken_tunes(tmp_path):
    text, expected = big_abc(200)
    path = tmp_path / "Sammlung mit Fehlern.abc"
    path.write_text(text, encoding="utf-8")
    encoded, rejects = encode_file(path)
    found = {row["song_id"]: "encoded" for row in encoded}
    found |= {row["song_id"]: row["reason"] for row in rejects}
    assert found == {f"t:{path}#{number}": result for number, result in expected.items()}
    assert sum(result != "encoded" for result in expected.values()) == 30
    assert all(row["detail"] for row in rejects)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_abc_tunes_are_found_by_byte_range_whatever_the_line_ends(tmp_path, newline):
    text, _ = big_abc(12)
    data = ("\ufeff" + text.replace("\n", newline)).encode("utf-8")
    path = tmp_path / "tunes.abc"
    path.write_bytes(data)
    ranges = abc_tune_ranges(path)
    assert len(ranges) == 12
    by_text = split_abc_tunes(text)
    for part, (start, end) in enumerate(ranges, start=1):
        assert read_abc_tune(path, part, start, end) == by_text[part - 1]
        assert read_abc_tune(path, part) == by_text[part - 1]


def test_abc_ranges_across_read_blocks(tmp_path):
    # Over 1 MiB, so the file is scanned in more than one block.
    text, _ = big_abc(20_000)
    path = tmp_path / "many.abc"
    path.write_text(text.replace("\n", "\r\n"), encoding="latin-1")
    ranges = abc_tune_ranges(path)
    assert path.stat().st_size > 1 << 20
    assert len(ranges) == 20_000
    tune = read_abc_tune(path, 19_999, *ranges[19_998])
    assert tune.startswith("%abc-2.1\n") and "X:19999\nT:Tune 19999\n" in tune
    assert tune == split_abc_tunes(text)[19_998]


def test_abc_file_without_tunes_and_other_files_are_rejected_not_dropped(tmp_path):
    (tmp_path / "no tunes.abc").write_text("% only a comment, no X: line\n")
    (tmp_path / "empty.abc").write_bytes(b"")
    (tmp_path / "liesmich.txt").write_text("Noten für den Chor")
    encoded, rejects = encode_file(tmp_path / "*")
    assert encoded == []
    reasons = {Path(row["file"]).name: (row["reason"], row["detail"]) for row in rejects}
    assert reasons["no tunes.abc"] == (
        "unreadable",
        "no ABC tune in the file: no line starts with 'X:'",
    )
    assert reasons["empty.abc"][0] == "empty_file"
    assert reasons["liesmich.txt"][0] == "unsupported_format"
    assert ".txt: not a music file" in reasons["liesmich.txt"][1]


# --- A folder of everything -----------------------------------------------------------------------

# Where each text fixture ends under the default encoding.
TEXT_OUTCOMES = {
    "kern/ties_pickup_meter_change.krn": {"": "encoded"},
    "kern/triplets.krn": {"": "triplet"},
    "kern/unmetered_passage.krn": {"": "encoded"},
    "kern/breve.krn": {"": "unacceptable_duration"},
    "kern/thirty_seconds.krn": {"": "unacceptable_duration"},
    "kern/grace_notes.krn": {"": "encoded"},
    "kern/two_melodies.krn": {"#1": "encoded", "#2": "encoded"},
    "kern/malformed_token.krn": {"": "malformed"},
    "kern/broken.krn": {"": "unreadable"},
    "kern/Pickup und Bindebögen.krn": {"": "encoded"},
    "xml/Schöne Grüße.musicxml": {"": "encoded"},
    "xml/Klavier zwei Systeme.musicxml": {"": "encoded"},
    "xml/Vorschläge.musicxml": {"": "encoded"},
    "xml/Lied für Jürgen.mxl": {"": "encoded"},
    "xml/kaputt.xml": {"": "unreadable"},
    "abc/two tunes.abc": {"#1": "encoded", "#2": "triplet"},
    "abc/leer.abc": {"": "empty_file"},
    "liesmich.txt": {"": "unsupported_format"},
}


def build_mixed_folder(root: Path, n_abc_tunes: int) -> dict[str, dict[str, str]]:
    """A folder of good and broken files of every kind; returns each file's expected outcomes."""
    write_midi_fixtures(root / "midi")
    (root / "kern").mkdir()
    for path in REAL_WORLD.glob("*.krn"):
        shutil.copy(path, root / "kern" / path.name)
    shutil.copy(FIXTURES / "broken.krn", root / "kern")
    shutil.copy(FIXTURES / "pickup_ties_g_major.krn", root / "kern/Pickup und Bindebögen.krn")
    (root / "xml").mkdir()
    lead_sheet = REAL_WORLD / "lead_sheet_chord_symbols.musicxml"
    shutil.copy(lead_sheet, root / "xml/Schöne Grüße.musicxml")
    shutil.copy(
        REAL_WORLD / "piano_two_staves.musicxml", root / "xml/Klavier zwei Systeme.musicxml"
    )
    shutil.copy(REAL_WORLD / "grace_notes.musicxml", root / "xml/Vorschläge.musicxml")
    with zipfile.ZipFile(root / "xml/Lied für Jürgen.mxl", "w") as archive:
        archive.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="a.musicxml"/></rootfiles></container>',
        )
        archive.write(lead_sheet, "a.musicxml")
    (root / "xml/kaputt.xml").write_text('<?xml version="1.0"?><score-partwise><part id="P1">')
    (root / "abc").mkdir()
    shutil.copy(FIXTURES / "two_tunes_one_broken.abc", root / "abc/two tunes.abc")
    (root / "abc/leer.abc").write_bytes(b"")
    text, abc_expected = big_abc(n_abc_tunes)
    (root / "abc/Sammlung.abc").write_text(text, encoding="utf-8")
    (root / "liesmich.txt").write_text("Lieder aus dem Nachlass\n")
    expected = dict(TEXT_OUTCOMES)
    expected |= {f"midi/{name}": outcomes for name, outcomes in MIDI_OUTCOMES.items()}
    expected["abc/Sammlung.abc"] = {f"#{n}": result for n, result in abc_expected.items()}
    return expected


def outcomes_by_file(root: Path, dataset: str, encoded: list[dict], rejects: list[dict]) -> dict:
    found: dict[str, dict[str, str]] = {}
    rows = [(row, "encoded") for row in encoded] + [(row, row["reason"]) for row in rejects]
    for row, result in rows:
        file = str(Path(row["file"]).relative_to(root))
        song = row["song_id"].removeprefix(f"{dataset}:")
        suffix = song.removeprefix(str(root) + "/").removeprefix(file)
        found.setdefault(file, {})[suffix] = result
    return found


def test_a_folder_of_everything_is_accounted_for_exactly(tmp_path):
    root = tmp_path / "Meine Lieder – alles gemischt"
    root.mkdir()
    expected = build_mixed_folder(root, n_abc_tunes=120)
    n_files = sum(1 for path in root.rglob("*") if path.is_file())
    assert n_files == len(expected)

    songs = list_songs(source_settings([{"name": "alles", "files": str(root / "**/*")}]))
    encoded_paths, rejects_paths = [], []
    for shard in range(3):
        encoded_paths.append(tmp_path / f"shard_{shard}.tsv")
        rejects_paths.append(tmp_path / f"shard_{shard}.rejects.tsv")
        encoded, rejected = encoded_paths[-1], rejects_paths[-1]
        encode_shard(shard_of(songs, shard, 3), DEFAULT_ENCODING, MELODY, encoded, rejected)
    encoded = [row for path in encoded_paths for row in read_table(path)]
    rejects = [row for path in rejects_paths for row in read_table(path)]
    assert outcomes_by_file(root, "alles", encoded, rejects) == expected

    index = tmp_path / "song_index.tsv"
    write_index(songs, index)
    summary = account_songs(
        index, encoded_paths, rejects_paths, tmp_path / "rejects.tsv", tmp_path / "summary.json"
    )
    results = [result for outcomes in expected.values() for result in outcomes.values()]
    assert summary["files_in"] == n_files
    assert (
        summary["files_encoded"] + summary["files_partly_encoded"] + summary["files_rejected"]
        == n_files
    )
    assert summary["files_partly_encoded"] == 2  # two tunes.abc and Sammlung.abc
    assert (
        summary["songs_in"] == len(results) == summary["songs_encoded"] + summary["songs_rejected"]
    )
    assert summary["songs_encoded"] == results.count("encoded")
    reasons = {reason: results.count(reason) for reason in set(results) - {"encoded"}}
    assert summary["rejected_by_reason"] == dict(sorted(reasons.items()))
    assert set(summary["rejected_by_reason"]) <= set(REASONS)
    table = read_table(tmp_path / "rejects.tsv")
    assert len(table) == summary["songs_rejected"]
    assert all(row["detail"] and "\t" not in row["detail"] for row in table)


def test_a_song_lost_between_index_and_results_is_caught(tmp_path):
    songs = list_songs(
        source_settings([{"name": "k", "files": str(REAL_WORLD / "grace_notes.krn")}])
    )
    write_index(songs + [SongSource("k:lost.krn", "k", "lost.krn", 0)], tmp_path / "index.tsv")
    encode_shard(songs, DEFAULT_ENCODING, MELODY, tmp_path / "s.tsv", tmp_path / "s.rejects.tsv")
    with pytest.raises(ValueError, match="neither encoded nor rejected.*'k:lost.krn'"):
        account_songs(
            tmp_path / "index.tsv",
            [tmp_path / "s.tsv"],
            [tmp_path / "s.rejects.tsv"],
            tmp_path / "rejects.tsv",
            tmp_path / "summary.json",
        )


def test_when_every_song_is_rejected_the_split_says_so(tmp_path):
    songs = [
        song
        for name in ("triplets.krn", "malformed_token.krn", "breve.krn")
        for song in list_songs(source_settings([{"name": "k", "files": str(REAL_WORLD / name)}]))
    ]
    encode_shard(songs, DEFAULT_ENCODING, MELODY, tmp_path / "s.tsv", tmp_path / "s.rejects.tsv")
    write_index(songs, tmp_path / "index.tsv")
    account_songs(
        tmp_path / "index.tsv",
        [tmp_path / "s.tsv"],
        [tmp_path / "s.rejects.tsv"],
        tmp_path / "rejects.tsv",
        tmp_path / "summary.json",
    )
    paths = {name: tmp_path / f"{name}.txt" for name in ("train", "valid", "test")}
    with pytest.raises(NotEnoughSongs) as error:
        split_dataset(
            [tmp_path / "s.tsv"],
            SPLIT,
            paths,
            tmp_path / "songs.tsv",
            tmp_path / "summary.json",
        )
    message = str(error.value)
    assert "no song could be encoded: all 3 songs of the datasets were rejected" in message
    assert "(malformed: 1, triplet: 1, unacceptable_duration: 1)" in message
    assert f"see {tmp_path / 'rejects.tsv'} for each song's file and reason" in message
    assert not paths["train"].exists()


def test_too_few_songs_for_the_splits_says_so(tmp_path):
    songs = list_songs(
        source_settings([{"name": "k", "files": str(REAL_WORLD / "grace_notes.krn")}])
    )
    encode_shard(songs, DEFAULT_ENCODING, MELODY, tmp_path / "s.tsv", tmp_path / "r.tsv")
    paths = {name: tmp_path / f"{name}.txt" for name in ("train", "valid", "test")}
    with pytest.raises(NotEnoughSongs, match="only 1 songs were encoded, too few"):
        split_dataset([tmp_path / "s.tsv"], SPLIT, paths, tmp_path / "songs.tsv")


def test_docs_explain_every_reason():
    page = (REPO / "docs" / "encoding.md").read_text()
    section = re.split(r"\n#+ ", page.split("## Songs that are not encoded")[1])[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == set(REASONS)


# --- The workflow ---------------------------------------------------------------------------------


def snakemake(workdir: Path, config: dict, *targets: str) -> subprocess.CompletedProcess:
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    command = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), *targets]
    command += ["--cores", "2", "--configfile", str(workdir / "config.yaml")]
    env = os.environ | {"PYTHONHASHSEED": "0"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_workflow_accounts_for_a_mixed_folder_with_unicode_and_spaces(tmp_path):
    root = tmp_path / "resources" / "Lieder mit Umlauten – äöü"
    root.mkdir(parents=True)
    expected = build_mixed_folder(root, n_abc_tunes=40)
    config = {
        "sources": [{"name": "mix", "files": "resources/**/*"}],
        "encoding": {"shards": 3},
    }
    result = snakemake(tmp_path, config, "results/data/train.txt")
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads((tmp_path / "results/data/summary.json").read_text())
    results = [result for outcomes in expected.values() for result in outcomes.values()]
    assert summary["files_in"] == len(expected)
    assert summary["songs_encoded"] == results.count("encoded")
    assert summary["songs_rejected"] == len(results) - results.count("encoded")
    songs = read_table(tmp_path / "results/data/songs.tsv")
    assert any("Schöne Grüße.musicxml" in row["song_id"] for row in songs)
    log = (tmp_path / "logs/account_songs.log").read_text()
    assert f"{len(expected)} files, {len(results)} songs: {summary['songs_encoded']} encoded" in log
    assert "results/data/rejects.tsv" in log


@pytest.mark.slow
def test_workflow_stops_when_every_song_is_rejected_and_keeps_the_rejects(tmp_path):
    folder = tmp_path / "resources" / "kaputt"
    folder.mkdir(parents=True)
    data = midi_fixtures()
    for name in ("empty.mid", "truncated.mid", "text renamed.mid", "drums only.mid"):
        (folder / name).write_bytes(data[name])
    config = {"sources": [{"name": "bad", "files": "resources/kaputt/*.mid"}]}
    result = snakemake(tmp_path, config, "results/data/train.txt")
    assert result.returncode != 0
    log = (tmp_path / "logs/split_songs.log").read_text()
    assert "no song could be encoded: all 4 songs of the datasets were rejected" in log
    assert "see results/data/rejects.tsv" in log
    rejects = read_table(tmp_path / "results/data/rejects.tsv")
    assert sorted(row["reason"] for row in rejects) == [
        "drums_only",
        "empty_file",
        "unreadable",
        "unreadable",
    ]
    assert not (tmp_path / "results/data/train.txt").exists()


@pytest.mark.slow
def test_bad_encoding_setting_fails_before_any_job(tmp_path):
    config = {
        "sources": [{"name": "essen", "corpus": "essenFolksong/erk5.abc"}],
        "encoding": {"melody_part": "named"},
    }
    result = snakemake(tmp_path, config, "results/data/train.txt")
    assert result.returncode != 0
    assert "encoding.melody_part_name: give the name" in result.stderr + result.stdout
    assert not (tmp_path / "results").exists()


def percussion_part() -> music21.stream.Part:
    part = music21.stream.Part(id="Drum Set")
    for _ in range(4):
        part.append(music21.note.Unpitched(displayName="C5", quarterLength=1))
    return part


def test_unpitched_percussion_is_never_the_melody():
    tune = music21.stream.Part([music21.note.Note(p, quarterLength=1) for p in (60, 62, 64, 60)])
    score = music21.stream.Score([percussion_part(), tune])
    for choice in ("first", "highest"):
        encoding = settings(
            EncodingSettings, acceptable_durations=[1.0], melody_part=choice, transpose=False
        )
        melody = score_to_melody(score, encoding)
        assert [pitch for pitch, _ in melody.events] == [60, 62, 64, 60]
    with pytest.raises(Rejected, match="drums_only"):
        encoding = settings(EncodingSettings, acceptable_durations=[1.0])
        score_to_melody(music21.stream.Score([percussion_part()]), encoding)
