"""Chorales: training speed, held-out bits per voice-step of the LSTMs and of the n-gram baseline
at the same CPU budget, and generation speed, all in one run.

    .venv/bin/python benchmarks/chorales.py [--data results/chorale/data] [--minutes 11]

It reads the chorale workflow's tensors (``snakemake --cores 2 results/chorale/data/test.npz
--configfile config/chorale.yaml``) and, in this process:

1. trains the model of ``config/chorale.yaml`` for at most ``--minutes`` of wall-clock time on
   ``--threads`` threads (its ``training.max_minutes``), once per ``--heads``: ``step`` (the
   serialised stream the workflow ships, one LSTM step per token) and ``frame`` (one LSTM step
   per frame, :mod:`musiclstm.model.frames`), and reports frames per second;
2. fits the n-gram baseline on the same training chorales (its order chosen on valid), timed;
3. scores both on the test chorales (nats and bits per voice-step, bits per frame);
4. times sampling an 8-bar composed chorale and a harmonisation of a test chorale's soprano, with
   the step kernel and through the model's modules, in frames per second.

``--device cuda`` runs the training on a GPU where there is one. A quick check: ``--minutes 1``.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
import yaml

from musiclstm.data.batches import load_split
from musiclstm.data.vocabulary import Vocabulary, load_vocabulary
from musiclstm.evaluation.chorale_metrics import evaluate_chorales, ngram_baseline
from musiclstm.generation.ensembles import GivenMelody, compose_request, harmonise_request
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.strategies import Sampling
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.frames import SATB, frame_width, parse_frames
from musiclstm.settings import SongSettings, for_head, settings
from musiclstm.training.history import read_history
from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings

FRAME_WIDTH = frame_width(len(SATB))  # a chorale's frame: the frame token and four voices
REPO = Path(__file__).resolve().parent.parent


def train(data: Path, head: str, minutes: float, threads: int, device: str, out: Path) -> dict:
    """The chorale config's model with ``head`` trained for at most ``minutes``; its speed."""
    config = yaml.safe_load((REPO / "config/chorale.yaml").read_text())
    training = config["training"] | {"max_minutes": minutes, "device": device, "threads": threads}
    model = for_head(config["model"], head)  # the frame model without the step model's weights
    run = RunSettings.from_config(model, training, 0.25, "chorale")
    files = TrainingFiles.in_folders(data, out, resumable=True)
    start = time.perf_counter()
    train_model(files, run)
    seconds = time.perf_counter() - start
    history = read_history(out / "history.csv")
    tokens_per_second = statistics.median(float(row["tokens_per_second"]) for row in history)
    return {
        "seconds": seconds,
        "epochs": len(history),
        "frames_per_second": tokens_per_second / FRAME_WIDTH,
    }


def score(checkpoint: Path, data: Path) -> tuple[TrainedModel, dict, dict]:
    """The trained model's and the n-gram's test metrics (the n-gram fitted here, timed)."""
    trained = TrainedModel.load(checkpoint)
    splits = {
        name: load_split(data / f"{name}.npz", trained.representation, trained.vocabulary)
        for name in ("train", "valid", "test")
    }
    model = evaluate_chorales(trained.model, splits["test"], trained.vocabulary, SATB)
    start = time.perf_counter()
    vocabulary = Vocabulary(load_vocabulary(data / "vocabulary.json"))
    baseline = ngram_baseline(
        splits["train"], {"valid": splits["valid"], "test": splits["test"]}, vocabulary, SATB
    )
    baseline["seconds"] = time.perf_counter() - start
    return trained, model, baseline


def first_test_soprano(data: Path) -> GivenMelody:
    """The soprano and fermatas of the first test chorale, as a melody to harmonise."""
    tokens = (data / "test.txt").read_text().splitlines()[0].split()
    chorale = parse_frames(tokens)
    return GivenMelody(chorale.voices[0], chorale.fermatas, "4/4", 0)


def frames_per_second(trained: TrainedModel, request, fast: bool, repeats: int) -> float:
    """Frames per second of sampling ``request`` once (top-k 8), the median of ``repeats``."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        [song] = sample_songs(trained, request, 1, Sampling("top_k"), 1, fast_step=fast)
        runs.append(time.perf_counter() - start)
    return len(song) / trained.representation.frame_width / statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "results/chorale/data")
    parser.add_argument("--heads", nargs="+", default=["step", "frame"])
    parser.add_argument("--minutes", type=float, default=11)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    compose = compose_request(settings(SongSettings, seed="", bars=8), [], 0.25, FRAME_WIDTH)
    harmonise = harmonise_request(first_test_soprano(args.data), 0.25, FRAME_WIDTH)
    rows, speeds, generation, baseline = [], {}, {}, None
    for head in args.heads:
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch)
            speeds[head] = train(args.data, head, args.minutes, args.threads, args.device, out)
            trained, model, baseline = score(out / "checkpoint.pt", args.data)
        torch.set_num_threads(args.threads)
        rows.append((f"LSTM, {head}", model))
        # Harmonising with the compose model (no lookahead) costs the sampler the same.
        for what, request in (("compose", compose), ("harmonise", harmonise)):
            for fast in (True, False):
                name = f"{head}, {what}, {'kernel' if fast else 'modules'}"
                generation[name] = frames_per_second(trained, request, fast, args.repeats)
    rows.append((f"{baseline['order']}-gram (fit {baseline['seconds']:.0f} s)", baseline["test"]))
    for head, speed in speeds.items():
        print(
            f"training {head}: {speed['epochs']} epochs in {speed['seconds']:.0f} s on "
            f"{args.device}, {speed['frames_per_second']:.0f} frames/s ({args.threads} threads)"
        )
    header = ("test chorales", "nats/voice-step", "bits/voice-step", "bits/frame")
    print(f"{header[0]:<28} {header[1]:>16} {header[2]:>16} {header[3]:>11}")
    for name, metrics in rows:
        print(
            f"{name:<28} {metrics['nats_per_voice_step']:>16.3f} "
            f"{metrics['bits_per_voice_step']:>16.3f} {metrics['bits_per_frame']:>11.3f}"
        )
    for name, value in generation.items():
        print(f"generation, {name:<28} {value:>8.0f} frames/s")
    print(json.dumps({"training": speeds, "test": dict(rows), "baseline": baseline}, default=str))


if __name__ == "__main__":
    main()
