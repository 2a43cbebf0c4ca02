"""How well a classifier tells generated songs from the held-out songs, with any song settings:
the test music_stats.json reports, for settings other than the config's.

    .venv/bin/python benchmarks/distinguishability.py [--results results]
        [--checkpoint results/model/checkpoint.pt] [--set upbeat=0 --set form=none ...]
        [--pieces written.txt]

(``--set recall=true`` reads the recall weights beside the checkpoint, ``recall.json``, which the
workflow's fit_recall rule writes.)

One song is written per held-out test song, in its time signature and number of bars, with the
schema's song settings and the ``--set`` overrides (``key=value``, values read as YAML), exactly as
the workflow's generate_comparison rule writes them; then a logistic regression on the songs'
features is cross-validated (0.5: cannot tell them apart). Prints the accuracy, its z against
chance, the features that separate the groups most, the form features per meter (generated /
held-out), the overlaps of note lengths, pitch classes and intervals per meter, and the seconds
the songs took to write. ``--pieces`` also writes the pieces' tokens there, one piece a line
after its time signature and anacrusis, to read or render.
"""

import argparse
import time
from pathlib import Path

import torch
import yaml

from musiclstm.data.splits import read_songs
from musiclstm.evaluation.distinguishability import comparison_stats
from musiclstm.evaluation.music_stats import held_out_meters, held_out_pieces, music_stats
from musiclstm.generation.comparison import comparison_songs
from musiclstm.generation.requests import recalling
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.settings import SongSettings, settings

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--set", action="append", default=[], help="a song setting, key=value")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pieces", type=Path, help="write the pieces' tokens to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = args.results
    trained = TrainedModel.load(args.checkpoint or results / "model/checkpoint.pt")
    overrides = dict(
        (key, yaml.safe_load(value)) for key, value in (item.split("=", 1) for item in args.set)
    )
    song = settings(SongSettings, **{"end_on_tonic": False, **overrides})
    # With --set recall=true, the weights the workflow fitted beside the checkpoint.
    checkpoint = args.checkpoint or results / "model/checkpoint.pt"
    trained = recalling(trained, song, checkpoint.with_name("recall.json"))
    start = time.perf_counter()
    written = comparison_songs(trained, song, results / "data/test.npz", results / "data/train.npz")
    seconds = time.perf_counter() - start
    step = trained.time_step
    ours = [(tokens, info.time_signature, info.pickup_steps) for tokens, info in written]
    if args.pieces:
        args.pieces.write_text(
            "".join(f"{meter}\t{pickup}\t{' '.join(tokens)}\n" for tokens, meter, pickup in ours)
        )
    held_out = read_songs(results / "data/test.txt")
    meters = held_out_meters(results / "data/songs.tsv", len(held_out), step)
    theirs = held_out_pieces(held_out, meters, step)
    stats = comparison_stats(trained.texture, ours, theirs, step)
    print(f"settings: {overrides or 'the schema defaults'}; {len(ours)} songs in {seconds:.0f} s")
    print(
        f"accuracy {stats['accuracy']:.3f} (chance {stats['chance']:.3f}, z {stats['z']:.1f}), "
        f"{stats['features']} features, {stats['folds']} folds"
    )
    print(f"{'feature':<24} {'weight':>7} {'generated':>9} {'held-out':>9}")
    for row in stats["separating_features"]:
        print(
            f"{row['feature']:<24} {row['weight']:>7.2f} {row['generated_mean']:>9.3f} "
            f"{row['held_out_mean']:>9.3f}"
        )
    print_form(stats["form_by_meter"])
    if len(trained.texture.voices) == 1:  # the histograms compare melodies
        print_overlaps(ours, theirs, step)


def print_form(table: dict) -> None:
    names = [name for name in next(iter(table.values())) if name != "songs"]
    if not names:
        return
    print(f"{'meter':<6} {'songs':>5} " + " ".join(f"{name:>15}" for name in names))
    for meter, row in table.items():
        cells = " ".join(
            f"{row[name]['generated']:>7.3f}/{row[name]['held_out']:<7.3f}" for name in names
        )
        print(f"{meter:<6} {row['songs']['held_out']:>5} {cells}")


def print_overlaps(ours, theirs, step: float) -> None:
    stats = music_stats(
        {str(i): tokens for i, (tokens, _, _) in enumerate(ours)},
        [tokens for tokens, _, _ in theirs],
        [],
        generated_meters={str(i): signature for i, (_, signature, _) in enumerate(ours)},
        held_out_meters=[(signature, pickup) for _, signature, pickup in theirs],
        time_step=step,
        generated_pickups={str(i): pickup for i, (_, _, pickup) in enumerate(ours)},
    )
    print(f"{'meter':<6} {'held':>4} {'length':>6} {'pitch':>6} {'interv':>6}")
    for meter, entry in stats["by_meter"].items():
        overlap = entry.get("histogram_overlap")
        if overlap:
            print(
                f"{meter:<6} {entry['held_out']['songs']:>4} {overlap['note_length']:>6.3f} "
                f"{overlap['pitch_class']:>6.3f} {overlap['interval']:>6.3f}"
            )


if __name__ == "__main__":
    main()
