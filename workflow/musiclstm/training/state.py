"""The whole state of a training run on disk, so that a killed run continues where it stopped.

After every epoch the training loop saves the model, the optimizer, every random number generator,
the epoch, the best checkpoint so far and the history to one file. The file is written to a
temporary name and renamed over the old one, so a kill at any moment leaves either the previous
epoch's state or the new one, never half of one. A restarted run resumes from the state only if it
was made from the same input files and settings (its fingerprint matches), and then ends bit for
bit where an uninterrupted run ends (on the same machine and number of threads).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from pathlib import Path

import numpy as np
import torch

from musiclstm.files import atomic_path

log = logging.getLogger(__name__)


def run_fingerprint(input_paths: list[Path], settings: dict) -> str:
    """A hash of the input files' bytes and the settings: a state only resumes the same run."""
    digest = hashlib.sha256()
    for path in input_paths:
        digest.update(Path(path).read_bytes())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def random_states(batch_rng: np.random.Generator) -> dict:
    """Python's, NumPy's, torch's (and CUDA's) generators and the batch order's generator, as
    plain values that ``torch.load(weights_only=True)`` accepts."""
    numpy_state = np.random.get_state(legacy=False)
    numpy_state["state"]["key"] = numpy_state["state"]["key"].tolist()
    states = {
        "python": random.getstate(),
        "numpy": numpy_state,
        "torch": torch.get_rng_state(),
        "batches": batch_rng.bit_generator.state,
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_random_states(states: dict, batch_rng: np.random.Generator) -> None:
    python_version, python_internal, python_gauss = states["python"]
    random.setstate((python_version, tuple(python_internal), python_gauss))
    numpy_state = dict(states["numpy"])
    numpy_state["state"] = dict(numpy_state["state"])
    numpy_state["state"]["key"] = np.array(numpy_state["state"]["key"], dtype=np.uint32)
    np.random.set_state(numpy_state)
    torch.set_rng_state(states["torch"])
    batch_rng.bit_generator.state = states["batches"]
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_training_state(
    path: Path,
    fingerprint: str,
    epoch: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batch_rng: np.random.Generator,
    progress: dict,
) -> None:
    """Write the state after ``epoch`` atomically (see :func:`atomic_path`). ``progress`` holds
    the loop's own bookkeeping: best checkpoint, best loss, epochs since best, history, seconds."""
    state = {
        "fingerprint": fingerprint,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "random": random_states(batch_rng),
        "progress": progress,
    }
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        torch.save(state, handle)


def restore_training_state(
    state: dict,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batch_rng: np.random.Generator,
) -> None:
    """Put the model, optimizer and random generators back as they were after the saved epoch."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    restore_random_states(state["random"], batch_rng)


def load_training_state(path: Path, fingerprint: str) -> dict | None:
    """The saved state of this very run, or None to start from scratch (with the reason logged)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a state from another version or a damaged disk: start over
        log.warning("not resuming: cannot read the training state %s (%s)", path, error)
        return None
    if state.get("fingerprint") != fingerprint:
        log.info("not resuming: %s was saved by a run with other inputs or settings", path)
        return None
    return state
