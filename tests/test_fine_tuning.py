"""Fine-tuning (`training.init_from`): a model trained on some songs starts a run on others."""

import hashlib
import logging
import shutil

import pytest
import torch
from workflow_runs import assert_same_checkpoint, failure, load_checkpoint, run_snakemake

from musiclstm.data.tensors import save_arrays, songs_to_arrays
from musiclstm.data.vocabulary import Vocabulary, build_vocabulary, save_vocabulary
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings, prepare_run

MELODY = MelodyRepresentation()
MODEL = {"embedding_size": 8, "hidden_size": 16, "num_layers": 1, "dropout": 0.0}
TRAINING = {"batch_size": 4, "epochs": 2, "patience": 2, "seed": 1, "device": "cpu", "threads": 1}
# Songs A know C D E F G; songs B add a low B and a high A, and lack F. The B moves every pitch
# one row down the vocabulary: rows must follow their tokens, not their indices.
SONGS_A = ["60 _ 62 _ 64 _ 65 _ 67 _ _ _", "67 _ 65 _ 64 _ 62 _ 60 _ _ _ r _"]
SONGS_B = ["59 _ 60 _ 62 _ 64 _ 67 _ 69 _", "69 _ 67 _ 64 _ 62 _ 60 _ _ _ 59 _ r _"]


def write_data(folder, phrases):
    """A train and a valid split of songs made of the phrases, and their vocabulary."""
    folder.mkdir(parents=True, exist_ok=True)
    songs = [(phrases[i % 2] + " ").split() * (1 + i % 3) for i in range(12)]
    vocabulary = build_vocabulary(songs, MELODY)
    save_vocabulary(vocabulary, folder / "vocabulary.json")
    arrays = songs_to_arrays(songs, Vocabulary(vocabulary["tokens"]))
    save_arrays(arrays, folder / "train.npz")
    save_arrays(arrays, folder / "valid.npz")
    return folder


def files(folder, out):
    out.mkdir(parents=True, exist_ok=True)
    data = (folder / "train.npz", folder / "valid.npz", folder / "vocabulary.json")
    return TrainingFiles(*data, out / "checkpoint.pt", out / "history.csv")


def run_settings(model=None, **training):
    return RunSettings.from_config(MODEL | (model or {}), TRAINING | training, 0.25)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A model trained on songs A: the checkpoint to start from."""
    folder = write_data(tmp_path_factory.mktemp("songs_a"), SONGS_A)
    train_model(files(folder, folder), run_settings())
    return folder / "checkpoint.pt"


@pytest.fixture
def songs_b(tmp_path):
    return write_data(tmp_path / "songs_b", SONGS_B)


def prepare(folder, **training):
    data = (folder / "train.npz", folder / "valid.npz", folder / "vocabulary.json")
    return prepare_run(*data, run_settings(**training))


def test_known_tokens_keep_their_rows_and_new_tokens_get_fresh_ones(source, songs_b):
    old = torch.load(source, weights_only=True)
    run = prepare(songs_b, init_from=str(source))
    scratch = prepare(songs_b)
    new_tokens = run.vocabulary.tokens
    assert len(new_tokens) > len(old["vocabulary"]) and {"59", "69"} <= set(new_tokens)
    old_index = {token: i for i, token in enumerate(old["vocabulary"])}
    assert any(old_index[t] != i for i, t in enumerate(new_tokens) if t in old_index)
    weights = run.model.state_dict()
    for name in ("embedding.weight", "head.weight", "head.bias"):
        for i, token in enumerate(new_tokens):
            expected = old["state_dict"][name][old_index[token]] if token in old_index else None
            if expected is None:  # a new token: the seeded initialisation's row
                expected = scratch.model.state_dict()[name][i]
            assert torch.equal(weights[name][i], expected), (name, token)
    for name, tensor in weights.items():
        if name not in ("embedding.weight", "head.weight", "head.bias"):
            assert torch.equal(tensor, old["state_dict"][name]), name
    assert run.origin["new_tokens"] == ["59", "69"]


def test_the_fine_tuned_checkpoint_records_where_it_started(source, songs_b, tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        checkpoint = train_model(files(songs_b, tmp_path), run_settings(init_from=str(source)))
    assert f"starting from {source}" in caplog.text
    origin = load_checkpoint(tmp_path / "checkpoint.pt")["init_from"]
    assert origin == checkpoint["init_from"]
    assert origin["path"] == str(source)
    assert origin["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert origin["vocab_size"] == len(torch.load(source, weights_only=True)["vocabulary"])
    assert checkpoint["config"]["training"]["init_from"] == str(source)
    trained = TrainedModel.load(tmp_path / "checkpoint.pt")
    assert "69" in trained.vocabulary.tokens
    scratch = train_model(files(songs_b, tmp_path / "scratch"), run_settings())
    assert scratch["init_from"] is None
    assert not torch.equal(
        scratch["state_dict"]["lstm.weight_hh_l0"], checkpoint["state_dict"]["lstm.weight_hh_l0"]
    )


@pytest.mark.parametrize(
    "model, named",
    [
        ({"hidden_size": 32}, ["model.hidden_size (checkpoint 16, this run 32)"]),
        ({"lookback": [1, 2]}, ["model.lookback", "representation.lookback_bars"]),
    ],
)
def test_a_checkpoint_of_another_model_fails_naming_the_keys(source, songs_b, model, named):
    data = (songs_b / "train.npz", songs_b / "valid.npz", songs_b / "vocabulary.json")
    with pytest.raises(ValueError, match="training.init_from") as error:
        prepare_run(*data, run_settings(model, init_from=str(source)))
    for key in named:
        assert key in str(error.value)
    assert "embedding_size" not in str(error.value)


# The workflow: a tiny run of real songs fine-tuned from the model of songs A.
TINY = {
    "sources": [{"name": "essen", "corpus": "essenFolksong/erk5.abc", "max_songs": 12}],
    "encoding": {"shards": 1},
    "split": {"valid_fraction": 0.2, "test_fraction": 0.2, "seed": 0},
    "model": MODEL,
    "training": {"batch_size": 4, "epochs": 2, "patience": 2, "seed": 1},
}
CHECKPOINT = "results/model/checkpoint.pt"


def planned(result) -> str:
    assert result.returncode == 0, failure(result)
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def fine_tuned(source, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fine_tuned")
    init = workdir / "start" / "checkpoint.pt"
    init.parent.mkdir()
    shutil.copy(source, init)
    config = TINY | {"training": TINY["training"] | {"init_from": "start/checkpoint.pt"}}
    result = run_snakemake(workdir, "--cores", "2", CHECKPOINT, config=config, timeout=600)
    assert result.returncode == 0, failure(result)
    return workdir


@pytest.mark.slow
def test_the_workflow_fine_tunes_from_init_from(fine_tuned):
    workdir = fine_tuned
    checkpoint = load_checkpoint(workdir / CHECKPOINT)
    init = workdir / "start/checkpoint.pt"
    assert checkpoint["init_from"]["path"] == "start/checkpoint.pt"
    assert checkpoint["init_from"]["sha256"] == hashlib.sha256(init.read_bytes()).hexdigest()
    assert checkpoint["init_from"]["new_tokens"]  # the real songs have more pitches than A
    assert "starting from start/checkpoint.pt" in (workdir / "logs/train_model.log").read_text()
    assert "Nothing to be done" in planned(run_snakemake(workdir, "--cores", "2", "-n", CHECKPOINT))


@pytest.mark.slow
def test_another_checkpoint_to_start_from_reruns_training(fine_tuned, source, tmp_path):
    copy = shutil.copytree(fine_tuned, tmp_path / "copy", symlinks=True)
    train_model(files(source.parent, copy / "start"), run_settings(seed=2))
    plan = planned(run_snakemake(copy, "--cores", "2", "-n", CHECKPOINT))
    assert "rule train_model:" in plan
    assert "input: start/checkpoint.pt, results/data/train.npz" in plan


@pytest.mark.slow
def test_training_on_one_core_of_snakemake_trains_the_same_checkpoint(fine_tuned, tmp_path):
    copy = shutil.copytree(fine_tuned, tmp_path / "copy", symlinks=True)
    result = run_snakemake(copy, "--cores", "1", CHECKPOINT, "--forcerun", "train_model")
    assert result.returncode == 0, failure(result)
    assert "on cpu with 2 threads" in (copy / "logs/train_model.log").read_text()
    assert_same_checkpoint(fine_tuned / CHECKPOINT, copy / CHECKPOINT)


def test_a_harmoniser_starts_from_the_model_that_composes_with_its_predictions(tmp_path):
    """The harmoniser reads the given melody besides what the composing model reads; started
    from that model, the weights of what it adds are zero, so it predicts what that model does
    until it learns what the melody ahead is worth."""
    from test_chorales import ENCODING, parsed

    from musiclstm.data.chorale import song_to_chorale
    from musiclstm.music.frames import SATB
    from musiclstm.representation.base import Meter
    from musiclstm.representation.chorale import ChoraleRepresentation

    chorales = [
        song_to_chorale(parsed(name), ENCODING, SATB).chorale.tokens()
        for name in ("bach/bwv269.mxl", "bach/bwv347.mxl")
    ]
    folder = tmp_path / "chorales"
    folder.mkdir()
    vocabulary = build_vocabulary(chorales, ChoraleRepresentation())
    save_vocabulary(vocabulary, folder / "vocabulary.json")
    arrays = songs_to_arrays(chorales, Vocabulary(vocabulary["tokens"]))
    save_arrays(arrays, folder / "train.npz")
    save_arrays(arrays, folder / "valid.npz")
    chorale = {"name": "chorale"}
    composer = RunSettings.from_config(MODEL | {"lookback": [1]}, TRAINING, 0.25, chorale)
    train_model(files(folder, tmp_path / "model"), composer)
    reads_ahead = {"lookback": [1], "lookahead": [1, 4], "melody_reader": 8}
    harmoniser = RunSettings.from_config(
        MODEL | reads_ahead,
        TRAINING | {"init_from": str(tmp_path / "model/checkpoint.pt")},
        0.25,
        chorale,
    )
    data = (folder / "train.npz", folder / "valid.npz", folder / "vocabulary.json")
    run = prepare_run(*data, harmoniser)
    model = TrainedModel.load(tmp_path / "model/checkpoint.pt")
    ids = torch.as_tensor(model.vocabulary.encode(chorales[0]))
    stream = torch.cat([torch.tensor([model.vocabulary.boundary]), ids])[None]
    meter = Meter(16, 0)

    def logits(network, representation):
        inputs = torch.as_tensor(representation.song_inputs(ids.numpy(), meter, 0))[None]
        with torch.no_grad():
            return network.eval()(stream, inputs, network.start(ids[None]))[0]

    composed = logits(model.model, model.representation)
    harmonised = logits(run.model, run.representation)
    assert run.representation.lookahead == (1, 4) and run.model.reader is not None
    torch.testing.assert_close(harmonised, composed, atol=1e-5, rtol=1e-5)
    # What it adds is learnt: one epoch on, its predictions differ.
    trained = train_model(files(folder, tmp_path / "harmoniser"), harmoniser)
    assert trained["init_from"]["path"] == str(tmp_path / "model/checkpoint.pt")
    grown = TrainedModel.load(tmp_path / "harmoniser/checkpoint.pt")
    assert not torch.allclose(logits(grown.model, grown.representation), composed, atol=1e-3)
