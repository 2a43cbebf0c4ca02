"""Generation speed: sampled steps per second for one song and for a batch of songs, on the CPU.

    .venv/bin/python benchmarks/generation_speed.py [--checkpoint results/model/checkpoint.pt]

Without a checkpoint a freshly initialised model of the default size is timed (speed does not
depend on the weights). Every song runs the full length: the song boundary is not sampled. Each
strategy and batch is timed twice in the same run: with the fast step kernel generation uses
(``kernel``) and through the model's own modules (``modules``), the baseline; each time is the
median of ``--repeats`` runs, as other jobs on the machine make single runs noisy.
"""

import argparse
import time
from pathlib import Path

import torch
import yaml

from melodylstm.config import validate_config  # noqa: E402
from melodylstm.data.vocabulary import Vocabulary  # noqa: E402
from melodylstm.generation.sampling import sample_melodies  # noqa: E402
from melodylstm.generation.strategies import Sampling  # noqa: E402
from melodylstm.model.lstm import MelodyLSTM, load_checkpoint, model_args  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def default_model() -> tuple[MelodyLSTM, Vocabulary]:
    config = validate_config(yaml.safe_load((REPO / "config.yaml").read_text()), REPO)
    tokens = ["/", "<unk>", *[str(p) for p in range(48, 85)], "r", "_"]
    torch.manual_seed(0)
    return MelodyLSTM(**model_args(len(tokens), config["model"])).eval(), Vocabulary(tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each; the median")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.checkpoint:
        model, checkpoint = load_checkpoint(args.checkpoint)
        vocabulary = Vocabulary(checkpoint["vocabulary"])
    else:
        model, vocabulary = default_model()
    meter = (16, 0)  # 4/4, as the default song
    print(f"{'strategy':<12} {'step':<8} {'songs':>5} {'steps':>6} {'seconds':>8} {'steps/s':>10}")
    for strategy in ("top_k", "temperature", "top_p"):
        sampling = Sampling(strategy, temperature=1.0)
        for n in args.batches:
            for fast in (True, False):
                run = {"min_steps": args.steps, "meter": meter, "fast_step": fast}
                sample_melodies(model, vocabulary, ["60"], n, 20, sampling, 0, **run)  # warm-up
                start = time.perf_counter()
                songs = sample_melodies(
                    model, vocabulary, ["60"], n, args.steps, sampling, 1, **run
                )
                seconds = time.perf_counter() - start
                total = sum(len(song) - 1 for song in songs)
                print(
                    f"{strategy:<12} {'kernel' if fast else 'modules':<8} {n:>5} {total:>6} "
                    f"{seconds:>8.2f} {total / seconds:>10.0f}"
                )


if __name__ == "__main__":
    main()
