"""A real single-node Slurm cluster on this machine, for the tests (and for trying the profile).

Starts ``munged``, ``slurmctld`` and ``slurmd`` in the foreground as child processes, with all
their state in one private directory, and stops exactly those processes again by their ids.
Needs root (``slurmd`` runs jobs as their user, and jobs read ``/etc/slurm/slurm.conf``) and
Debian's ``slurm-wlm`` and ``munge`` packages. Only one such cluster runs on a machine at a time:
a lock file makes a second one wait.

    python tests/slurm_cluster.py      # start, print how to use it, stop on Ctrl-C
"""

from __future__ import annotations

import ctypes
import fcntl
import getpass
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "slurm" / "slurm.conf.template"
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# A single-node Slurm cluster for the tests"
LOCK_PATH = Path(tempfile.gettempdir()) / "musiclstm-slurm.lock"
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "srun", "scancel", "sinfo")


def find_tool(name: str) -> str | None:
    """A Slurm or munge program on PATH or in /usr/sbin (not on a plain user's PATH)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def missing_programs() -> list[str]:
    """The Slurm and munge programs that are not installed (Debian's slurm-wlm and munge)."""
    return [name for name in DAEMONS + CLIENTS if find_tool(name) is None]


def unusable_reason() -> str | None:
    """Why an installed Slurm cannot start a single-node cluster here, or None when it can."""
    if os.geteuid() != 0:
        return "starting a Slurm cluster needs root (slurmd, and /etc/slurm/slurm.conf)"
    if not Path("/etc/munge/munge.key").exists():
        return "munge has no key at /etc/munge/munge.key (reinstall the munge package)"
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.read_text().startswith(MARKER):
        return f"{SYSTEM_CONF} belongs to a real Slurm installation; not replacing it"
    return None


def unavailable_reason() -> str | None:
    """Why a single-node Slurm cannot start on this machine, or None when it can."""
    missing = missing_programs()
    if missing:
        return (
            f"Slurm is not installed ({', '.join(missing)} not found); "
            "`sudo make system-packages` installs it"
        )
    return unusable_reason()


def end_with_parent() -> None:
    """In a daemon's process: get SIGTERM when the process that started it dies (PR_SET_PDEATHSIG),
    so that a killed test run leaves no daemons behind."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)


def memory_mb() -> int:
    with open("/proc/meminfo") as meminfo:
        total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return total_kb // 1024


class SlurmCluster:
    """One node, ``localhost``, with every CPU of this machine, in partition ``main``."""

    def __init__(self, slurmctld_port: int = 6817, slurmd_port: int = 6818):
        # munged wants every directory above its socket open to all (pytest's tmp_path is not).
        self.runtime = Path(tempfile.mkdtemp(prefix="musiclstm-slurm-"))
        self.conf = self.runtime / "slurm.conf"
        self.ports = {"slurmctld_port": slurmctld_port, "slurmd_port": slurmd_port}
        self.processes: dict[str, subprocess.Popen] = {}
        self._lock = None
        self.cpus = os.cpu_count() or 1

    @property
    def env(self) -> dict[str, str]:
        return os.environ | {"SLURM_CONF": str(self.conf)}

    def start(self, timeout: float = 60) -> SlurmCluster:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self._lock = open(LOCK_PATH, "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # another test run's cluster uses the same ports
        try:
            self._write_conf()
            self._start_daemons(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _write_conf(self) -> None:
        for folder in ("state", "spool"):
            (self.runtime / folder).mkdir(parents=True, exist_ok=True)
        os.chmod(
            self.runtime, 0o755
        )  # munged: others may not write here, but must reach the socket
        text = TEMPLATE.read_text().format(
            runtime=self.runtime,
            user=getpass.getuser(),
            cpus=self.cpus,
            memory_mb=memory_mb(),
            **self.ports,
        )
        self.conf.write_text(text)
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.write_text(text)

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.runtime / f"{name}.out", "w")
        self.processes[name] = subprocess.Popen(
            [find_tool(name), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            preexec_fn=end_with_parent,
        )

    def _start_daemons(self, timeout: float) -> None:
        socket, key = self.runtime / "munge.socket", self.runtime / "munge.key"
        # munged running as root wants a key that root owns; the package's belongs to munge.
        shutil.copyfile("/etc/munge/munge.key", key)
        os.chmod(key, 0o400)
        self._spawn(
            "munged",
            "-F",
            f"--key-file={key}",
            f"--socket={socket}",
            f"--pid-file={self.runtime / 'munged.pid'}",
            f"--log-file={self.runtime / 'munged.log'}",
            f"--seed-file={self.runtime / 'munged.seed'}",
        )
        self._wait(lambda: socket.exists(), timeout, "munged to open its socket")
        self._spawn("slurmctld", "-D", "-i", "-f", str(self.conf))
        self._spawn("slurmd", "-D", "-N", "localhost", "-f", str(self.conf))
        self._wait(self._node_idle, timeout, "the node to become idle")

    def _node_idle(self) -> bool:
        result = subprocess.run(
            [find_tool("sinfo"), "-h", "-N", "-o", "%T"],
            capture_output=True,
            text=True,
            env=self.env,
        )
        return result.returncode == 0 and result.stdout.strip() == "idle"

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            dead = [name for name, process in self.processes.items() if process.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(
                    f"Slurm did not start: waited for {what}; "
                    f"{' and '.join(dead) or 'no daemon'} exited; logs:\n{self.logs()}"
                )
            time.sleep(0.2)

    def logs(self) -> str:
        """The daemons' own logs, for a failure message."""
        parts = []
        for path in sorted(self.runtime.glob("*.log")) + sorted(self.runtime.glob("*.out")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Cancel this cluster's jobs, stop the daemons it started, remove its configuration."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            subprocess.run(
                [find_tool("scancel"), "--full", "--partition=main"],
                capture_output=True,
                env=self.env,
                timeout=30,
            )
        for name in reversed(DAEMONS):  # slurmd, then slurmctld, then munged
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if SYSTEM_CONF.exists() and SYSTEM_CONF.read_text().startswith(MARKER):
            SYSTEM_CONF.unlink()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        shutil.rmtree(self.runtime, ignore_errors=True)


def main() -> None:
    def stop_waiting(signum, frame):
        raise KeyboardInterrupt

    # Explicit handlers: a background job of a script starts with SIGINT ignored.
    signal.signal(signal.SIGINT, stop_waiting)
    signal.signal(signal.SIGTERM, stop_waiting)
    cluster = SlurmCluster().start()
    print(f"Slurm is up: node localhost, {cluster.cpus} CPUs, partition main, in {cluster.runtime}")
    print("try: snakemake --profile profiles/slurm   Ctrl-C stops the cluster", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
