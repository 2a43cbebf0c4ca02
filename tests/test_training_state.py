"""The saved training state: atomic writes, random generators, and when a state is not resumed."""

import logging
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from workflow_runs import SMALL, small_run

from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings
from musiclstm.training.state import (
    atomic_path,
    random_states,
    restore_random_states,
    run_fingerprint,
)


def draws(batch_rng):
    return (
        random.random(),
        float(np.random.random()),
        float(torch.rand(1)),
        float(batch_rng.random()),
    )


def test_random_states_survive_a_weights_only_round_trip(tmp_path):
    batch_rng = np.random.default_rng(5)
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    torch.save(random_states(batch_rng), tmp_path / "states.pt")
    expected = draws(batch_rng)
    draws(batch_rng)  # move every generator on
    restore_random_states(torch.load(tmp_path / "states.pt", weights_only=True), batch_rng)
    assert draws(batch_rng) == expected


def test_atomic_path_keeps_the_old_file_when_the_writer_is_killed(tmp_path):
    target = tmp_path / "checkpoint.pt"
    target.write_bytes(b"the previous complete file")
    writer = textwrap.dedent(
        f"""
        import time
        from musiclstm.files import atomic_path
        with atomic_path({str(target)!r}) as temporary, open(temporary, "wb") as handle:
            handle.write(b"half of a new")
            handle.flush()
            print("writing", flush=True)
            time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "writing\n"
    process.kill()
    process.wait()
    assert target.read_bytes() == b"the previous complete file"


def test_atomic_path_writes_nothing_when_the_block_fails(tmp_path):
    target = tmp_path / "history.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("epoch\n1\n")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_fingerprint_follows_input_bytes_and_settings(tmp_path):
    data = tmp_path / "train.npz"
    data.write_bytes(b"abc")
    first = run_fingerprint([data], {"training": {"epochs": 3}})
    assert run_fingerprint([data], {"training": {"epochs": 3}}) == first
    assert run_fingerprint([data], {"training": {"epochs": 4}}) != first
    data.write_bytes(b"abd")
    assert run_fingerprint([data], {"training": {"epochs": 3}}) != first


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return small_run(tmp_path_factory) / "results/data"


def train(data, workdir, state_path=None):
    training = {
        "batch_size": 4,
        "sequence_length": 128,
        "learning_rate": 0.002,
        "lr_decay": 0.5,
        "weight_decay": 0.0,
        "clip_norm": 1.0,
        "epochs": 2,
        "patience": 2,
        "max_minutes": None,
        "seed": 1,
        "device": "cpu",
    }
    files = TrainingFiles(
        data / "train.npz",
        data / "valid.npz",
        data / "vocabulary.json",
        workdir / "checkpoint.pt",
        workdir / "history.csv",
        state=state_path,
    )
    return train_model(files, RunSettings.from_config(SMALL["model"], training, 0.25))


@pytest.mark.parametrize(
    "state, reason",
    [
        ({"fingerprint": "of another run", "epoch": 1}, "saved by a run with other inputs"),
        (b"PK\x03\x04 cut short", "cannot read the training state"),
    ],
)
@pytest.mark.slow
def test_a_state_of_another_run_or_a_damaged_one_starts_over(data, tmp_path, caplog, state, reason):
    expected = train(data, tmp_path)
    state_path = tmp_path / "training_state.pt"
    if isinstance(state, bytes):
        state_path.write_bytes(state)
    else:
        torch.save(state, state_path)
    with caplog.at_level(logging.INFO):
        checkpoint = train(data, tmp_path, state_path)
    assert reason in caplog.text
    assert "resuming from" not in caplog.text
    for name, tensor in expected["state_dict"].items():
        assert torch.equal(checkpoint["state_dict"][name], tensor)
    assert not state_path.exists()  # removed once the checkpoint is written
