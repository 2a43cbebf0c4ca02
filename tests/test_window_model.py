"""The tutorial's window model: its per-position logits are the predictions of every window."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from musiclstm.data.batches import SplitData, load_split
from musiclstm.data.tensors import save_arrays, songs_to_arrays
from musiclstm.data.vocabulary import Vocabulary, build_vocabulary, save_vocabulary
from musiclstm.evaluation.metrics import evaluate_songs
from musiclstm.model.checkpoint import build_model, load_checkpoint, model_args
from musiclstm.model.lstm import StepLSTM
from musiclstm.model.window import WindowLSTM
from musiclstm.representation.base import UNKNOWN_METER
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.settings import ModelSettings, TrainingSettings, settings
from musiclstm.training.epoch import Deadline, train_epoch
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings, TrainingRun

MELODY = MelodyRepresentation()

BOUNDARY = 0
VOCAB = 7


def window_model(window=4, num_layers=1, cell="torch", seed=0):
    torch.manual_seed(seed)
    return WindowLSTM(VOCAB, 5, num_layers, 0.0, window, BOUNDARY, cell).double().eval()


def one_window_by_hand(model, window_tokens):
    """The logits after one window: LSTM over its one-hot tokens from zero, all outputs -> head."""
    one_hot = F.one_hot(torch.tensor([window_tokens]), VOCAB).double()
    outputs, _ = model.lstm(one_hot)
    return model.head(outputs.reshape(1, -1))[0]


@pytest.mark.parametrize("window, cell", [(4, "torch"), (1, "torch"), (3, "scratch")])
def test_each_position_is_the_window_ending_there_padded_at_the_start(window, cell):
    model = window_model(window, cell=cell)
    tokens = torch.tensor([[0, 3, 4, 5, 6, 2, 3], [0, 1, 1, 2, 2, 3, 3]])
    logits, _ = model(tokens)
    assert logits.shape == (2, 7, VOCAB)
    for row in range(2):
        padded = [BOUNDARY] * (window - 1) + tokens[row].tolist()
        for t in range(7):
            expected = one_window_by_hand(model, padded[t : t + window])
            torch.testing.assert_close(logits[row, t], expected, rtol=1e-10, atol=1e-10)


def test_only_the_last_window_tokens_matter():
    model = window_model(window=3)
    tokens = torch.tensor([[0, 3, 4, 5, 6, 2, 3, 4]])
    logits, _ = model(tokens)
    changed = tokens.clone()
    changed[0, 4] = 1  # seen by the windows ending at positions 4, 5 and 6 only
    changed_logits, _ = model(changed)
    for t in range(8):
        same = torch.allclose(changed_logits[0, t], logits[0, t])
        assert same == (t not in (4, 5, 6)), t


@pytest.mark.parametrize("pieces", [[9], [4, 5], [1] * 9, [2, 1, 6]])
def test_feeding_pieces_with_the_state_equals_the_whole_sequence(pieces):
    model = window_model(window=4, num_layers=2)
    tokens = torch.randint(0, VOCAB, (3, 9))
    whole, _ = model(tokens)
    parts, state, start = [], None, 0
    for length in pieces:
        logits, state = model(tokens[:, start : start + length], None, state)
        parts.append(logits)
        start += length
    torch.testing.assert_close(torch.cat(parts, dim=1), whole, rtol=0, atol=1e-12)
    assert state[0].shape == (1, 3, 3)  # laid out like an LSTM state: (1, batch, window - 1)
    torch.testing.assert_close(state[0][0], tokens[:, -3:])


def test_reordering_state_rows_like_beam_search_reorders_the_songs():
    model = window_model(window=4)
    tokens = torch.randint(0, VOCAB, (3, 6))
    _, state = model(tokens[:, :5])
    keep = torch.tensor([2, 2, 0])
    reordered = tuple(part[:, keep] for part in state)
    logits, _ = model(tokens[keep, 5:], None, reordered)
    expected, _ = model(tokens[keep])
    torch.testing.assert_close(logits[:, 0], expected[:, 5], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(1, 2, 3\)"):
        model(tokens[:2, :1], None, state)


def test_checkpoint_args_are_plain_and_rebuild_the_model():
    window_settings = settings(
        ModelSettings,
        head="window",
        hidden_size=5,
        num_layers=1,
        dropout=0.2,
        window=8,
        cell="scratch",
        embedding_size=3,
    )
    args = model_args(VOCAB, window_settings, BOUNDARY)
    assert args == {
        "vocab_size": VOCAB,
        "hidden_size": 5,
        "num_layers": 1,
        "dropout": 0.2,
        "cell": "scratch",
        "window": 8,
        "boundary": BOUNDARY,
    }
    model = build_model(args)
    assert isinstance(model, WindowLSTM) and model.head.in_features == 5 * 8
    step_settings = settings(ModelSettings, hidden_size=5, num_layers=2, embedding_size=3)
    step_args = model_args(VOCAB, step_settings)
    assert step_args["cell"] == "torch" and isinstance(build_model(step_args), StepLSTM)
    assert step_args["lookback"] == [1, 2, 4, 8]  # the schema's defaults fill what is not named
    unknown_head = "model.head must be one of step, window, frame, not 'conv'"
    with pytest.raises(ValueError, match=unknown_head):
        model_args(VOCAB, replace(window_settings, head="conv"))
    with pytest.raises(ValueError, match="model.window must be at least 1, not 0"):
        build_model({**args, "window": 0})


PHRASES = ["60 _ 64 _ 67 _ _ _ r _", "62 _ 65 _ 69 _ _ _ 67 _ _ _"]


@pytest.mark.slow
def test_trains_through_the_training_loop_and_reloads(tmp_path):
    songs = [(PHRASES[i % 2] + " ").split() * (1 + i % 3) for i in range(12)]
    vocabulary = build_vocabulary(songs, MELODY)
    save_vocabulary(vocabulary, tmp_path / "vocabulary.json")
    arrays = songs_to_arrays(songs, Vocabulary(vocabulary["tokens"]))
    for split in ("train", "valid"):
        save_arrays(arrays, tmp_path / f"{split}.npz")
    model_config = {
        "head": "window",
        "cell": "torch",
        "window": 6,
        "embedding_size": 4,
        "hidden_size": 12,
        "num_layers": 1,
        "dropout": 0.0,
    }
    training = {
        "batch_size": 4,
        "sequence_length": 5,
        "learning_rate": 0.02,
        "lr_decay": 1.0,
        "weight_decay": 0.0,
        "clip_norm": 1.0,
        "epochs": 12,
        "patience": 12,
        "max_minutes": None,
        "seed": 2,
        "device": "cpu",
    }
    files = TrainingFiles(
        tmp_path / "train.npz",
        tmp_path / "valid.npz",
        tmp_path / "vocabulary.json",
        tmp_path / "checkpoint.pt",
        tmp_path / "history.csv",
    )
    checkpoint = train_model(files, RunSettings.from_config(model_config, training, 0.25))
    valid = [
        float(line.split(",")[2]) for line in (tmp_path / "history.csv").read_text().split()[1:]
    ]
    assert checkpoint["best_valid_bits_per_step"] < 0.5 * valid[0]
    loaded = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert loaded["model_args"]["window"] == 6
    model, _ = load_checkpoint(tmp_path / "checkpoint.pt")
    assert isinstance(model, WindowLSTM)
    vocab = Vocabulary(checkpoint["vocabulary"])
    valid_split = load_split(tmp_path / "valid.npz", MelodyRepresentation(), vocab)
    metrics = evaluate_songs(model, valid_split, vocab)
    assert metrics["bits_per_step"] == pytest.approx(checkpoint["best_valid_bits_per_step"])
    # It learned the phrases: after "60 _ 64 _" comes 67, one step at a time with the state.
    logits, state = model(torch.tensor([[vocab.boundary, *vocab.encode("60 _ 64".split())]]))
    logits, _ = model(torch.tensor([vocab.encode(["_"])]), None, state)
    assert vocab.tokens[int(logits[0, -1].argmax())] == "67"
    assert np.isfinite(metrics["pitch_bits_per_note"])


def tiny_run(songs, batch_size, sequence_length) -> TrainingRun:
    """A training run of a small window model on ``songs``, built by hand."""
    model_settings = settings(ModelSettings, head="window", hidden_size=4, num_layers=1, window=3)
    training = settings(TrainingSettings, batch_size=batch_size, sequence_length=sequence_length)
    vocabulary = Vocabulary(["/", "<unk>", "60", "62", "64", "65", "67"])  # the boundary is 0
    representation = MelodyRepresentation()
    meters = [UNKNOWN_METER] * len(songs)
    data = SplitData(songs, meters, representation.songs_inputs(songs, meters, BOUNDARY))
    args = model_args(VOCAB, model_settings, BOUNDARY)
    model = build_model(args)
    optimizer = torch.optim.Adam(model.parameters())
    return TrainingRun(
        RunSettings(model_settings, training, 0.25), representation, vocabulary, data, data,
        model, args, optimizer, np.random.default_rng(0), torch.device("cpu"), None,
    )  # fmt: skip


def test_a_time_budget_ends_an_epoch_at_the_next_chunk():
    songs = [np.arange(2, 7).repeat(8) for _ in range(6)]  # 40 steps each
    run = tiny_run(songs, batch_size=3, sequence_length=5)
    _, tokens = train_epoch(run, run.train, Deadline(0.0))
    assert tokens == 3 * 5  # the deadline had passed: one chunk of one batch, then stop
    _, tokens = train_epoch(run, run.train, Deadline(None))
    assert tokens == 6 * 41
