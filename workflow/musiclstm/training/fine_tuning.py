"""Fine-tuning: a run whose model starts from a trained checkpoint (``training.init_from``).

The new run has its own vocabulary, that of its own training songs. Rows of the weights that are
indexed by token (the embedding and the output layer of a step or frame model; the window model's
one-hot input weights) are copied token by token: a token the checkpoint knows keeps its learned
row wherever it sits in the new vocabulary, a new token keeps the fresh row the seeded
initialisation gave it, and a token of the checkpoint that the new songs lack is dropped. Every
other weight is copied as it is. That needs the same model: the checkpoint's model settings,
representation, texture and time step must be the run's, but for inputs the run reads and the
checkpoint does not (:data:`ADDED_INPUTS`): a harmoniser, which also reads the given melody
ahead, starts from the model that composes. The weights of those inputs start at zero, so the
run starts from the checkpoint's predictions and learns what the new inputs add.
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


# The settings of inputs a run may add to its checkpoint's model, by section: what a harmoniser
# reads besides the model that composes.
ADDED_INPUTS = {
    "model": ("lookahead", "melody_reader"),
    "representation": ("lookahead", "ahead_pitches"),
}


def without_added_inputs(source: dict, run: dict) -> dict:
    """``run`` with the settings of inputs that the checkpoint (``source``) does not read set to
    the checkpoint's: the run may add them."""
    run = dict(run)
    for section, keys in ADDED_INPUTS.items():
        if section not in run or section not in source:
            continue
        run[section] = dict(run[section])
        for key in keys:
            if source[section].get(key):
                continue  # read by the checkpoint: the run must read the same
            if key in source[section]:
                run[section][key] = source[section][key]
            else:  # a checkpoint written before the setting existed
                run[section].pop(key, None)
    return run


def check_same_model(source: dict, run: dict, path: Path) -> None:
    """Raise ``ValueError`` naming every setting in which the checkpoint's model differs from the
    run's, but for inputs the run adds. Both are dicts of ``model``, ``representation``,
    ``texture`` and ``encoding``."""
    differences = settings_differences(source, without_added_inputs(source, run))
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
    if not source.keys() <= state.keys():
        raise ValueError(
            f"training.init_from: the checkpoint's weights are {sorted(source)}, "
            f"the model's {sorted(state)}"
        )
    # Weights only the run has (a harmoniser's reader, the embedding of an added input) keep
    # their fresh values: the first layer reads them with zero weights to begin with.
    for name, target in state.items():
        if name not in source:
            continue
        weights = source[name].to(target.device, target.dtype)
        if name == INPUT_WEIGHTS and weights.shape != target.shape:
            copy_input_blocks(target, weights, model, checkpoint["model_args"])
        elif name in dimensions:
            d = dimensions[name]
            target.index_copy_(d, new_ids, weights.index_select(d, old_ids))
        else:
            target.copy_(weights)
    return [token for token in vocabulary.tokens if token not in known]


INPUT_WEIGHTS = "lstm.weight_ih_l0"  # the first LSTM layer's input weights, one block per input


def copy_input_blocks(target: torch.Tensor, weights: torch.Tensor, model, source_args: dict):
    """The checkpoint's first-layer input ``weights`` into ``target``, block by block by the
    input each block reads (:meth:`~musiclstm.model.lstm.StepLSTM.input_blocks`); the blocks of
    inputs the checkpoint did not read are zero."""
    with torch.device("meta"):
        source_blocks = build_model(source_args).input_blocks()
    starts, start = {}, 0
    for name, width in model.input_blocks():
        starts[name] = (start, width)
        start += width
    target.zero_()
    column = 0
    for name, width in source_blocks:
        if name not in starts or starts[name][1] != width:
            raise ValueError(f"training.init_from: this run does not read the input {name!r}")
        at = starts[name][0]
        target[:, at : at + width] = weights[:, column : column + width]
        column += width


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
