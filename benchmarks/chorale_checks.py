"""Voice leading of many chorales written by the chorale workflow's models, against Bach's.

    .venv/bin/python benchmarks/chorale_checks.py [--results results/chorale] [--composed 32]

Reads the workflow's compose model and harmoniser (``snakemake --cores 2 --configfile
config/chorale.yaml``) and writes, in this run:

- ``--composed`` chorales of 8 bars of 4/4, composed (top-k 8 at ``--temperature``, 1 as in
  the config);
- the soprano of every test chorale harmonised twice: by the compose model, which reads only what
  came before, and by the harmoniser, which also reads the soprano ahead;
- the composed and harmonised chorales again with the sampler's voice-leading rules on
  (``voice_rules``: no parallel fifths or octaves, crossings or notes out of range as a voice
  is written); the other sets sample the models as they are;
- with the rules, again with ``--sweeps`` refinement sweeps at each of ``--refine-temperatures``
  (``refine_sweeps``: every note redrawn given the notes on both sides), timed;

then prints the musical checks (:mod:`musiclstm.evaluation.voice_leading`) of each set next to
those of the held-out chorales, the voice ranges measured on the training chorales.
"""

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch

from musiclstm.data.splits import read_songs
from musiclstm.evaluation.voice_leading import chorale_checks, voice_ranges
from musiclstm.generation.ensembles import GivenMelody, compose_request, harmonise_request
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.strategies import Sampling
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.frames import SATB, frame_width, parse_frames
from musiclstm.settings import SongSettings, settings

FRAME_WIDTH = frame_width(len(SATB))  # a chorale's frame: the frame token and four voices
REPO = Path(__file__).resolve().parent.parent
ROWS = (
    "chorales",
    "parallels_per_100_frames",
    "crossing_share",
    "out_of_range_share",
    "triad_share",
    "seventh_share",
    "chord_share",
    "fermatas_per_chorale",
    "fermata_root_triad_share",
    "fermata_tonic_dominant_share",
    "final_tonic_triad_share",
    "wide_spacing_share",
)


def harmonisations(trained: TrainedModel, chorales, sampling: Sampling) -> list:
    """The soprano of each chorale harmonised (random seed = its position)."""
    written = []
    for seed, chorale in enumerate(chorales):
        melody = GivenMelody(chorale.voices[0], chorale.fermatas, "4/4", 0)
        [tokens] = sample_songs(
            trained, harmonise_request(melody, 0.25, FRAME_WIDTH), 1, sampling, seed
        )
        written.append(parse_frames(tokens))
    return written


def composed_set(composer, request, count: int, sampling: Sampling) -> list:
    return [parse_frames(tokens) for tokens in sample_songs(composer, request, count, sampling, 1)]


def refined_sets(composer, harmoniser, request, held_out, args, ruled: Sampling) -> dict:
    """The composed and harmonised sets with the rules and refinement sweeps, and their seconds."""
    sets, seconds = {}, {}
    for temperature in args.refine_temperatures:
        refined = replace(ruled, refine_sweeps=args.sweeps, refine_temperature=temperature)
        label = f"{args.sweeps} sweeps at {temperature:g}"
        writers = {
            "composed": lambda how: composed_set(composer, request, args.composed, how),
            "past only": lambda how: harmonisations(composer, held_out, how),
        }
        if harmoniser is not None:
            writers["harmoniser"] = lambda how: harmonisations(harmoniser, held_out, how)
        for name, write in writers.items():
            start = time.perf_counter()
            sets[f"{name}, {label}"] = write(refined)
            seconds[f"{name}, {label}"] = time.perf_counter() - start
    return sets, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results/chorale")
    parser.add_argument("--composed", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--sweeps", type=int, default=2)
    parser.add_argument("--refine-temperatures", type=float, nargs="*", default=[1.0, 0.5])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = args.results / "data"
    held_out = [parse_frames(tokens) for tokens in read_songs(data / "test.txt")]
    ranges = voice_ranges([parse_frames(tokens) for tokens in read_songs(data / "train.txt")])
    composer = TrainedModel.load(args.results / "model/checkpoint.pt")
    sampling = Sampling("top_k", temperature=args.temperature, top_k=8)
    request = compose_request(settings(SongSettings, seed="", bars=8), [], 0.25, FRAME_WIDTH)
    ruled = replace(sampling, voice_rules=True)
    sets = {
        "Bach (test)": held_out,
        "composed": composed_set(composer, request, args.composed, sampling),
        "composed, rules": composed_set(composer, request, args.composed, ruled),
        "harmonised, past only": harmonisations(composer, held_out, sampling),
        "past only, rules": harmonisations(composer, held_out, ruled),
    }
    harmoniser_path = args.results / "harmoniser/checkpoint.pt"
    harmoniser = None
    if harmoniser_path.exists():  # the compose model's run alone has none
        harmoniser = TrainedModel.load(harmoniser_path)
        sets["harmonised, harmoniser"] = harmonisations(harmoniser, held_out, sampling)
        sets["harmoniser, rules"] = harmonisations(harmoniser, held_out, ruled)
    refined, seconds = refined_sets(composer, harmoniser, request, held_out, args, ruled)
    sets |= refined
    checks = {name: chorale_checks(chorales, ranges) for name, chorales in sets.items()}
    # One column per set: the names are long, so the table is printed set by set.
    print(f"{'set':<34}" + "".join(f"{row[:14]:>15}" for row in ROWS))
    for name, figures in checks.items():
        cells = "".join(f"{'-' if figures[r] is None else f'{figures[r]:.3f}':>15}" for r in ROWS)
        print(f"{name:<34}{cells}")
    for name, value in seconds.items():
        print(f"{name}: {value:.0f} s to write and refine")


if __name__ == "__main__":
    main()
