"""The chorale model on the standard JSB split, in the published figure: nats per voice-step with
held notes folded into their pitch, on the validation and test chorales.

    .venv/bin/python benchmarks/jsb.py PATH/Jsb16thSeparated.npz [--keys normalised all]
        [--heads step frame] [--epochs 22] [--seeds 1 2] [--recall] [--out results/jsb]

``Jsb16thSeparated.npz`` (Coconet's file: 229 / 76 / 77 chorales, one MIDI pitch per voice and
sixteenth, NaN where a voice is silent) is read from the path given; nothing in the workflow needs
it. Each record becomes a chorale stream of the workflow (:mod:`musiclstm.music.frames`): a pitch
that sounds on from one sixteenth to the next is written as a hold, since the record cannot tell
a held note from a struck one, and the score folds the two back together
(:mod:`musiclstm.evaluation.folded`). A record has no fermatas, bar lines or key, so every frame
token is plain, the meter is unknown to the model, and the key is one of two settings:

- ``normalised``: each chorale moved to C major or A minor (the key music21's analysis finds in
  the record itself), as the workflow encodes chorales. Moving a record by a fixed number of
  semitones and back loses nothing, so its likelihood is that of the record;
- ``all``: each training chorale at every transposition that keeps each voice inside the range
  it has in the training records (as TonicNet trained), scored in the written keys. Trained for
  the same number of frames as ``normalised`` (fewer epochs over more chorales).

For each setting and model head (``step``: the workflow's stream, one LSTM step per token;
``frame``: one step per frame), the model of ``config/chorale.yaml`` is trained on the training
records and chosen by its validation loss; an interpolated Kneser-Ney n-gram, its order chosen on
validation, is scored beside it. ``--model`` changes the config's model settings and
``--epochs`` the budget, to choose them by validation. ``--seeds`` trains one model from each
training seed and scores their average as well (:mod:`musiclstm.model.average`); ``--recall``
scores the last model of a head mixed with each chorale's recall of its own past, the recall's
weights fitted on the validation chorales (:mod:`musiclstm.model.recall`). Checkpoints are kept
under ``--out`` and reused when present.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml

from musiclstm.data.batches import SplitData, load_split
from musiclstm.data.tensors import save_arrays, songs_to_arrays
from musiclstm.data.vocabulary import Vocabulary, build_vocabulary, save_vocabulary
from musiclstm.evaluation.chorale_metrics import FrameView
from musiclstm.evaluation.folded import FoldedView
from musiclstm.evaluation.metrics import evaluate_songs
from musiclstm.model.average import ModelAverage
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.model.ngram import KneserNey, NgramCounts
from musiclstm.model.recall import fit_recall, with_recall
from musiclstm.music.frames import SATB, Frames
from musiclstm.music.tokens import HOLD, REST
from musiclstm.music.tonality import song_key
from musiclstm.settings import for_head
from musiclstm.textures import texture_from
from musiclstm.training.history import read_history
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings

REPO = Path(__file__).resolve().parent.parent
SPLITS = ("train", "valid", "test")
VALID_TEST = ("valid", "test")
TEXTURE = {"name": "chorale"}
SHIFTS = range(-6, 6)  # every transposition of a chorale, each pitch class once
VOCABULARY_MARGIN = 12  # semitones of pitches beyond the records' range every vocabulary holds
NGRAM_ORDERS = range(2, 9)
BAR = 16  # sixteenths in a bar of 4/4, the meter of nearly every record


def read_records(path: Path) -> dict[str, list[np.ndarray]]:
    """The (steps, 4) arrays of each split (the file's object arrays come from Python 2)."""
    data = np.load(path, allow_pickle=True, encoding="latin1")
    return {split: [np.asarray(record, dtype=float) for record in data[split]] for split in SPLITS}


def bar_heard_before(record: np.ndarray, bar: int = BAR) -> float:
    """The share of a record's frames (after its first bar) that follow a bar of all four
    voices heard earlier in the record, the frame being the one that followed it there: what
    recall can take from the chorale's own past and an LSTM's state no longer holds."""
    frames = [tuple(np.nan_to_num(row, nan=-1).astype(int)) for row in record]
    followed: dict[tuple, set] = {}
    heard = 0
    for step in range(bar, len(frames)):
        before = tuple(frames[step - bar : step])
        heard += frames[step] in followed.get(before, ())
        followed.setdefault(before, set()).add(frames[step])
    return heard / max(len(frames) - bar, 1)


def voice_tokens(column: np.ndarray) -> list[str]:
    """One voice's record as tokens: a pitch or rest that goes on from the step before is held."""
    tokens = []
    for step, value in enumerate(column):
        before = column[step - 1] if step else None
        same = step > 0 and (value == before or (np.isnan(value) and np.isnan(before)))
        tokens.append(HOLD if same else REST if np.isnan(value) else str(int(value)))
    return tokens


def record_frames(record: np.ndarray) -> Frames:
    """A record as frames of the four voices, no frame under a fermata."""
    return Frames(tuple(voice_tokens(column) for column in record.T), [False] * len(record))


def normalised(chorale: Frames) -> Frames:
    """The chorale moved to C major or A minor, the key analysis finds in all its voices."""
    events = [event for voice in chorale.events() for event in voice]
    return chorale.transposed(song_key(events).shift_to_c)


def voice_ranges(chorales: list[Frames]) -> list[tuple[int, int]]:
    """Each voice's lowest and highest pitch over ``chorales``."""
    ranges = []
    for voice in range(len(SATB)):
        pitches = [int(t) for c in chorales for t in c.voices[voice] if t not in (HOLD, REST)]
        ranges.append((min(pitches), max(pitches)))
    return ranges


def in_range(chorale: Frames, ranges: list[tuple[int, int]]) -> bool:
    return all(
        low <= int(token) <= high
        for voice, (low, high) in zip(chorale.voices, ranges, strict=True)
        for token in voice
        if token not in (HOLD, REST)
    )


def all_keys(chorales: list[Frames]) -> list[Frames]:
    """Every chorale at every transposition that keeps its voices within the chorales' ranges."""
    ranges = voice_ranges(chorales)
    moved = (chorale.transposed(shift) for chorale in chorales for shift in SHIFTS)
    return [chorale for chorale in moved if in_range(chorale, ranges)]


def chorale_splits(records: dict[str, list[np.ndarray]], keys: str) -> dict[str, list[Frames]]:
    """The splits' chorales in the key setting ``keys`` (see the module docstring)."""
    written = {split: [record_frames(r) for r in records[split]] for split in SPLITS}
    if keys == "normalised":
        return {split: [normalised(c) for c in chorales] for split, chorales in written.items()}
    return written | {"train": all_keys(written["train"])}


def write_data(chorales: dict[str, list[Frames]], records, out: Path) -> None:
    """The splits as the workflow's tensors, with a vocabulary that holds every pitch within
    :data:`VOCABULARY_MARGIN` of the records' range (no held-out token is unknown)."""
    out.mkdir(parents=True, exist_ok=True)
    songs = {split: [c.tokens() for c in pieces] for split, pieces in chorales.items()}
    pitches = np.concatenate([r.ravel() for rs in records.values() for r in rs])
    low, high = int(np.nanmin(pitches)), int(np.nanmax(pitches))
    every_pitch = [str(p) for p in range(low - VOCABULARY_MARGIN, high + VOCABULARY_MARGIN + 1)]
    representation = texture_from(TEXTURE).representation([1], [])
    vocabulary = build_vocabulary([*songs["train"], every_pitch], representation)
    save_vocabulary(vocabulary, out / "vocabulary.json")
    for split, pieces in songs.items():
        save_arrays(songs_to_arrays(pieces, Vocabulary(vocabulary["tokens"])), out / f"{split}.npz")


def train(data: Path, head: str, epochs: int, changes: dict, out: Path) -> dict:
    """The chorale config's model with ``head`` and ``changes`` (its model settings and the
    training ``seed``), ``epochs`` epochs on ``data``; its run."""
    config = yaml.safe_load((REPO / "config/chorale.yaml").read_text())
    training = config["training"] | {"epochs": epochs, "device": "cpu", "max_minutes": 600}
    training["seed"] = changes.get("seed", training["seed"])
    model = for_head(config["model"], head)  # the frame model without the step model's weights
    model = model | {key: value for key, value in changes.items() if key != "seed"}
    run = RunSettings.from_config(model, training, 0.25, TEXTURE)
    files = TrainingFiles.in_folders(data, out)
    if not files.checkpoint.exists():
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        train_model(files, run)
        (out / "seconds.txt").write_text(f"{time.perf_counter() - start:.0f}\n")
    history = read_history(files.history)
    return {
        "epochs": len(history),
        "minutes": float((out / "seconds.txt").read_text()) / 60,
        "best_valid_bits_per_step": min(float(row["valid_bits_per_step"]) for row in history),
    }


def scored(model, data: SplitData, vocabulary: Vocabulary) -> dict:
    """Folded and unfolded figures of ``data`` under ``model`` (an LSTM or the n-gram)."""
    views = (FoldedView(vocabulary, SATB), FrameView(vocabulary, SATB))
    metrics = evaluate_songs(model, data, vocabulary, views=views)
    return metrics["folded"] | {
        "stream_nats_per_voice_step": metrics["chorale"]["nats_per_voice_step"]
    }


def ngram(splits: dict[str, SplitData], vocabulary: Vocabulary) -> dict:
    """The Kneser-Ney n-gram of the training chorales, its order chosen on validation."""
    counts = NgramCounts(
        splits["train"].songs, max(NGRAM_ORDERS), len(vocabulary), vocabulary.boundary
    )
    by_order = {k: scored(KneserNey(counts, k), splits["valid"], vocabulary) for k in NGRAM_ORDERS}
    order = min(by_order, key=lambda k: by_order[k]["nats_per_voice_step"])
    return {"order": order, "valid": by_order[order]} | {
        "test": scored(KneserNey(counts, order), splits["test"], vocabulary)
    }


def recalled(trained: TrainedModel, splits: dict[str, SplitData], setting: str) -> dict:
    """The row of ``trained`` mixed with each chorale's recall of its own past, the recall's
    weights fitted on the validation chorales (:mod:`musiclstm.model.recall`)."""
    weights = fit_recall(trained, splits["valid"])
    recalling = with_recall(trained, weights)
    return {"setting": setting, "recall": weights.describe()} | {
        s: scored(recalling.model, splits[s], trained.vocabulary) for s in VALID_TEST
    }


@dataclass(frozen=True)
class Plan:
    """What to train and score for each key setting (the command's options)."""

    heads: list[str]
    epochs: int
    changes: dict
    seeds: list[int]
    recall: bool
    out: Path

    def folder(self, keys: str, head: str, seed: int) -> Path:
        """Where a model is kept: the first seed's in the head's folder, as before seeds."""
        name = head if seed == self.seeds[0] else f"{head}-seed{seed}"
        return self.out / keys / name


def run_setting(records, keys: str, plan: Plan) -> list[dict]:
    """Rows of the table for one key setting: each head's LSTM (one row per seed, their average
    with several, and with ``recall`` the last of them mixed with each chorale's own past) and
    the n-gram."""
    data = plan.out / keys / "data"
    chorales = chorale_splits(records, keys)
    if not (data / "test.npz").exists():
        write_data(chorales, records, data)
    frames = sum(c.frames for c in chorales["train"])
    # The same frames of training for every setting: epochs of the written records' length.
    base_frames = sum(len(r) for r in records["train"])
    budget = max(1, round(plan.epochs * base_frames / frames))
    rows = []
    for head in plan.heads:
        models = []
        for seed in plan.seeds:
            folder = plan.folder(keys, head, seed)
            run = train(data, head, budget, plan.changes | {"seed": seed}, folder)
            trained = TrainedModel.load(folder / "checkpoint.pt")
            splits = {
                s: load_split(data / f"{s}.npz", trained.representation, trained.vocabulary)
                for s in SPLITS
            }
            models.append(trained.model)
            rows.append(
                {"setting": f"{keys}, LSTM {head}, seed {seed}"}
                | {"train_chorales": len(chorales["train"])}
                | run
                | {s: scored(trained.model, splits[s], trained.vocabulary) for s in VALID_TEST}
            )
        if len(models) > 1:
            trained = dataclasses.replace(trained, model=ModelAverage(models))
            setting = f"{keys}, LSTM {head}, {len(models)} seeds averaged"
            rows.append(
                {"setting": setting}
                | {s: scored(trained.model, splits[s], trained.vocabulary) for s in VALID_TEST}
            )
        if plan.recall:
            rows.append(recalled(trained, splits, rows[-1]["setting"] + " + recall"))
    rows.append({"setting": f"{keys}, n-gram"} | ngram(splits, trained.vocabulary))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("npz", type=Path, help="Jsb16thSeparated.npz")
    parser.add_argument("--keys", nargs="+", default=["normalised", "all"])
    parser.add_argument("--heads", nargs="+", default=["step", "frame"])
    parser.add_argument("--epochs", type=int, default=22)
    parser.add_argument(
        "--model",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="changes to config/chorale.yaml's model section, e.g. hidden_size=256",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[1],
        help="train a model from each training seed and score them averaged as well",
    )
    parser.add_argument(
        "--recall",
        action="store_true",
        help="also score each LSTM mixed with the chorale's recall of its own past",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "results/jsb")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    records = read_records(args.npz)
    changes = {k: yaml.safe_load(v) for k, v in (change.split("=", 1) for change in args.model)}
    plan = Plan(args.heads, args.epochs, changes, args.seeds, args.recall, args.out)
    if args.recall:
        for split in VALID_TEST:
            frames = [len(r) - BAR for r in records[split] if len(r) > BAR]
            shares = [bar_heard_before(r) for r in records[split] if len(r) > BAR]
            share = np.dot(frames, shares) / sum(frames)
            print(f"{split}: {share:.3f} of frames follow a bar heard before in the chorale")
    rows = [row for keys in args.keys for row in run_setting(records, keys, plan)]
    header = f"{'JSB chorales, held notes folded':<28} {'valid':>7} {'test':>7} {'test/piece':>10}"
    print(header + f" {'epochs':>6} {'minutes':>7}")
    for row in rows:
        if "order" in row:
            row["setting"] += f" ({row['order']}-gram)"
        valid, test = row["valid"], row["test"]
        print(
            f"{row['setting']:<28} {valid['nats_per_voice_step']:>7.3f} "
            f"{test['nats_per_voice_step']:>7.3f} {test['nats_per_voice_step_by_piece']:>10.3f}"
            + (f" {row['epochs']:>6} {row['minutes']:>7.1f}" if "epochs" in row else "")
        )
    print("(nats per voice-step; BachBot 0.477 on its own split, Coconet 0.436 and")
    print(" Music Transformer about 0.34 on this split's test chorales)")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
