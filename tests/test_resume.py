"""A training run killed for real (SIGTERM, SIGKILL) continues from its saved state when started
again and ends exactly where an uninterrupted run ends; no output of a killed job is trusted."""

import os
import re
import signal
import subprocess

import pytest
import torch
from workflow_runs import (
    CHECKPOINT,
    HISTORY,
    SMALL,
    STATE,
    assert_same_checkpoint,
    copy_run,
    failure,
    history_without_timings,
    run_snakemake,
    script_process,
    small_run,
    snakemake_command,
    snakemake_env,
    wait_for,
)

from conftest import REPO

pytestmark = pytest.mark.slow

LOCAL_PROFILE = ["--profile", str(REPO / "profiles/local"), "--cores", "2"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return small_run(tmp_path_factory)


def start_training(workdir):
    """Snakemake making the checkpoint, in its own process group (as a terminal would start it)."""
    return subprocess.Popen(
        snakemake_command(workdir, *LOCAL_PROFILE, CHECKPOINT),
        env=snakemake_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def freeze_trainer_after_first_epochs(workdir) -> tuple[int, int]:
    """Waits for the first saved state, then stops the training process where it is (inside a
    later epoch), so the kill that follows lands mid-run however fast the machine is.
    Returns the trainer's id and the epoch its state was saved after."""
    wait_for(lambda: (workdir / STATE).exists(), "the first saved training state")
    trainer = script_process(workdir, "train_model.py")
    assert trainer is not None, "no training process found"
    os.kill(trainer, signal.SIGSTOP)
    saved = torch.load(workdir / STATE, weights_only=True)
    assert 1 <= saved["epoch"] < SMALL["training"]["epochs"]
    return trainer, saved["epoch"]


def fresh_copy_without_model(uninterrupted, workdir):
    copy_run(uninterrupted, workdir)
    for name in (CHECKPOINT, HISTORY):
        (workdir / name).unlink()
    return workdir


def assert_resumed_after(workdir, epoch: int) -> None:
    log = (workdir / "logs/train_model.log").read_text()
    assert f"resuming from {STATE} after epoch {epoch}" in log, log
    epochs_trained = [int(number) for number in re.findall(r"epoch (\d+)/", log)]
    assert epochs_trained[0] == epoch + 1, log  # continued, not started over


def test_sigterm_mid_training_then_rerun_continues_and_ends_identical(uninterrupted, tmp_path):
    workdir = fresh_copy_without_model(uninterrupted, tmp_path / "run")
    snakemake = start_training(workdir)
    trainer, epoch = freeze_trainer_after_first_epochs(workdir)
    os.killpg(snakemake.pid, signal.SIGTERM)  # what `timeout`, a hang-up or scancel send
    os.kill(trainer, signal.SIGCONT)  # the pending SIGTERM ends it before it trains further
    output = snakemake.communicate(timeout=300)[0]
    assert snakemake.returncode != 0, output
    assert "died with <Signals.SIGTERM: 15>" in output
    assert not (workdir / CHECKPOINT).exists() and not (workdir / HISTORY).exists()
    assert torch.load(workdir / STATE, weights_only=True)["epoch"] == epoch

    result = run_snakemake(workdir, *LOCAL_PROFILE, CHECKPOINT)
    assert result.returncode == 0, failure(result)
    assert_resumed_after(workdir, epoch)
    assert not (workdir / STATE).exists()
    assert (workdir / CHECKPOINT).read_bytes() == (uninterrupted / CHECKPOINT).read_bytes()
    assert_same_checkpoint(uninterrupted / CHECKPOINT, workdir / CHECKPOINT)
    assert history_without_timings(workdir / HISTORY) == history_without_timings(
        uninterrupted / HISTORY
    )


def test_sigkill_of_snakemake_and_training_then_rerun_continues_and_ends_identical(
    uninterrupted, tmp_path
):
    workdir = fresh_copy_without_model(uninterrupted, tmp_path / "run")
    snakemake = start_training(workdir)
    _, epoch = freeze_trainer_after_first_epochs(workdir)
    os.killpg(snakemake.pid, signal.SIGKILL)  # nobody cleans up: a crash, the OOM killer
    snakemake.communicate(timeout=60)
    assert not (workdir / CHECKPOINT).exists()

    # Snakemake's lock outlives a SIGKILL; --unlock is the documented way on.
    assert run_snakemake(workdir, "--unlock").returncode == 0
    result = run_snakemake(workdir, *LOCAL_PROFILE, CHECKPOINT)
    assert result.returncode == 0, failure(result)
    assert_resumed_after(workdir, epoch)
    assert (workdir / CHECKPOINT).read_bytes() == (uninterrupted / CHECKPOINT).read_bytes()
    assert history_without_timings(workdir / HISTORY) == history_without_timings(
        uninterrupted / HISTORY
    )


def test_outputs_of_a_job_killed_after_writing_them_are_not_trusted(uninterrupted, tmp_path):
    workdir = fresh_copy_without_model(uninterrupted, tmp_path / "run")
    snakemake = start_training(workdir)
    # The checkpoint is complete on disk (written to a temporary name, then renamed), but the
    # job is killed before Snakemake has recorded it as finished.
    wait_for(lambda: (workdir / CHECKPOINT).exists(), "the checkpoint", interval=0.001)
    os.killpg(snakemake.pid, signal.SIGSTOP)
    os.killpg(snakemake.pid, signal.SIGKILL)
    snakemake.communicate(timeout=60)
    # A SIGKILL may leave a temporary file (history.csv is written right after the checkpoint),
    # but never a partly written output: what is there under its real name is whole.
    torch.load(workdir / CHECKPOINT, weights_only=True)

    assert run_snakemake(workdir, "--unlock").returncode == 0
    dry_run = run_snakemake(workdir, "--cores", "2", "-n", CHECKPOINT)
    assert dry_run.returncode != 0
    assert "IncompleteFilesException" in dry_run.stderr + dry_run.stdout
    assert CHECKPOINT in dry_run.stderr + dry_run.stdout
    # The profile reruns incomplete jobs: the rerun finishes the model again, the same model.
    result = run_snakemake(workdir, *LOCAL_PROFILE, CHECKPOINT)
    assert result.returncode == 0, failure(result)
    assert "rule train_model" in result.stdout + result.stderr
    assert (workdir / CHECKPOINT).read_bytes() == (uninterrupted / CHECKPOINT).read_bytes()
