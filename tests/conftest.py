"""Shared test set-up: the library on the path, fixture paths, deterministic torch, and the
optional system tools (Chromium, FluidSynth, Slurm) that some tests need."""

import os
import re
from collections import Counter
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


# Optional system tools. On a machine without them their tests skip, saying which tool is
# missing, and the run ends by listing them; with CI=true (continuous integration, where
# `make system-packages` installed them) a missing tool fails its tests instead.
INSTALL = "sudo make system-packages"
MISSING = "optional system tool {} is missing"
MISSING_PATTERN = re.compile(MISSING.format(r"(\S+)"))


def chromium_missing() -> str | None:
    from headless_chromium import CHROMIUM_NAMES, find_chromium

    return None if find_chromium() else f"none of {', '.join(CHROMIUM_NAMES)} is on PATH"


def fluidsynth_missing() -> str | None:
    import shutil

    from musiclstm.rendering.audio import find_soundfont

    if shutil.which("fluidsynth") is None:
        return "the fluidsynth program is not on PATH"
    if find_soundfont() is None:
        return "no General MIDI soundfont is installed (timgm6mb-soundfont)"
    return None


def slurm_missing() -> str | None:
    from slurm_cluster import missing_programs

    missing = missing_programs()
    return f"{', '.join(missing)} not found" if missing else None


# Tool -> why it is not installed here (None: it is).
TOOLS = {"chromium": chromium_missing, "fluidsynth": fluidsynth_missing, "slurm": slurm_missing}


def tools_required() -> bool:
    """CI=true: the optional system tools must be there."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def require_tool(name: str, unusable: str | None = None) -> None:
    """Go on only where the optional system tool ``name`` (a key of TOOLS) is installed and
    ``unusable`` (why the installed tool cannot run here, if it cannot) is None: else skip the
    test, or fail it when CI=true. Call it from the test or from the fixture that uses the tool."""
    missing = TOOLS[name]()
    if missing is not None:
        problem = f"{MISSING.format(name)} ({missing})"
        install = f"Install it with `make system-packages`, run as root ({INSTALL})."
    elif unusable is not None:
        problem, install = f"{name} cannot run here: {unusable}", ""
    else:
        return
    if tools_required():
        pytest.fail(f"CI=true requires {name}, but {problem}. {install}".rstrip(), pytrace=False)
    pytest.skip(f"{problem}; `{INSTALL}` installs it" if missing else problem)


def pytest_terminal_summary(terminalreporter):
    """After the run: which tests skipped for want of which optional tool, and how to get it."""
    counts = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):
            match = MISSING_PATTERN.search(report.longrepr[2])
            if match:
                counts[match.group(1)] += 1
    if counts:
        tools = ", ".join(
            f"{tool} ({n} test{'s' if n > 1 else ''})" for tool, n in sorted(counts.items())
        )
        terminalreporter.write_line(
            f"Skipped because optional system tools are missing: {tools}. "
            f"Install them with: {INSTALL}",
            yellow=True,
        )
