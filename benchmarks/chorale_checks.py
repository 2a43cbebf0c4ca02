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

then prints the musical checks (:mod:`musiclstm.evaluation.voice_leading`) of each set next to
those of the held-out chorales, the voice ranges measured on the training chorales.
"""

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results/chorale")
    parser.add_argument("--composed", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temperature", type=float, default=1.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = args.results / "data"
    held_out = [parse_frames(tokens) for tokens in read_songs(data / "test.txt")]
    ranges = voice_ranges([parse_frames(tokens) for tokens in read_songs(data / "train.txt")])
    composer = TrainedModel.load(args.results / "model/checkpoint.pt")
    sampling = Sampling("top_k", temperature=args.temperature, top_k=8)
    request = compose_request(settings(SongSettings, seed="", bars=8), [], 0.25, FRAME_WIDTH)
    composed = [
        parse_frames(tokens)
        for tokens in sample_songs(composer, request, args.composed, sampling, 1)
    ]
    ruled = replace(sampling, voice_rules=True)
    composed_ruled = [
        parse_frames(tokens) for tokens in sample_songs(composer, request, args.composed, ruled, 1)
    ]
    sets = {
        "Bach (test)": held_out,
        "composed": composed,
        "composed, rules": composed_ruled,
        "harmonised, past only": harmonisations(composer, held_out, sampling),
        "past only, rules": harmonisations(composer, held_out, ruled),
    }
    harmoniser_path = args.results / "harmoniser/checkpoint.pt"
    if harmoniser_path.exists():  # the compose model's run alone has none
        harmoniser = TrainedModel.load(harmoniser_path)
        sets["harmonised, harmoniser"] = harmonisations(harmoniser, held_out, sampling)
        sets["harmoniser, rules"] = harmonisations(harmoniser, held_out, ruled)
    checks = {name: chorale_checks(chorales, ranges) for name, chorales in sets.items()}
    print(f"{'':<30}" + "".join(f"{name:>24}" for name in checks))
    for row in ROWS:
        values = [checks[name][row] for name in checks]
        cells = "".join(f"{'-' if v is None else f'{v:.3f}':>24}" for v in values)
        print(f"{row:<30}{cells}")


if __name__ == "__main__":
    main()
