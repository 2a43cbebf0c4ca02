"""The workflow on a real Slurm: a one-node cluster started on this machine runs every job through
`--profile profiles/slurm` (the SLURM executor plugin), and the files are those of a local run."""

import subprocess

import pytest
from slurm_cluster import SlurmCluster, find_tool, unusable_reason
from workflow_runs import (
    SMALL,
    TARGETS,
    assert_same_results,
    failure,
    run_snakemake,
    small_run,
)

from conftest import REPO, require_tool

pytestmark = pytest.mark.slow

# What this test cluster needs on top of the profile: there is no accounting database, so job
# states come from squeue; there are no accounts. Training asks for `training.threads` (2) CPUs,
# the threads the local run trained with; the node has the machine's CPUs (2 in CI).
TEST_CLUSTER = [
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--slurm-no-account",
    "--latency-wait",
    "5",
]


@pytest.fixture(scope="module")
def cluster():
    require_tool("slurm", unusable_reason())
    cluster = SlurmCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory):
    if cluster.cpus < 2:
        pytest.skip("the test cluster's node needs 2 CPUs for training's 2 threads")
    workdir = tmp_path_factory.mktemp("slurm_run")
    result = run_snakemake(
        workdir,
        "--profile",
        str(REPO / "profiles/slurm"),
        *TEST_CLUSTER,
        *TARGETS,
        config=SMALL,
        timeout=900,
        **cluster.env,
    )
    assert result.returncode == 0, failure(result) + cluster.logs()
    return workdir


def slurm_jobs(cluster) -> dict[str, list[dict]]:
    """Rule -> the Slurm jobs of it that the controller still remembers (MinJobAge)."""
    fields = ["comment", "cpus", "memory", "time_limit", "state"]
    listing = subprocess.run(
        [find_tool("squeue"), "--states=all", "--noheader", "--format=%k|%C|%m|%l|%T"],
        capture_output=True,
        text=True,
        env=cluster.env,
        check=True,
    ).stdout
    jobs: dict[str, list[dict]] = {}
    for line in listing.splitlines():
        job = dict(zip(fields, line.split("|"), strict=True))
        rule = job["comment"].removeprefix("rule_").split("_wildcards_")[0]
        jobs.setdefault(rule, []).append(job)
    return jobs


def test_slurm_run_writes_the_same_files_as_a_local_run(slurm_run, tmp_path_factory):
    assert_same_results(small_run(tmp_path_factory), slurm_run)


def test_every_job_ran_as_a_slurm_job_with_the_profiles_resources(slurm_run, cluster):
    jobs = slurm_jobs(cluster)
    assert len(jobs["encode_shard"]) == SMALL["encoding"]["shards"]
    assert len(jobs["build_tensors"]) == 3
    for rule in ("index_songs", "split_songs", "build_vocabulary", "train_model"):
        assert len(jobs[rule]) == 1, rule
    assert len(jobs["evaluate_model"]) == 1 and len(jobs["generate_song"]) == 1
    assert {job["state"] for rule_jobs in jobs.values() for job in rule_jobs} == {"COMPLETED"}
    (train,) = jobs["train_model"]
    assert (train["cpus"], train["memory"], train["time_limit"]) == ("2", "4000M", "12:00:00")
    (encode, _) = jobs["encode_shard"]
    assert (encode["memory"], encode["time_limit"]) == ("2000M", "2:00:00")
    log = (slurm_run / "logs/train_model.log").read_text()
    assert "on cpu with 2 threads" in log
