"""Fine-tuning: a run whose model starts from a trained checkpoint (``training.init_from``).

The new run has its own vocabulary, that of its own training songs. Rows of the weights that are
indexed by token (the embedding and the output layer of a step or frame model; the window model's
one-hot input weights) are copied token by token: a token the checkpoint knows keeps its learned
row wherever it sits in the new vocabulary, a new token keeps the fresh row the seeded
initialisation gave it, and a token of the checkpoint that the new songs lack is dropped. Every
other weight is copied as it is. That needs the same model: the checkpoint's model settings,
representation, texture and time step must be the run's.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import torch

from musiclstm.data.vocabulary import Vocabulary
from musiclstm.model.base import LanguageModel
from musiclstm.model.checkpoint import build_model, checkpoint_representation

log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def settings_differences(source: dict, run: dict) -> list[str]:
    """``key (checkpoint X, this run Y)`` for every key of two nested settings dicts that
    differs, named by its dotted path."""
    differences = []
    for key in sorted(set(source) | set(run)):
        mine, theirs = run.get(key, "(not set)"), source.get(key, "(not set)")
        if isinstance(mine, dict) and isinstance(theirs, dict):
            differences += [f"{key}.{d}" for d in settings_differences(theirs, mine)]
        elif mine != theirs:
            differences.append(f"{key} (checkpoint {theirs!r}, this run {mine!r})")
    return differences


def check_same_model(source: dict, run: dict, path: Path) -> None:
    """Raise ``ValueError`` naming every setting in which the checkpoint's model differs from the
    run's. Both are dicts of ``model``, ``representation``, ``texture`` and ``encoding``."""
    differences = settings_differences(source, run)
    if differences:
        raise ValueError(
            f"training.init_from: {path} was trained with another model than this config "
            f"describes, so its weights cannot start this run; it differs in "
            f"{'; '.join(differences)}"
        )


def checkpoint_identity(checkpoint: dict) -> dict:
    """What must match in a checkpoint: its model, representation, texture and time step."""
    config = checkpoint["config"]
    return {
        "model": config["model"],
        "representation": checkpoint_representation(checkpoint),
        "texture": config.get("texture", "melody"),
        "encoding": {"time_step": config["encoding"]["time_step"]},
    }


def vocabulary_dimensions(args: dict) -> dict[str, int]:
    """The state-dict entries of the model ``args`` describe that are indexed by token, each with
    its token dimension: those whose shape follows ``vocab_size`` (found by building the model
    for two vocabulary sizes on the meta device, which allocates and draws nothing)."""
    with torch.device("meta"):
        one = build_model(args).state_dict()
        other = build_model(args | {"vocab_size": args["vocab_size"] + 1}).state_dict()
    dimensions = {}
    for name, tensor in one.items():
        grown = [d for d in range(tensor.dim()) if tensor.shape[d] != other[name].shape[d]]
        if grown:
            (dimensions[name],) = grown
    return dimensions


@torch.no_grad()
def copy_weights(
    model: LanguageModel, args: dict, vocabulary: Vocabulary, checkpoint: dict
) -> list[str]:
    """Copy the checkpoint's weights into ``model`` (of ``args``, on ``vocabulary``), rows of
    token-indexed weights by token; returns the tokens the checkpoint did not know, in order."""
    known = {token: i for i, token in enumerate(checkpoint["vocabulary"])}
    pairs = [(i, known[token]) for i, token in enumerate(vocabulary.tokens) if token in known]
    new_ids = torch.tensor([new for new, _ in pairs], dtype=torch.long)
    old_ids = torch.tensor([old for _, old in pairs], dtype=torch.long)
    dimensions = vocabulary_dimensions(args)
    state = model.state_dict()
    source = checkpoint["state_dict"]
    if state.keys() != source.keys():
        raise ValueError(
            f"training.init_from: the checkpoint's weights are {sorted(source)}, "
            f"the model's {sorted(state)}"
        )
    for name, target in state.items():
        weights = source[name].to(target.device, target.dtype)
        if name in dimensions:
            d = dimensions[name]
            target.index_copy_(d, new_ids, weights.index_select(d, old_ids))
        else:
            target.copy_(weights)
    return [token for token in vocabulary.tokens if token not in known]


def start_from(
    path: Path, model: LanguageModel, args: dict, vocabulary: Vocabulary, identity: dict
) -> dict:
    """Load the checkpoint at ``path`` into ``model`` after checking that it is the same model
    (``identity``: the run's, as :func:`checkpoint_identity` gives a checkpoint's). Returns the
    record of the start that the new checkpoint keeps under ``init_from``."""
    path = Path(path)
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    check_same_model(checkpoint_identity(checkpoint), identity, path)
    new_tokens = copy_weights(model, args, vocabulary, checkpoint)
    dropped = len(set(checkpoint["vocabulary"]) - set(vocabulary.tokens))
    log.info(
        "starting from %s (epoch %d, %d tokens): %d new tokens with fresh rows (%s), "
        "%d of its tokens not in this vocabulary",
        path, checkpoint["epoch"], len(checkpoint["vocabulary"]), len(new_tokens),
        " ".join(new_tokens) or "none", dropped,
    )  # fmt: skip
    return {
        "path": str(path),
        "sha256": file_sha256(path),
        "vocab_size": len(checkpoint["vocabulary"]),
        "epoch": checkpoint["epoch"],
        "new_tokens": new_tokens,
    }
