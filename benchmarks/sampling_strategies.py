"""The sampling strategies side by side: musical statistics of songs each one writes.

    .venv/bin/python benchmarks/sampling_strategies.py [--songs 32] [--bars 16]

Uses the workflow's outputs (results/model/checkpoint.pt, results/data/{test,train}.txt): each
strategy writes ``--songs`` songs of ``--bars`` bars of 4/4 from the default seed, as one batch,
and they are compared with the held-out test songs (histogram overlaps, 1 = identical; share of
notes in the scale; share of songs ending on the tonic) and checked for copying from training.
A quick check: ``--songs 2 --bars 2``.
"""

import argparse
import statistics
import time
from pathlib import Path

import torch

from melodylstm.data.splits import read_songs
from melodylstm.evaluation.music_stats import music_stats
from melodylstm.generation.sampling import sample_songs
from melodylstm.generation.songs import check_seed
from melodylstm.generation.strategies import Sampling, SongRequest
from melodylstm.model.checkpoint import TrainedModel
from melodylstm.music.meter import bar_length
from melodylstm.representation.base import Meter

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
    parser.add_argument("--songs", type=int, default=32)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--seed", default="60 _ _ _ 64 _ _ _ 67 _ _ _")
    args = parser.parse_args()
    torch.set_num_threads(1)
    trained = TrainedModel.load(args.results / "model/checkpoint.pt")
    bar = bar_length("4/4", trained.time_step)
    seed = check_seed(args.seed, trained.vocabulary)
    held_out = read_songs(args.results / "data/test.txt")
    training = read_songs(args.results / "data/train.txt")
    steps = args.bars * bar - len(seed)
    # Every song runs the full length: no song boundary before the last step.
    request = SongRequest(seed, steps, min_steps=steps, meter=Meter(bar, 0))
    print(
        f"{'strategy':<16} {'pitch':>6} {'interval':>8} {'length':>6} {'scale':>6} "
        f"{'tonic end':>9} {'copied':>6} {'seconds':>7}"
    )
    for name, sampling in STRATEGIES.items():
        start = time.perf_counter()
        songs = sample_songs(trained, request, args.songs, sampling, random_seed=1)
        seconds = time.perf_counter() - start
        stats = music_stats({f"s{i}": song for i, song in enumerate(songs)}, held_out, training)
        overlap = stats["histogram_overlap"]
        copied = statistics.median(run["longest_copied_steps"] for run in stats["copying"])
        print(
            f"{name:<16} {overlap['pitch_class']:>6.3f} {overlap['interval']:>8.3f} "
            f"{overlap['note_length']:>6.3f} {stats['generated']['scale_share']:>6.3f} "
            f"{stats['generated']['ending_on_tonic_share']:>9.2f} {copied:>6.0f} {seconds:>7.1f}"
        )
    held = stats["held_out"]
    print(
        f"{'held-out songs':<16} {1:>6.3f} {1:>8.3f} {1:>6.3f} {held['scale_share']:>6.3f} "
        f"{held['ending_on_tonic_share']:>9.2f}"
    )


if __name__ == "__main__":
    main()
