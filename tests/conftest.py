"""Shared test set-up: the library on the path, fixture paths, deterministic torch."""

from pathlib import Path

import pytest

from musiclstm.settings import EncodingSettings, settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

SKIP_POLICY = {
    "time_step": 0.25,
    "duration_policy": "skip",
    "acceptable_durations": [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0],
    "melody_part": "first",
    "transpose": False,
    "shards": 1,
}


@pytest.fixture
def encoding() -> EncodingSettings:
    return settings(EncodingSettings, SKIP_POLICY)


@pytest.fixture(autouse=True)
def deterministic_torch():
    import torch

    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    yield
