"""Generated songs against held-out songs meter by meter: do 6/8 songs sound like 6/8 songs, and
do songs end by themselves?

    .venv/bin/python benchmarks/meters.py [--songs 64] [--strategy top_k] [--seed ""]

Uses the workflow's outputs (results/model/checkpoint.pt, results/data/*.npz, *.txt, songs.tsv).
For every time signature with at least ``--min-held-out`` held-out test songs, ``--songs`` songs
are sampled in that meter, each as long as a training song of that meter drawn at random (the model
knows where it ends), with its upbeat and form (the schema's `form` and `upbeat`), from ``--seed``
(none by default) and with no ending patched on (``end_on_tonic`` off). Each meter's songs are
compared with the held-out songs of the same meter: the overlap of note lengths, pitch classes and
intervals (1 = identical), the share that ends on the tonic, and the share of bars repeating a bar
1, 2, 4 or 8 bars back (exactly, or moved to another pitch). The last rows pool the meters,
weighted by their held-out songs, and give the test split's bits per step from
results/evaluation/metrics.json.

A quick check: ``--songs 2 --min-held-out 1``.
"""

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import torch

from musiclstm.data.splits import read_songs
from musiclstm.evaluation.music_stats import held_out_meters, music_stats
from musiclstm.generation.melodies import TrainingSongs, check_seed, chosen_shape, sample_each
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.settings import SongSettings, settings

REPO = Path(__file__).resolve().parent.parent
COLUMNS = ("note_length", "pitch_class", "interval")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--songs", type=int, default=64, help="songs sampled per meter")
    parser.add_argument("--min-held-out", type=int, default=20)
    parser.add_argument("--strategy", default=None, help="default: the schema's")
    parser.add_argument("--seed", default="", help="the songs' opening, as tokens")
    parser.add_argument("--random-seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = args.results
    trained = TrainedModel.load(results / "model/checkpoint.pt")
    held_out = read_songs(results / "data/test.txt")
    training = read_songs(results / "data/train.txt")
    their_meters = held_out_meters(results / "data/songs.tsv", len(held_out), trained.time_step)
    counts = {meter: [m for m, _ in their_meters].count(meter) for meter, _ in their_meters}
    train = TrainingSongs(results / "data/train.npz", trained)
    overrides = {"strategy": args.strategy} if args.strategy else {}
    song = settings(
        SongSettings, seed=args.seed, end_on_tonic=False, random_seed=args.random_seed, **overrides
    )
    seed = check_seed(song.seed, trained.vocabulary)
    rng = np.random.default_rng(args.random_seed)
    generated, generated_meters, pickups = {}, {}, {}
    for meter in sorted(counts, key=lambda m: -counts[m]):
        pool = train.of_meter(meter)
        if counts[meter] < args.min_held_out or not pool:
            continue
        shapes = [
            chosen_shape(song, train.shape(pool[i]), trained.time_step)
            for i in rng.integers(len(pool), size=args.songs)
        ]
        songs = sample_each(trained, dataclasses.replace(song, time_signature=meter), seed, shapes)
        for i, (tokens, shape) in enumerate(zip(songs, shapes, strict=True)):
            generated[f"{meter} {i}"] = tokens
            generated_meters[f"{meter} {i}"] = meter
            pickups[f"{meter} {i}"] = shape.pickup
    stats = music_stats(
        generated,
        held_out,
        training,
        generated_meters=generated_meters,
        held_out_meters=their_meters,
        time_step=trained.time_step,
        generated_pickups=pickups,
    )
    print_table(stats, song)
    metrics = results / "evaluation/metrics.json"
    if metrics.exists():
        test = json.loads(metrics.read_text())["test"]
        print(
            f"test split: {test['bits_per_step']:.3f} bits/step, "
            f"{test['bits_per_note']:.3f} bits/note"
        )


def print_table(stats: dict, song: SongSettings) -> None:
    print(f"strategy {song.strategy}, temperature {song.temperature}, seed {song.seed!r}")
    print(
        f"{'meter':<6} {'held':>4} {'songs':>5} {'length':>6} {'pitch':>6} {'interv':>6} "
        f"{'tonic end':>11} {'repeated bars':>15} {'moved':>11}"
    )
    for meter, entry in stats["by_meter"].items():
        ours, theirs = entry["generated"], entry["held_out"]
        overlap = entry["histogram_overlap"]
        print(
            f"{meter:<6} {theirs['songs']:>4} {ours['songs']:>5} "
            + " ".join(f"{overlap[name]:>6.3f}" for name in COLUMNS)
            + f" {ours['ending_on_tonic_share']:>5.2f}/{theirs['ending_on_tonic_share']:<5.2f}"
            + f" {ours['repeated_bar_share']:>7.3f}/{theirs['repeated_bar_share']:<7.3f}"
            + f" {ours['moved_bar_share']:>5.3f}/{theirs['moved_bar_share']:<5.3f}"
        )
    pooled, ours, theirs = stats["histogram_overlap"], stats["generated"], stats["held_out"]
    print(
        f"{'pooled':<6} {theirs['songs']:>4} {ours['songs']:>5} "
        + " ".join(f"{pooled[name]:>6.3f}" for name in COLUMNS)
        + f" {ours['ending_on_tonic_share']:>5.2f}/{theirs['ending_on_tonic_share']:<5.2f}"
        + f" {ours['repeated_bar_share']:>7.3f}/{theirs['repeated_bar_share']:<7.3f}"
        + f" {ours['moved_bar_share']:>5.3f}/{theirs['moved_bar_share']:<5.3f}"
    )


if __name__ == "__main__":
    main()
