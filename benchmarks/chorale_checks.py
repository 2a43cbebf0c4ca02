"""Voice leading of many chorales written by the chorale workflow's models, against Bach's.

    .venv/bin/python benchmarks/chorale_checks.py [--results results/chorale] [--composed 32]

Reads the workflow's compose model and harmoniser (``snakemake --cores 2 --configfile
config/chorale.yaml``) and writes, in this run:

- ``--composed`` chorales of 8 bars of 4/4, composed (top-k 8 at ``--temperature``, 1 as in
  the config);
- the soprano of every test chorale (or of the first ``--harmonised``) harmonised twice: by the
  compose model, which reads only what came before, and by the harmoniser, which also reads the
  soprano ahead;
- each set again with the sampler's voice-leading rules on (``voice_rules``: no parallel
  fifths or octaves, crossings or notes out of range as a voice is written), then with the
  cadence rules too (``cadence_rules``: a root-position triad where each fermata begins, the
  last on the tonic), then with both and ``--sweeps`` refinement sweeps at each of
  ``--refine-temperatures`` (``refine_sweeps``: every note redrawn given the notes on both
  sides); every set timed (``--refined-only``: the refined sets alone; ``--plain-only``: the
  sets without rules alone, what the models write by themselves; ``--recall``: each model mixed
  with the piece's recall of its own past, with the weights the workflow's fit_recall rule wrote);

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
from musiclstm.model.recall import RecallWeights, with_recall
from musiclstm.music.frames import SATB, frame_width, parse_frames
from musiclstm.music.tonality import song_tonic
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
    "final_tonic_on_top_share",
    "wide_spacing_share",
)


def harmonisations(trained: TrainedModel, chorales, sampling: Sampling) -> list:
    """The soprano of each chorale harmonised (random seed = its position), in the key its own
    notes suggest."""
    written = []
    for seed, chorale in enumerate(chorales):
        # The tonic as the workflow finds a melody's: from its own notes (C or A).
        soprano = chorale.voices[0]
        melody = GivenMelody(soprano, chorale.fermatas, "4/4", 0, song_tonic(soprano))
        [tokens] = sample_songs(
            trained, harmonise_request(melody, 0.25, FRAME_WIDTH), 1, sampling, seed
        )
        written.append(parse_frames(tokens))
    return written


def composed_set(composer, request, count: int, sampling: Sampling) -> list:
    return [parse_frames(tokens) for tokens in sample_songs(composer, request, count, sampling, 1)]


def samplings(args) -> dict[str, Sampling]:
    """How each set is sampled: the model as it is, with the voice rules, with the cadence rules
    too, and with both and refinement sweeps at each temperature asked for."""
    plain = Sampling("top_k", temperature=args.temperature, top_k=8)
    ruled = replace(plain, voice_rules=True, cadence_rules=True)
    ways = {}
    if args.plain_only:
        return {"": plain}
    if not args.refined_only:
        ways = {"": plain, "voice rules": replace(plain, voice_rules=True), "all rules": ruled}
    for temperature in args.refine_temperatures:
        label = f"rules, {args.sweeps} sweeps at {temperature:g}"
        ways[label] = replace(ruled, refine_sweeps=args.sweeps, refine_temperature=temperature)
    return ways


def load(folder: Path, recall: bool) -> TrainedModel:
    """The model in ``folder``, mixed with its recall (the weights the workflow fitted beside it,
    ``recall.json``) where asked."""
    trained = TrainedModel.load(folder / "checkpoint.pt")
    return with_recall(trained, RecallWeights.read(folder / "recall.json")) if recall else trained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results/chorale")
    parser.add_argument("--composed", type=int, default=32)
    parser.add_argument("--harmonised", type=int, default=None, help="test chorales (all)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--sweeps", type=int, default=2)
    parser.add_argument("--refine-temperatures", type=float, nargs="*", default=[1.0, 0.5])
    parser.add_argument("--refined-only", action="store_true", help="only the refined sets")
    parser.add_argument("--plain-only", action="store_true", help="only the sets without rules")
    parser.add_argument(
        "--recall", action="store_true", help="each model mixed with the piece's recall"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = args.results / "data"
    held_out = [parse_frames(tokens) for tokens in read_songs(data / "test.txt")]
    held_out = held_out[: args.harmonised]
    ranges = voice_ranges([parse_frames(tokens) for tokens in read_songs(data / "train.txt")])
    composer = load(args.results / "model", args.recall)
    request = compose_request(settings(SongSettings, seed="", bars=8), [], 0.25, FRAME_WIDTH)
    writers = {
        "composed": lambda how: composed_set(composer, request, args.composed, how),
        "past only": lambda how: harmonisations(composer, held_out, how),
    }
    harmoniser_path = args.results / "harmoniser/checkpoint.pt"
    if harmoniser_path.exists():  # the compose model's run alone has none
        harmoniser = load(args.results / "harmoniser", args.recall)
        writers["harmoniser"] = lambda how: harmonisations(harmoniser, held_out, how)
    sets, seconds = {"Bach (test)": held_out}, {}
    for way, sampling in samplings(args).items():
        for name, write in writers.items():
            label = f"{name}, {way}" if way else name
            start = time.perf_counter()
            sets[label] = write(sampling)
            seconds[label] = time.perf_counter() - start
    checks = {name: chorale_checks(chorales, ranges) for name, chorales in sets.items()}
    # One row per set: the names are long.
    print(f"{'set':<40}" + "".join(f"{row[:14]:>15}" for row in ROWS))
    for name, figures in checks.items():
        cells = "".join(f"{'-' if figures[r] is None else f'{figures[r]:.3f}':>15}" for r in ROWS)
        print(f"{name:<40}{cells}")
    for name, value in seconds.items():
        print(f"{name}: {value:.0f} s to write")


if __name__ == "__main__":
    main()
