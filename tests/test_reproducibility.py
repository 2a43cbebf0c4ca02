"""The same config and seeds give the same files, byte for byte, in two separate runs on the CPU."""

import pytest
from workflow_runs import (
    CHECKPOINT,
    SMALL,
    TARGETS,
    assert_same_results,
    failure,
    load_checkpoint,
    run_snakemake,
    small_run,
)

from musiclstm.music.midi import read_midi_tokens

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    return small_run(tmp_path_factory)


def test_two_runs_of_one_config_write_identical_files(first_run, tmp_path):
    # Another hash seed: nothing may depend on the order of a set or a dict of strings.
    result = run_snakemake(tmp_path, "--cores", "2", *TARGETS, config=SMALL, PYTHONHASHSEED="987")
    assert result.returncode == 0, failure(result)
    assert_same_results(first_run, tmp_path)
    tokens = (tmp_path / "results/generated/song.txt").read_text().split()
    assert read_midi_tokens(tmp_path / "results/generated/song.mid") == tokens
    assert sum(token.isdigit() for token in tokens) >= 3  # a song, not an empty file twice
    assert load_checkpoint(tmp_path / CHECKPOINT)["epoch"] >= 1
