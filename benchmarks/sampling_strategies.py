"""The sampling strategies side by side: musical statistics of songs each one writes.

    .venv/bin/python benchmarks/sampling_strategies.py [--songs 64] [--seed ""]

Uses the workflow's outputs (results/model/checkpoint.pt, results/data/*): each strategy writes
``--songs`` songs as ``time_signature: auto`` does, each in the meter and length of a training song
drawn at random (the same draws for every strategy), from ``--seed`` (none by default), with no
ending patched on. They are compared with the held-out test songs like with like (each song with
the held-out songs of its meter, pooled over the meters weighted by their held-out songs): the
overlap of histograms (1 = identical), the share of notes in the scale, the share of songs ending
on the tonic, the share of bars repeating one 1, 2, 4 or 8 bars back, and copying from training.
A quick check: ``--songs 2``.
"""

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import torch

from musiclstm.data.splits import read_songs
from musiclstm.evaluation.music_stats import held_out_meters, music_stats
from musiclstm.generation.melodies import TrainingSongs, check_seed, sample_each, song_shapes
from musiclstm.generation.strategies import Sampling
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.settings import SongSettings, settings

REPO = Path(__file__).resolve().parent.parent

STRATEGIES = {
    "temperature 1.0": Sampling("temperature", temperature=1.0),
    "temperature 0.8": Sampling("temperature", temperature=0.8),
    "top_k 8": Sampling("top_k", temperature=1.0, top_k=8),
    "top_p 0.9": Sampling("top_p", temperature=1.0, top_p=0.9),
    "top_p 0.95 t0.9": Sampling("top_p", temperature=0.9, top_p=0.95),
    "beam 4": Sampling("beam", beam_width=4),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--songs", type=int, default=64)
    parser.add_argument("--seed", default="")
    parser.add_argument("--random-seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = args.results
    trained = TrainedModel.load(results / "model/checkpoint.pt")
    seed = check_seed(args.seed, trained.vocabulary)
    held_out = read_songs(results / "data/test.txt")
    training = read_songs(results / "data/train.txt")
    their_meters = held_out_meters(results / "data/songs.tsv", len(held_out), trained.time_step)
    auto = settings(
        SongSettings, seed=args.seed, time_signature="auto", end_on_tonic=False,
        random_seed=args.random_seed,
    )  # fmt: skip
    train = TrainingSongs(results / "data/train.npz", trained)
    shapes = song_shapes(auto, args.songs, trained.time_step, train)
    print(
        f"{'strategy':<16} {'pitch':>6} {'interval':>8} {'length':>6} {'scale':>6} "
        f"{'tonic end':>9} {'repeats':>7} {'copied':>6} {'seconds':>7}"
    )
    for name, sampling in STRATEGIES.items():
        song = dataclasses.replace(auto, **dataclasses.asdict(sampling))
        start = time.perf_counter()
        songs = sample_each(trained, song, seed, shapes)
        seconds = time.perf_counter() - start
        names = [f"s{i}" for i in range(len(songs))]
        stats = music_stats(
            dict(zip(names, songs, strict=True)),
            held_out,
            training,
            generated_meters={
                name: shape.time_signature for name, shape in zip(names, shapes, strict=True)
            },
            generated_pickups={
                name: shape.pickup for name, shape in zip(names, shapes, strict=True)
            },
            held_out_meters=their_meters,
            time_step=trained.time_step,
        )
        overlap, ours = stats["histogram_overlap"], stats["generated"]
        copied = statistics.median(run["longest_copied_steps"] for run in stats["copying"])
        print(
            f"{name:<16} {overlap['pitch_class']:>6.3f} {overlap['interval']:>8.3f} "
            f"{overlap['note_length']:>6.3f} {ours['scale_share']:>6.3f} "
            f"{ours['ending_on_tonic_share']:>9.2f} {ours['repeated_bar_share']:>7.3f} "
            f"{copied:>6.0f} {seconds:>7.1f}"
        )
    held = stats["held_out"]
    print(
        f"{'held-out songs':<16} {1:>6.3f} {1:>8.3f} {1:>6.3f} {held['scale_share']:>6.3f} "
        f"{held['ending_on_tonic_share']:>9.2f} {held['repeated_bar_share']:>7.3f}"
    )


if __name__ == "__main__":
    main()
