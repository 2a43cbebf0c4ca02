"""Fine-tuning a trained model on a small collection of other songs, against training from scratch.

    .venv/bin/python benchmarks/fine_tuning.py --checkpoint results/model/checkpoint.pt \\
        [--corpus 'essenFolksong/han*.abc'] [--sizes 25 50 100 all] [--minutes 5] [--work DIR]

On the songs of another collection of music21's corpus (by default the 1,224 Han Chinese songs
of the Essen database, ``essenFolksong/han*.abc``: of the first 150, config.yaml's encoding kept
131, most of them in 2/4):

- runs the workflow's data stages (Snakemake, in ``--work``) once on the whole collection with
  config.yaml's encoding and split, so that every size is validated and tested on the same songs;
- for each size N of ``--sizes``, takes N of the training songs (``all``: every one; each size's
  songs include the smaller sizes'), builds their vocabulary as the workflow does and the tensors
  of the three splits under it;
- trains the checkpoint's model with the checkpoint's training settings twice, each for at most
  ``--minutes`` of wall-clock time (``training.max_minutes``, early stopping as configured): from
  scratch, and fine-tuned from ``--checkpoint`` (``training.init_from``, optionally at another
  ``--fine-tune-lr``);
- prints a table: held-out test bits/step, bits/note and pitch bits/note of each, with the
  validation bits/step, epochs, best epoch and minutes trained.

The songs' tokens that a size's training songs lack are unknown to both of its models alike.
A quick check that it runs (minutes of a few seconds):
``--checkpoint results/model/checkpoint.pt --sizes 25 --minutes 0.1 --max-songs 80``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from musiclstm.config import load_config
from musiclstm.data.splits import read_songs
from musiclstm.data.tensors import save_arrays, songs_to_arrays, split_meters
from musiclstm.data.vocabulary import Vocabulary, build_vocabulary, save_vocabulary
from musiclstm.evaluation.metrics import evaluate_checkpoint
from musiclstm.textures.melody import MelodyTexture
from musiclstm.training.history import read_history
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
SPLITS = ("train", "valid", "test")
STARTS = ("scratch", "fine-tuned")


def encode_collection(work: Path, corpus: str, max_songs: int | None, time_step: float) -> Path:
    """The workflow's songs, table and split of the collection, under ``work``; their folder."""
    config = load_config(REPO / "config.yaml", REPO)
    run_config = {
        "texture": "melody",  # a whole config: nothing of config.yaml's sources is merged in
        "sources": [{"name": "collection", "corpus": corpus, "max_songs": max_songs}],
        "encoding": config["encoding"] | {"time_step": time_step},
        "split": config["split"],
    }
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.yaml").write_text(yaml.safe_dump(run_config))
    # Targets are paths inside the working directory.
    targets = [f"results/data/{split}.txt" for split in SPLITS] + ["results/data/songs.tsv"]
    command = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(work)]
    command += ["--configfile", str(work / "config.yaml"), "--cores", "all"]
    result = subprocess.run([*command, *targets], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"encoding {corpus} failed:\n{result.stderr[-4000:]}")
    return work / "results" / "data"


def train_subset(songs: list[list[str]], size: str, seed: int) -> list[int]:
    """The indices of ``size`` training songs (``all``: every one), in their file order; the
    songs of a smaller size are among those of a larger one."""
    order = np.random.default_rng(seed).permutation(len(songs))
    count = len(songs) if size == "all" else min(int(size), len(songs))
    return sorted(order[:count].tolist())


def write_size(data: Path, out: Path, chosen: list[int], time_step: float) -> dict:
    """The tensors of the chosen training songs and of the whole valid and test splits, under
    the chosen songs' vocabulary, in ``out``; their song and token counts."""
    out.mkdir(parents=True, exist_ok=True)
    songs = {split: read_songs(data / f"{split}.txt") for split in SPLITS}
    meters = {split: split_meters(data / "songs.tsv", split, time_step) for split in SPLITS}
    songs["train"] = [songs["train"][i] for i in chosen]
    meters["train"] = {
        name: [column[i] for i in chosen] for name, column in meters["train"].items()
    }
    vocabulary = build_vocabulary(songs["train"], MelodyTexture().representation())
    save_vocabulary(vocabulary, out / "vocabulary.json")
    tokens = Vocabulary(vocabulary["tokens"])
    for split in SPLITS:
        save_arrays(songs_to_arrays(songs[split], tokens, meters[split]), out / f"{split}.npz")
    return {"songs": len(chosen), "tokens": len(tokens)}


def run_settings(source: dict, args: argparse.Namespace, init_from: Path | None) -> RunSettings:
    """The checkpoint's model and training settings with the command line's, for at most
    ``--minutes``, from scratch or from ``init_from``."""
    config = source["config"]
    training = config["training"] | {"max_minutes": args.minutes, "init_from": None}
    training |= {key: value for key, value in overrides(args).items() if value is not None}
    if init_from is not None:
        training["init_from"] = str(init_from)
        if args.fine_tune_lr is not None:
            training["learning_rate"] = args.fine_tune_lr
    return RunSettings.from_config(
        config["model"], training, config["encoding"]["time_step"], config.get("texture", "melody")
    )


def overrides(args: argparse.Namespace) -> dict:
    """The training settings the command line overrides (None: the checkpoint's)."""
    return {"threads": args.threads, "device": args.device, "epochs": args.epochs}


def train_and_score(folder: Path, settings: RunSettings, name: str) -> dict:
    """Train one model on a size's tensors and score it on its valid and test splits."""
    out = folder / name
    out.mkdir(exist_ok=True)
    files = TrainingFiles(
        folder / "train.npz",
        folder / "valid.npz",
        folder / "vocabulary.json",
        out / "checkpoint.pt",
        out / "history.csv",
    )
    start = time.perf_counter()
    checkpoint = train_model(files, settings)
    minutes = (time.perf_counter() - start) / 60
    splits = {split: folder / f"{split}.npz" for split in ("valid", "test")}
    metrics = evaluate_checkpoint(out / "checkpoint.pt", splits, threads=torch.get_num_threads())
    return {
        "epochs": len(read_history(out / "history.csv")),
        "best_epoch": checkpoint["epoch"],
        "minutes": minutes,
        "valid": metrics["valid"],
        "test": metrics["test"],
    }


def fmt(value, digits=3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def print_table(results: list[dict]) -> None:
    header = (
        "size (songs, tokens)", "start", "test bits/step", "test bits/note",
        "test pitch bits/note", "valid bits/step", "epochs (best)", "minutes",
    )  # fmt: skip
    rows = [
        (
            f"{r['size']} ({r['songs']}, {r['tokens']})",
            start,
            fmt(r[start]["test"]["bits_per_step"]),
            fmt(r[start]["test"]["bits_per_note"]),
            fmt(r[start]["test"]["pitch_bits_per_note"]),
            fmt(r[start]["valid"]["bits_per_step"]),
            f"{r[start]['epochs']} ({r[start]['best_epoch']})",
            fmt(r[start]["minutes"], 2),
        )
        for r in results
        for start in STARTS
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="the model to fine-tune (e.g. of make song)"
    )
    parser.add_argument(
        "--corpus", default="essenFolksong/han*.abc", help="a glob in music21's corpus"
    )
    parser.add_argument("--max-songs", type=int, help="read at most this many songs of it")
    parser.add_argument("--sizes", nargs="+", default=["25", "50", "100", "all"])
    parser.add_argument("--minutes", type=float, default=5.0, help="training budget per model")
    parser.add_argument("--fine-tune-lr", type=float, help="fine-tuning's learning rate")
    parser.add_argument("--epochs", type=int, help="training.epochs (default: the checkpoint's)")
    parser.add_argument("--threads", type=int, help="training.threads (the checkpoint's)")
    parser.add_argument("--device", help="training.device (default: the checkpoint's)")
    parser.add_argument("--seed", type=int, default=0, help="which training songs each size has")
    parser.add_argument("--work", type=Path, help="keep the encoded songs and models here")
    parser.add_argument("--json", type=Path, help="also write every number here")
    args = parser.parse_args()
    for size in args.sizes:
        if size != "all" and not (size.isdigit() and int(size) > 0):
            parser.error(f"--sizes: {size!r} is neither a positive number nor 'all'")
    if not args.checkpoint.exists():
        parser.error(f"--checkpoint: no file {args.checkpoint}; run make song first")
    return args


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING, format="    %(message)s", stream=sys.stderr)
    source = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    time_step = source["config"]["encoding"]["time_step"]
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        print(f"encoding {args.corpus} in {work} ...", flush=True)
        data = encode_collection(work, args.corpus, args.max_songs, time_step)
        train_songs = read_songs(data / "train.txt")
        print(
            f"{len(train_songs)} train, {len(read_songs(data / 'valid.txt'))} valid, "
            f"{len(read_songs(data / 'test.txt'))} test songs; {args.minutes:g} minutes per "
            f"model; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
        results = []
        for size in args.sizes:
            folder = work / "sizes" / size
            chosen = train_subset(train_songs, size, args.seed)
            result = {"size": size, **write_size(data, folder, chosen, time_step)}
            for start, init in zip(STARTS, (None, args.checkpoint.resolve()), strict=True):
                print(f"size {size}: {start} ...", flush=True)
                settings = run_settings(source, args, init)
                result[start] = train_and_score(folder, settings, start)
            results.append(result)
    print()
    print_table(results)
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args), "results": results}, indent=1, default=str) + "\n"
        )
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")


if __name__ == "__main__":
    main()
