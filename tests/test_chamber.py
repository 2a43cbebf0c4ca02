"""Chamber music from the scores inside music21: string quartet movements and five-voice
Palestrina encoded note for note under the stated policies (double stops, grace notes, meter
changes, missing voices), works kept whole by the split, and a tiny quartet run of the real
workflow: composed, the song arranged under its own notes, MIDI and MusicXML read back."""

import json
from fractions import Fraction
from pathlib import Path

import mido
import music21
import pytest
import yaml
from pieces import melody_piece
from workflow_runs import failure, run_snakemake

from musiclstm.config import validate_config
from musiclstm.data.encode import encode_songs
from musiclstm.data.rejects import METER_CHANGE, WRONG_VOICE_COUNT, Rejected
from musiclstm.data.sections import meter_sections, song_sections
from musiclstm.data.sources import SongSource, corpus_root
from musiclstm.data.splits import dealt_units
from musiclstm.music.frames import parse_frames
from musiclstm.music.midi import write_midi
from musiclstm.rendering.report_pages import synthesizer_note
from musiclstm.settings import EncodingSettings, settings
from musiclstm.textures import config_texture

ROOT = Path(__file__).resolve().parents[1]
QUARTET = validate_config(yaml.safe_load((ROOT / "config/quartet.yaml").read_text()))
MOTET = validate_config(yaml.safe_load((ROOT / "config/motet.yaml").read_text()))
QUARTET_NAMES = ["Violin I", "Violin II", "Viola", "Violoncello"]
MOTET_NAMES = ["Cantus", "Altus", "Quintus", "Tenor", "Bassus"]


def encoding_of(config: dict, **changes) -> EncodingSettings:
    return settings(EncodingSettings, {**config["encoding"], **changes})


def encode(config: dict, corpus_path: str, **changes) -> tuple[list[dict], list[dict]]:
    source = SongSource(f"t:{corpus_path}", "t", str(corpus_root() / corpus_path), 0)
    representation = config_texture(config).representation()
    return encode_songs([source], encoding_of(config, **changes), representation)


def part_notes(part: music21.stream.Part, shift: int) -> list[tuple[Fraction, int]]:
    """(onset in quarters, MIDI pitch + shift) of a part's sounding notes as music21 reads
    them, ties joined, grace notes left out (the configs' `grace_notes: drop`)."""
    return [
        (Fraction(note.offset).limit_denominator(64), note.pitch.midi + shift)
        for note in part.flatten().stripTies().notes
        if not note.duration.isGrace
    ]


def voice_notes(tokens: list[str], names, step: Fraction) -> list[list[tuple[Fraction, int]]]:
    """(onset, pitch) of every voice of an encoded piece."""
    voices = []
    for events in parse_frames(tokens, tuple(names)).events():
        notes, position = [], 0
        for pitch, steps in events:
            if pitch is not None:
                notes.append((position * step, pitch))
            position += steps
        voices.append(notes)
    return voices


def test_a_quartet_movement_round_trips_note_for_note():
    """Haydn op. 1 no. 1, first movement (6/8, no double stops, triplets or 32nds, two grace
    notes): every note of every part, as music21 reads it, is in the encoding, transposed."""
    (row,), rejects = encode(QUARTET, "haydn/opus1no1/movement1.mxl")
    assert rejects == []
    score = music21.converter.parse(corpus_root() / "haydn/opus1no1/movement1.mxl")
    encoded = voice_notes(row["tokens"].split(), QUARTET_NAMES, Fraction(1, 4))
    for part, voice in zip(score.parts, encoded, strict=True):
        assert voice == part_notes(part, row["transposition"])
    assert row["time_signature"] == "6/8" and row["key"] == "B- major"


def test_double_stops_keep_the_cellos_bass_and_the_violins_top():
    """Schumann op. 41 no. 1, second movement, has chords in every part (94 in the cello): with
    `chords: outer_note`
    each onset of the cello keeps the chord's lowest note, the others their highest."""
    (row,), _ = encode(QUARTET, "schumann_robert/opus41no1/movement2.mxl")
    score = music21.converter.parse(corpus_root() / "schumann_robert/opus41no1/movement2.mxl")
    encoded = voice_notes(row["tokens"].split(), QUARTET_NAMES, Fraction(1, 4))
    shift = row["transposition"]
    chords_seen = 0
    for index, (part, voice) in enumerate(zip(score.parts, encoded, strict=True)):
        onsets = dict(voice)
        for chord in part.flatten().stripTies().getElementsByClass(music21.chord.Chord):
            pitches = [pitch.midi + shift for pitch in chord.pitches]
            kept = min(pitches) if index == 3 else max(pitches)
            assert onsets[Fraction(chord.offset).limit_denominator(64)] == kept
            chords_seen += 1
    assert chords_seen >= 20
    (top,), _ = encode(QUARTET, "schumann_robert/opus41no1/movement2.mxl", chords="top_note")
    assert top["tokens"] != row["tokens"]  # the cello's bass differs from its top notes
    _, rejects = encode(QUARTET, "schumann_robert/opus41no1/movement2.mxl", chords="reject")
    assert rejects[0]["reason"] == "chord"


def test_grace_notes_are_dropped_or_reject_as_configured():
    _, rejects = encode(QUARTET, "haydn/opus1no1/movement1.mxl", grace_notes="reject")
    assert rejects[0]["reason"] == "grace_note" and "grace note" in rejects[0]["detail"]


def two_meter_score() -> music21.stream.Score:
    """Two parts: two bars of 3/4, then two of 2/4."""
    score = music21.stream.Score()
    for pitch in ("E5", "C4"):
        part = music21.stream.Part()
        for number, (signature, length) in enumerate([("3/4", 3), ("3/4", 3), ("2/4", 2)]):
            measure = music21.stream.Measure(number=number + 1)
            if number in (0, 2):
                measure.timeSignature = music21.meter.TimeSignature(signature)
            measure.append(music21.note.Note(pitch, quarterLength=length))
            part.append(measure)
        measure = music21.stream.Measure(number=4)
        measure.append(music21.note.Note(pitch, quarterLength=2))
        part.append(measure)
        score.insert(0, part)
    return score


def test_a_meter_change_starts_a_section_or_rejects_as_configured():
    sections = meter_sections("s:x.mxl", two_meter_score(), "split")
    assert [song_id for song_id, _ in sections] == ["s:x.mxl#bars1-2", "s:x.mxl#bars3-4"]
    lengths = [section.parts[0].flatten().notes for _, section in sections]
    assert [[n.quarterLength for n in notes] for notes in lengths] == [[3, 3], [2, 2]]
    signatures = [
        section.parts[0].recurse().getElementsByClass(music21.meter.TimeSignature)[0].ratioString
        for _, section in sections
    ]
    assert signatures == ["3/4", "2/4"]
    assert meter_sections("s:x.mxl", two_meter_score(), "first")[0][0] == "s:x.mxl"
    with pytest.raises(Rejected) as rejected:
        meter_sections("s:x.mxl", two_meter_score(), "reject")
    assert rejected.value.reason == METER_CHANGE and "measure 3" in rejected.value.detail


def test_a_quartet_in_one_file_falls_into_its_movements():
    """Schumann op. 41 no. 1, third movement, changes from 2/2 to 6/8: two songs."""
    encoded, rejects = encode(QUARTET, "schumann_robert/opus41no1/movement3.mxl")
    assert [row["time_signature"] for row in encoded] == ["2/2", "6/8"]
    assert all("#bars" in row["song_id"] for row in encoded + rejects)


def test_a_five_voice_movement_round_trips_note_for_note():
    """Palestrina's five-voice Kyrie of mass 4 on the motet's eighth-note grid."""
    (row,), rejects = encode(MOTET, "palestrina/Kyrie_04.krn")
    assert rejects == []
    score = music21.converter.parse(corpus_root() / "palestrina/Kyrie_04.krn")
    parts = sorted(
        score.parts,
        key=lambda part: (
            -sum(n.pitch.midi for n in part.flatten().notes) / len(part.flatten().notes)
        ),
    )
    encoded = voice_notes(row["tokens"].split(), MOTET_NAMES, Fraction(1, 2))
    for part, voice in zip(parts, encoded, strict=True):
        assert voice == part_notes(part, row["transposition"])


def test_a_movement_of_fewer_voices_is_rejected_or_rests_a_voice_as_configured():
    """Kyrie_05_b (the Christe) is in four voices, the rest of its Kyrie in five."""
    _, rejects = encode(MOTET, "palestrina/Kyrie_05_b.krn")
    assert rejects[0]["reason"] == WRONG_VOICE_COUNT
    (row,), _ = encode(MOTET, "palestrina/Kyrie_05_b.krn", missing_voices="rest")
    frames = parse_frames(row["tokens"].split(), tuple(MOTET_NAMES))
    sounding = [any(token not in ("r", "_") for token in voice) for voice in frames.voices]
    assert sounding == [True, True, True, False, True]  # the Tenor's seat rests throughout


def test_the_split_keeps_a_works_movements_together():
    rows = [
        {"song_id": f"q:haydn/opus74no1/movement{n}.mxl", "dataset": "q"} for n in (1, 2, 3)
    ] + [
        {"song_id": "w:beethoven/opus132.mxl#bars1-90", "dataset": "w"},
        {"song_id": "w:beethoven/opus132.mxl#bars91-200", "dataset": "w"},
    ]
    units = dealt_units(rows, "work", {"q": "folder", "w": "file"})
    assert len({units[row["song_id"]] for row in rows[:3]}) == 1
    assert len({units[row["song_id"]] for row in rows[3:]}) == 1
    by_song = dealt_units(rows, "song", None)
    assert len(set(by_song.values())) == 4  # each movement alone, opus 132's sections together


# A quartet's tiny run: three short works (one each for train, valid and test), a tiny model.
TINY_QUARTET = QUARTET | {
    "sources": [
        {"name": "haydn", "corpus": "haydn/opus1no1/movement[1245].mxl", "work": "folder"},
        {"name": "mozart", "corpus": "mozart/k156/movement[234].mxl", "work": "folder"},
        {"name": "mozart80", "corpus": "mozart/k80/movement[134].mxl", "work": "folder"},
    ],
    "split": {"by": "work", "valid_fraction": 0.3, "test_fraction": 0.3, "seed": 0},
    "model": {"embedding_size": 8, "hidden_size": 16, "num_layers": 1, "lookback": [1]},
    "harmoniser": {"lookahead": [1, 4]},
    "training": {"batch_size": 4, "epochs": 1, "sequence_length": 128, "seed": 1},
    "generate": {
        "quartet": {"seed": "", "bars": 2, "time_signature": "4/4"},
        "song_quartet": {"melody": "results/generated/song.mid"},
    },
    "render": {"synthesizer": "builtin", "program": None},
}
# A song as the melody workflow writes it, in C major: two bars of 4/4.
SONG = "60 _ _ _ 64 _ _ _ 67 _ _ _ 64 _ 65 _ 67 _ _ _ 62 _ 59 _ 60 _ _ _ _ _ _ _".split()
PIECES = ["results/generated/quartet.mid", "results/scores/quartet.musicxml"]
ARRANGED = ["results/generated/song_quartet.mid", "results/scores/song_quartet.musicxml"]


@pytest.fixture(scope="module")
def quartet_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("quartet")
    (workdir / "results/generated").mkdir(parents=True)
    write_midi(melody_piece(SONG), workdir / "results/generated/song.mid")
    targets = [*PIECES, *ARRANGED, "results/quartet/evaluation/music_stats.json"]
    result = run_snakemake(workdir, "--cores", "2", *targets, config=TINY_QUARTET, timeout=900)
    assert result.returncode == 0, failure(result)
    return workdir


@pytest.mark.slow
def test_the_quartet_is_split_by_work(quartet_run):
    songs = (quartet_run / "results/quartet/data/songs.tsv").read_text().splitlines()
    header = songs[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in songs[1:]]
    by_work = {}
    for row in rows:
        by_work.setdefault(row["dataset"], set()).add(row["split"])
    assert sorted(len(splits) for splits in by_work.values()) == [1, 1, 1]
    assert {next(iter(s)) for s in by_work.values()} == {"train", "valid", "test"}


@pytest.mark.parametrize("name", ["quartet", "song_quartet"])
@pytest.mark.slow
def test_a_quartet_reads_back_with_its_instruments(quartet_run, name):
    midi = mido.MidiFile(quartet_run / f"results/generated/{name}.mid")
    names = [next(m.name for m in track if m.type == "track_name") for track in midi.tracks]
    programs = [
        next(m.program for m in track if m.type == "program_change") for track in midi.tracks
    ]
    assert names == QUARTET_NAMES and programs == [40, 40, 41, 42]
    score = music21.converter.parse(quartet_run / f"results/scores/{name}.musicxml")
    assert [part.partName for part in score.parts] == QUARTET_NAMES
    clefs = [type(part.recurse().getElementsByClass("Clef")[0]).__name__ for part in score.parts]
    assert clefs == ["TrebleClef", "TrebleClef", "AltoClef", "BassClef"]
    instruments = [part.getInstrument().instrumentName for part in score.parts]
    assert instruments == QUARTET_NAMES


@pytest.mark.slow
def test_the_arranged_song_keeps_its_melody_note_for_note(quartet_run):
    tokens = (quartet_run / "results/generated/song_quartet.txt").read_text().split()
    frames = parse_frames(tokens, tuple(QUARTET_NAMES))
    assert frames.voices[0] == SONG
    midi = mido.MidiFile(quartet_run / "results/generated/song_quartet.mid")
    first = [m.note for m in midi.tracks[0] if m.type == "note_on" and m.velocity]
    assert first == [int(token) for token in SONG if token not in ("_", "r")]


@pytest.mark.slow
def test_the_quartets_checks_set_generated_beside_held_out(quartet_run):
    stats = json.loads((quartet_run / "results/quartet/evaluation/music_stats.json").read_text())
    leading = stats["voice_leading"]
    assert list(leading["ranges"]) == QUARTET_NAMES
    pairs = leading["held_out"]["parallels_per_100_frames_by_pair"]
    assert len(pairs) == 6  # every pair of four parts
    figures = leading["part_figures"]
    assert set(figures["generated"]) == set(figures["held_out"]) == set(QUARTET_NAMES)


def test_the_report_names_each_instrument_a_piece_was_played_with():
    audio = {
        "synthesizer": "fluidsynth",
        "soundfont": "/sf2/TimGM6mb.sf2",
        "program": [40, 40, 41, 42],
    }
    assert "(Violin, Viola, Cello)" in synthesizer_note(audio)


def three_bars(repeats: dict[int, list]) -> music21.stream.Score:
    """C4, D4, E4 in whole notes, with the barlines ``repeats`` gives each measure number."""
    part = music21.stream.Part()
    for number, pitch in enumerate(["C4", "D4", "E4"], start=1):
        measure = music21.stream.Measure(number=number)
        if number == 1:
            measure.timeSignature = music21.meter.TimeSignature("4/4")
        measure.append(music21.note.Note(pitch, quarterLength=4))
        for side, barline in repeats.get(number, []):
            setattr(measure, side, barline)
        part.append(measure)
    score = music21.stream.Score()
    score.insert(0, part)
    return score


def test_repeats_are_played_out_or_rejected_as_configured():
    expand = settings(EncodingSettings, repeats="expand")
    end_of_bar_2 = {2: [("rightBarline", music21.bar.Repeat(direction="end"))]}
    [(song_id, score)] = song_sections("s:x", three_bars(end_of_bar_2), expand)
    notes = [note.nameWithOctave for note in score.parts[0].flatten().notes]
    assert song_id == "s:x" and notes == ["C4", "D4", "C4", "D4", "E4"]
    as_written = song_sections("s:x", three_bars(end_of_bar_2), settings(EncodingSettings))
    assert len(as_written[0][1].parts[0].flatten().notes) == 3
    two_starts = {
        1: [("leftBarline", music21.bar.Repeat(direction="start"))],
        2: [("leftBarline", music21.bar.Repeat(direction="start"))],
    }
    with pytest.raises(Rejected) as rejected:
        song_sections("s:x", three_bars(two_starts), expand)
    assert rejected.value.reason == "repeats" and "as_written" in rejected.value.detail
