"""Seeds from music files: the opening bars of a MIDI, ABC or kern file, encoded as a training
song, open the song, which is written back in the file's key and meter; what is wrong with a
file is named."""

import re

import mido
import pytest
from real_world_files import Q, conductor, midi_bytes, note_track
from workflow_runs import run_snakemake

from musiclstm.config import ConfigError, validate_config
from musiclstm.data.encode import encode_songs
from musiclstm.data.sources import list_songs
from musiclstm.data.tensors import save_arrays, songs_to_arrays
from musiclstm.data.vocabulary import Vocabulary, build_vocabulary, save_vocabulary
from musiclstm.generation.melodies import SongShape, song_request, song_seed
from musiclstm.generation.requests import generate_pieces
from musiclstm.generation.seed_files import is_seed_file, read_seed_file
from musiclstm.music.midi import read_midi_tokens
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.settings import EncodingSettings, SongSettings, SourceSettings, settings
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings

ENCODING = settings(EncodingSettings)  # the workflow's: songs moved to C major / A minor
AS_WRITTEN = settings(EncodingSettings, transpose=False)
ESSEN = {"name": "essen", "corpus": "essenFolksong/erk5.abc", "max_songs": 14}

# Three bars of 4/4 in D major, in quarter notes but the last, a dotted half note:
# D F# A F# | G B A F# | E D--. Moved to C major: C E G E | F A G E | D C--.
D_MAJOR = [62, 66, 69, 66, 67, 71, 69, 66, 64, 62]


def write_midi_melody(path, pitches, quarters=None, key="D", numerator=4, denominator=4):
    """A type-1 MIDI file of one melody (``pitches`` of ``quarters`` quarter notes each, a dotted
    half note at the end unless given) after a conductor track with its meter and key signature."""
    quarters = quarters or [1] * (len(pitches) - 1) + [3]
    notes, tick = [], 0
    for pitch, length in zip(pitches, quarters, strict=True):
        notes.append((tick, tick + int(length * Q), pitch))
        tick += int(length * Q)
    tracks = [conductor(numerator, denominator, key), note_track(notes, name="melody")]
    path.write_bytes(midi_bytes(tracks))
    return path


def encoded_as_training_song(source: dict, encoding: EncodingSettings, workdir) -> dict:
    """The row the encoder writes for the first song of a dataset of ``sources:``."""
    songs = list_songs([settings(SourceSettings, source)], workdir)
    encoded, rejects = encode_songs(songs[:1], encoding, MelodyRepresentation())
    assert not rejects, rejects
    return encoded[0]


# A model that knows the C major scale from G below middle C to G above the next C, and rests.
SCALE = [55, 57, 59, 60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79]
MODEL = {"embedding_size": 8, "hidden_size": 24, "num_layers": 1, "dropout": 0.0}
TRAINING = {"batch_size": 4, "sequence_length": 16, "learning_rate": 0.01, "epochs": 6}
TRAINING |= {"patience": 6, "seed": 3, "device": "cpu"}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A small LSTM trained for a few epochs on C major scales, runs and arpeggios."""
    folder = tmp_path_factory.mktemp("model")
    up = " ".join(f"{pitch} _ _ _" for pitch in SCALE)
    down = " ".join(f"{pitch} _" for pitch in reversed(SCALE))
    chords = "60 _ 64 _ 67 _ _ _ 65 _ 69 _ 72 _ _ _ 67 _ 71 _ 74 _ _ _ 72 _ _ _ r _ _ _"
    songs = [phrase.split() * (1 + i % 3) for i in range(12) for phrase in (up, down, chords)]
    vocabulary = build_vocabulary(songs, MelodyRepresentation())
    save_vocabulary(vocabulary, folder / "vocabulary.json")
    arrays = songs_to_arrays(songs, Vocabulary(vocabulary["tokens"]))
    save_arrays(arrays, folder / "train.npz")
    save_arrays(arrays, folder / "valid.npz")
    files = TrainingFiles(
        folder / "train.npz",
        folder / "valid.npz",
        folder / "vocabulary.json",
        folder / "checkpoint.pt",
        folder / "history.csv",
    )
    train_model(files, RunSettings.from_config(MODEL, TRAINING, 0.25))
    return folder / "checkpoint.pt"


@pytest.fixture
def d_major(tmp_path):
    return write_midi_melody(tmp_path / "d_major.mid", D_MAJOR)


def vocabulary_of(checkpoint) -> Vocabulary:
    from musiclstm.model.checkpoint import TrainedModel

    return TrainedModel.load(checkpoint).vocabulary


@pytest.mark.parametrize(
    "seed, is_file",
    [
        ("60 _ _ _ 64 _", False),
        ("", False),
        ("60", False),
        ("r _ _ _", False),
        ("corpus:essenFolksong/ballad70.abc", True),
        ("resources/seeds/opening.mid", True),
        ("opening.krn", True),
        ("  opening.abc  ", True),
    ],
)
def test_a_seed_is_a_file_when_it_is_one_word_with_a_path(seed, is_file):
    assert is_seed_file(seed) == is_file


def test_a_midi_seed_is_its_first_bars_as_the_encoder_encodes_the_song(d_major, tmp_path):
    row = encoded_as_training_song({"name": "mine", "files": "d_major.mid"}, ENCODING, tmp_path)
    assert row["key"] == "D major" and int(row["transposition"]) == -2
    seed = read_seed_file(str(d_major), 2, ENCODING, "3/4")
    assert seed.tokens == row["tokens"].split()[:32]
    assert " ".join(seed.tokens) == "60 _ _ _ 64 _ _ _ 67 _ _ _ 64 _ _ _ 65 _ _ _ 69 _ _ _ " + (
        "67 _ _ _ 64 _ _ _"
    )
    # The bars are the file's 4/4 ones, not the song's 3/4; the file starts on a bar line.
    assert (seed.key, seed.time_signature, seed.pickup) == ("D major", "4/4", 0)
    assert seed.transposition == -2  # undone exactly when the song is written back
    assert len(read_seed_file(str(d_major), 1, ENCODING, "4/4").tokens) == 16


@pytest.mark.slow
def test_a_midi_seed_opens_the_song_written_back_in_the_files_key(checkpoint, d_major, tmp_path):
    song = settings(SongSettings, seed=str(d_major), seed_bars=2, bars=4, end_on_tonic=True)
    midi, tokens = tmp_path / "song.mid", tmp_path / "song.txt"
    ((written, info),) = generate_pieces(
        checkpoint, song, "tune", piece_files(tmp_path, "song"), encoding=ENCODING
    )
    assert info.key == "D major"  # the file's key, its mode included
    as_written = encoded_as_training_song(
        {"name": "mine", "files": "d_major.mid"}, AS_WRITTEN, tmp_path
    )
    opening = as_written["tokens"].split()[:32]  # the file's own pitches, in D major
    assert opening[0] == "62"
    assert written[:32] == opening
    assert tokens.read_text().split() == written and len(written) == 4 * 16
    assert read_midi_tokens(midi) == written
    assert written[-16:] == [written[-16]] + ["_"] * 15 and int(written[-16]) % 12 == 2  # on D
    meter = [m for m in mido.MidiFile(midi).tracks[0] if m.type == "time_signature"]
    assert (meter[0].numerator, meter[0].denominator) == (4, 4)


@pytest.mark.slow
def test_a_key_given_to_the_song_wins_over_the_files(checkpoint, d_major, tmp_path):
    song = settings(SongSettings, seed=str(d_major), key="F", steps=8)
    ((written, _),) = generate_pieces(
        checkpoint, song, "tune", piece_files(tmp_path, "f"), encoding=ENCODING
    )
    assert written[:8] == ["65", "_", "_", "_", "69", "_", "_", "_"]  # F A: C E moved to F


@pytest.mark.parametrize(
    "corpus_file, key, time_signature, pickup, length",
    [
        # G major, 2/4, an eighth-note anacrusis: two steps, then two bars of eight.
        ("essenFolksong/ballad70.abc", "G major", "2/4", 6, 2 + 2 * 8),
        # F major, 4/4, a quarter-note anacrusis: four steps, then two bars of sixteen.
        ("bach/bwv281.krn", "F major", "4/4", 12, 4 + 2 * 16),
    ],
)
def test_a_corpus_seed_is_its_anacrusis_and_first_bars_as_encoded(
    corpus_file, key, time_signature, pickup, length, tmp_path
):
    row = encoded_as_training_song({"name": "c", "corpus": corpus_file}, ENCODING, tmp_path)
    seed = read_seed_file(f"corpus:{corpus_file}", 2, ENCODING, "4/4")
    assert seed.tokens == row["tokens"].split()[:length]
    assert (seed.key, seed.time_signature, seed.pickup) == (key, time_signature, pickup)
    assert row["time_signature"] == time_signature and int(row["pickup_steps"]) == pickup


@pytest.mark.slow
def test_a_seed_files_anacrusis_places_the_song_in_its_bar(checkpoint, tmp_path):
    vocabulary = vocabulary_of(checkpoint)
    ballad = "corpus:essenFolksong/ballad70.abc"
    song = settings(SongSettings, seed=ballad, time_signature="2/4", bars=6)
    tokens, written_as, pickup, restore = song_seed(song, vocabulary, ENCODING, "ballad")
    assert (len(tokens), restore.key, pickup) == (18, "G major", 6)
    request = song_request(written_as, tokens, 0.25, SongShape("2/4", 6, pickup))
    assert request.meter.pickup == 6 and request.meter.bar == 8
    # In another meter the file's bar does not apply: the seed starts on the song's bar line.
    other = settings(SongSettings, seed=ballad, time_signature="3/4")
    assert song_seed(other, vocabulary, ENCODING, "ballad")[0] == tokens
    assert song_seed(other, vocabulary, ENCODING, "ballad")[2] == 0
    ((written, _),) = generate_pieces(
        checkpoint, song, "ballad", piece_files(tmp_path, "b"), encoding=ENCODING
    )
    as_written = encoded_as_training_song(
        {"name": "c", "corpus": "essenFolksong/ballad70.abc"}, AS_WRITTEN, tmp_path
    )
    assert written[:18] == as_written["tokens"].split()[:18]  # back in G
    assert len(written) == 6 * 8


def test_the_config_takes_a_seed_files_meter_where_the_song_gives_none(tmp_path):
    ballad = "corpus:essenFolksong/ballad70.abc"
    config = validate_config(
        {
            "sources": [ESSEN],
            "generate": {
                "ballad": {"seed": ballad},
                "waltz": {"seed": ballad, "time_signature": "3/4", "key": "E"},
                "tokens": {"seed": "60 _ 64 _"},
            },
        }
    )
    songs = config["generate"]
    # The key stays the entry's: the song is written back in the file's key at generation.
    assert (songs["ballad"]["time_signature"], songs["ballad"]["key"]) == ("2/4", None)
    assert (songs["waltz"]["time_signature"], songs["waltz"]["key"]) == ("3/4", "E")
    assert (songs["tokens"]["time_signature"], songs["tokens"]["key"]) == ("4/4", None)


def test_a_seed_file_without_a_time_signature_is_counted_in_the_songs_bars():
    # The first ballad of this file has no M: field.
    seed = read_seed_file("corpus:essenFolksong/ballad10.abc", 2, ENCODING, "3/4")
    assert (seed.time_signature, seed.pickup, len(seed.tokens)) == ("3/4", 0, 24)


def piece_files(folder, stem: str) -> dict:
    """The files of one generated piece: {stem}.mid, .txt and .json."""
    return {kind: [folder / f"{stem}.{suffix}"] for kind, suffix in FILE_KINDS.items()}


FILE_KINDS = {"midi": "mid", "tokens": "txt", "info": "json"}


def seed_error(seed: str, bars: int = 2, vocabulary=None) -> str:
    song = settings(SongSettings, seed=seed, seed_bars=bars)
    vocabulary = vocabulary or Vocabulary(["/", "<unk>", *map(str, range(48, 90)), "r", "_"])
    with pytest.raises(ValueError) as error:
        song_seed(song, vocabulary, ENCODING, "tune")
    assert str(error.value).startswith("seed of 'tune'")
    return str(error.value)


def test_a_missing_seed_file_is_named(tmp_path):
    missing = str(tmp_path / "nowhere.mid")
    assert seed_error(missing) == f"seed of 'tune': {missing}: no such file"
    assert "corpus:nowhere.abc: no such file in music21's corpus" in seed_error(
        "corpus:nowhere.abc"
    )


def test_an_unreadable_seed_file_says_why(tmp_path):
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd this is not a MIDI file")
    assert f"{broken}: cannot read it: unreadable: " in seed_error(str(broken))
    text = tmp_path / "notes.txt"
    text.write_text("60 _ 64 _\n")
    message = seed_error(str(text))
    assert f"{text}: cannot read it: unsupported_format: .txt: not a music file" in message


def test_a_seed_file_the_encoding_rejects_gives_its_reason(tmp_path):
    # A note of 0.9 quarters is no sum of encoding.acceptable_durations (a note of five quarters
    # is: a whole note tied to a quarter).
    odd = write_midi_melody(tmp_path / "odd.mid", [62, 66, 69], [1, 0.9, 2.1])
    message = seed_error(str(odd))
    assert f"{odd}: the encoding rejects it: unacceptable_duration: " in message
    assert message.endswith("F#4 of track 2 'melody' channel 1 at quarter 1 lasting 0.9")
    corpus = seed_error("corpus:essenFolksong/altdeu10.abc")
    assert "the encoding rejects it: unacceptable_duration: " in corpus


def test_a_seed_file_with_fewer_bars_than_asked_says_how_many_it_has(d_major, tmp_path):
    message = seed_error(str(d_major), bars=4)
    assert message.endswith(
        f"{d_major}: it has 3 whole bars of 4/4, fewer than the 4 that seed_bars asks for"
    )
    ballad = seed_error("corpus:essenFolksong/ballad70.abc", bars=12)
    assert "it has 9 whole bars of 2/4 after its anacrusis, fewer than the 12" in ballad


@pytest.mark.slow
def test_a_seed_file_with_a_pitch_the_model_does_not_know_names_it(checkpoint, tmp_path):
    high = write_midi_melody(tmp_path / "high.mid", [62, 66, 98, 66, 62])
    message = seed_error(str(high), bars=1, vocabulary=vocabulary_of(checkpoint))
    assert f"({high}, its first bar, as encoded): token '96' at position 8" in message
    assert "is not in the model's vocabulary; allowed tokens are: 55 57" in message


def test_the_config_check_names_a_bad_seed_file_before_any_job_runs(tmp_path):
    songs = {"tune": {"seed": "resources/nowhere.mid"}}
    with pytest.raises(ConfigError, match=r"generate\.tune\.seed: resources/nowhere\.mid: no such"):
        validate_config({"sources": [ESSEN], "generate": songs}, tmp_path)
    ballad = {"tune": {"seed": "corpus:essenFolksong/ballad70.abc", "seed_bars": 12}}
    with pytest.raises(ConfigError, match=r"generate\.tune\.seed: .*fewer than the 12"):
        validate_config({"sources": [ESSEN], "generate": ballad}, tmp_path)
    chorale = {"sources": [ESSEN], "texture": "chorale", "generate": ballad}
    with pytest.raises(ConfigError, match=r"a chorale's seed is frames of tokens"):
        validate_config(chorale, tmp_path)


@pytest.mark.slow
def test_the_generate_rule_reads_the_seed_file(d_major, tmp_path):
    seeds = tmp_path / "resources" / "seeds"
    seeds.mkdir(parents=True)
    d_major.rename(seeds / "opening.mid")
    config = {
        "sources": [ESSEN],
        "generate": {"tune": {"seed": "resources/seeds/opening.mid", "steps": 16}},
    }
    result = run_snakemake(tmp_path, "-n", "results/generated/tune.mid", config=config, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    text = result.stdout + result.stderr
    job = re.search(r"rule generate_tune:\n(.*?)\n\n", text, re.S)
    assert job, text[-3000:]
    inputs = re.search(r"input: (.*)", job.group(1)).group(1)
    assert "resources/seeds/opening.mid" in inputs.split(", ")
    assert "results/model/checkpoint.pt" in inputs.split(", ")
