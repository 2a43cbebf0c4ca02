"""Training, checkpoint, evaluation and sampling on a tiny synthetic corpus."""

import csv
import math

import numpy as np
import pytest
import torch

from musiclstm.data.batches import SplitData
from musiclstm.data.tensors import save_arrays, songs_to_arrays
from musiclstm.data.vocabulary import Vocabulary, build_vocabulary, save_vocabulary
from musiclstm.evaluation.metrics import evaluate_songs
from musiclstm.generation.melodies import check_seed
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.strategies import Sampling, SongRequest
from musiclstm.model.checkpoint import TrainedModel, load_checkpoint
from musiclstm.model.lstm import StepLSTM
from musiclstm.representation.base import UNKNOWN_METER
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.schedule import cosine_rate
from musiclstm.training.setup import RunSettings

MELODY = MelodyRepresentation()

# A corpus a model can learn quickly: two alternating phrases.
PHRASES = ["60 _ 64 _ 67 _ _ _ r _", "62 _ 65 _ 69 _ _ _ 67 _ _ _"]
# The songs here have no meter, so no bars to label with a form.
MODEL = {"embedding_size": 8, "hidden_size": 24, "num_layers": 2, "dropout": 0.0, "form": False}
TRAINING = {
    "batch_size": 4,
    "sequence_length": 8,
    "learning_rate": 0.01,
    "lr_decay": 1.0,
    "weight_decay": 0.0,
    "clip_norm": 1.0,
    "epochs": 25,
    "patience": 25,
    "max_minutes": None,
    "seed": 3,
    "device": "cpu",
}


@pytest.fixture
def corpus(tmp_path):
    songs = [(PHRASES[i % 2] + " ").split() * (1 + i % 3) for i in range(16)]
    vocabulary = build_vocabulary(songs, MELODY)
    save_vocabulary(vocabulary, tmp_path / "vocabulary.json")
    arrays = songs_to_arrays(songs, Vocabulary(vocabulary["tokens"]))
    save_arrays(arrays, tmp_path / "train.npz")
    save_arrays(arrays, tmp_path / "valid.npz")
    return tmp_path


def train(corpus, name="checkpoint.pt", **changes):
    files = TrainingFiles(
        corpus / "train.npz",
        corpus / "valid.npz",
        corpus / "vocabulary.json",
        corpus / name,
        corpus / f"{name}.csv",
    )
    return train_model(files, RunSettings.from_config(MODEL, TRAINING | changes, 0.25))


@pytest.mark.slow
def test_training_learns_and_checkpoint_loads_weights_only(corpus):
    checkpoint = train(corpus)
    history = (corpus / "checkpoint.pt.csv").read_text().splitlines()
    assert len(history) == 1 + 25
    first_valid = float(history[1].split(",")[2])
    assert checkpoint["best_valid_bits_per_step"] < 0.5 * first_valid
    loaded = torch.load(corpus / "checkpoint.pt", weights_only=True)
    assert set(loaded) >= {"state_dict", "model_args", "vocabulary", "config", "epoch"}
    assert loaded["best_valid_bits_per_step"] == checkpoint["best_valid_bits_per_step"]
    model, _ = load_checkpoint(corpus / "checkpoint.pt")
    assert isinstance(model, StepLSTM)


@pytest.mark.slow
def test_a_checkpoint_from_before_representations_were_stored_still_loads(corpus):
    checkpoint = train(corpus, "new.pt", epochs=1)
    assert checkpoint["representation"] == {
        "name": "melody",
        "lookback_bars": [1, 2, 4, 8],
        "form": False,
    }
    del checkpoint["representation"]
    torch.save(checkpoint, corpus / "old.pt")
    trained = TrainedModel.load(corpus / "old.pt")
    assert trained.representation.describe() == {
        "name": "melody",
        "lookback_bars": [1, 2, 4, 8],
        "form": False,
    }


@pytest.mark.slow
def test_same_seed_same_model(corpus):
    a = train(corpus, "a.pt", epochs=3)
    b = train(corpus, "b.pt", epochs=3)
    for key in a["state_dict"]:
        assert torch.equal(a["state_dict"][key], b["state_dict"][key]), key


@pytest.mark.slow
def test_early_stopping_keeps_the_best_epoch(corpus):
    checkpoint = train(corpus, learning_rate=0.5, patience=2)
    history = (corpus / "checkpoint.pt.csv").read_text().splitlines()[1:]
    valid = [float(line.split(",")[2]) for line in history]
    assert checkpoint["epoch"] == 1 + int(np.argmin(valid))
    assert len(valid) <= checkpoint["epoch"] + 2


def test_metrics_follow_their_definitions():
    vocabulary = Vocabulary(["/", "<unk>", "60", "62", "r", "_"])
    model = StepLSTM(len(vocabulary), 4, 8, 1, 0.0)
    with torch.no_grad():  # a model that predicts the uniform distribution everywhere
        for parameter in model.parameters():
            parameter.zero_()
    songs = [np.array(vocabulary.encode("60 _ r 62".split()))]
    inputs = MelodyRepresentation().songs_inputs(songs, [UNKNOWN_METER], vocabulary.boundary)
    metrics = evaluate_songs(model, SplitData(songs, [UNKNOWN_METER], inputs), vocabulary)
    assert metrics["steps"] == 5  # four tokens and the end of the song
    assert metrics["bits_per_step"] == pytest.approx(math.log2(6))
    assert metrics["bits_per_note"] == pytest.approx(5 * math.log2(6) / 3)
    assert metrics["pitch_bits_per_note"] == pytest.approx(1.0)  # two pitches, equally likely


@pytest.mark.slow
def test_sampling_is_reproducible_and_follows_the_corpus(corpus):
    train(corpus)
    trained = TrainedModel.load(corpus / "checkpoint.pt")
    seed = check_seed("60 _ 64", trained.vocabulary)
    sampling = Sampling("temperature", temperature=0.5)
    request = SongRequest(seed, 200)
    (first,) = sample_songs(trained, request, 1, sampling, random_seed=5)
    assert [first] == sample_songs(trained, request, 1, sampling, random_seed=5)
    assert first[:3] == seed
    assert "/" not in first and "<unk>" not in first
    assert " ".join(first).startswith("60 _ 64 _ 67 _ _ _")  # the phrase it learned


def test_bad_seed_token_is_named_with_the_allowed_tokens():
    vocabulary = Vocabulary(["/", "<unk>", "60", "62", "r", "_"])
    with pytest.raises(ValueError) as error:
        check_seed("60 _ 99 r", vocabulary, "song")
    message = str(error.value)
    assert "'99' at position 2" in message and "allowed tokens are: 60 62 r _" in message


def test_temperature_must_be_positive():
    with pytest.raises(ValueError, match="temperature"):
        Sampling("temperature", temperature=0.0)


@pytest.mark.slow
def test_cosine_schedule_falls_from_the_peak_whatever_validation_does(corpus):
    rates = [cosine_rate(0.01, epoch, 10) for epoch in range(1, 11)]
    assert rates[0] == 0.01 and rates[-1] < 0.01 * 0.03
    assert all(a > b for a, b in zip(rates[:-1], rates[1:], strict=True))
    train(corpus, "cosine.pt", lr_schedule="cosine", epochs=10, patience=10, lr_decay=0.5)
    with open(corpus / "cosine.pt.csv") as handle:
        logged = [float(row["learning_rate"]) for row in csv.DictReader(handle)]
    assert logged == pytest.approx(rates)


@pytest.mark.slow
def test_transposition_augmentation_moves_the_training_songs(tmp_path):
    # Chromatic fragments: every song can move a few semitones and stay in the vocabulary.
    songs = [f"{60 + i % 5} _ {62 + i % 5} _ {64 + i % 5} _ _ _".split() for i in range(12)]
    vocabulary = build_vocabulary(songs, MELODY)
    save_vocabulary(vocabulary, tmp_path / "vocabulary.json")
    arrays = songs_to_arrays(songs, Vocabulary(vocabulary["tokens"]))
    save_arrays(arrays, tmp_path / "train.npz")
    save_arrays(arrays, tmp_path / "valid.npz")
    plain = train(tmp_path, "plain.pt", epochs=6, patience=6)
    moved = train(tmp_path, "moved.pt", epochs=6, patience=6, augment_semitones=2)
    with open(tmp_path / "moved.pt.csv") as handle:
        valid = [float(row["valid_bits_per_step"]) for row in csv.DictReader(handle)]
    assert valid[-1] < valid[0]  # it still learns
    weights = "head.weight"
    assert not torch.equal(plain["state_dict"][weights], moved["state_dict"][weights])
