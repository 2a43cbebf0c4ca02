"""Training runs with `training.threads` threads, whatever the process was set to, and with the
cores it has where the machine has fewer."""

import logging
import os

import pytest
import torch
from test_fine_tuning import SONGS_A, files, run_settings, write_data

from musiclstm.training.loop import train_model
from musiclstm.training.setup import available_cores


def weight_bytes(checkpoint: dict) -> dict[str, bytes]:
    return {name: tensor.numpy().tobytes() for name, tensor in checkpoint["state_dict"].items()}


@pytest.fixture
def songs(tmp_path):
    return write_data(tmp_path / "songs", SONGS_A)


@pytest.mark.slow
def test_the_config_sets_the_threads_whatever_the_process_had(songs, tmp_path):
    checkpoints = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        checkpoints[threads] = train_model(
            files(songs, tmp_path / f"{threads}"), run_settings(threads=1)
        )
        assert torch.get_num_threads() == 1
    assert weight_bytes(checkpoints[1]) == weight_bytes(checkpoints[2])
    assert checkpoints[1]["threads"] == checkpoints[2]["threads"] == 1
    if available_cores() >= 2:
        # The config's thread count is the one trained with and recorded. Whether two threads
        # change this small model's weights depends on the CPU's kernels (on some, its matrices
        # are too small to split), so that is not asserted here.
        two = train_model(files(songs, tmp_path / "two"), run_settings(threads=2))
        assert two["threads"] == 2 and two["config"]["training"]["threads"] == 2
        assert torch.get_num_threads() == 2


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_a_machine_with_fewer_cores_trains_on_those_and_says_so(songs, tmp_path, caplog):
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        with caplog.at_level(logging.WARNING):
            capped = train_model(files(songs, tmp_path / "capped"), run_settings(threads=2))
    finally:
        os.sched_setaffinity(0, cores)
    assert "training.threads is 2 but this machine lets training use 1 cores" in caplog.text
    assert "the model will differ from one trained with 2 threads" in caplog.text
    assert capped["threads"] == 1 and capped["config"]["training"]["threads"] == 2
    one = train_model(files(songs, tmp_path / "one"), run_settings(threads=1))
    assert weight_bytes(capped) == weight_bytes(one)
