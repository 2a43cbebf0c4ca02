"""Generation speed: sampled steps per second for one song and for a batch of songs, on the CPU.

    .venv/bin/python benchmarks/generation_speed.py [--checkpoint results/model/checkpoint.pt]

Without a checkpoint a freshly initialised model of the default size (``config.yaml``'s model) is
timed (speed does not depend on the weights). Every song runs the full length: the song boundary
is not sampled. Each strategy and batch is timed twice in the same run: with the fast step kernel
generation uses (``kernel``) and through the model's own modules (``modules``), the baseline; each
time is the median of ``--repeats`` runs, as other jobs on the machine make single runs noisy.
A quick check: ``--steps 50 --batches 1 4 --repeats 1``.
"""

import argparse
import statistics
import time
from pathlib import Path

import torch

from musiclstm.config import load_config
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.strategies import Sampling, SongRequest
from musiclstm.model.checkpoint import TrainedModel, build_model, model_args
from musiclstm.music.tokens import BOUNDARY, HOLD, REST, UNKNOWN
from musiclstm.representation.base import Meter
from musiclstm.settings import EncodingSettings, ModelSettings, settings
from musiclstm.textures.melody import MelodyTexture

REPO = Path(__file__).resolve().parent.parent


def default_model() -> TrainedModel:
    """An untrained model of config.yaml's settings over pitches 48 to 84."""
    config = load_config(REPO / "config.yaml", REPO)
    model = settings(ModelSettings, config["model"])
    time_step = settings(EncodingSettings, config["encoding"]).time_step
    vocabulary = Vocabulary([BOUNDARY, UNKNOWN, *[str(p) for p in range(48, 85)], REST, HOLD])
    torch.manual_seed(0)
    network = build_model(model_args(len(vocabulary), model, vocabulary.boundary)).eval()
    return TrainedModel(
        network, vocabulary, MelodyTexture().representation(model.lookback), time_step, epoch=0
    )


def time_sampling(
    trained: TrainedModel,
    request: SongRequest,
    n: int,
    sampling: Sampling,
    fast: bool,
    repeats: int,
) -> tuple[int, float]:
    """Tokens written (past the seed) by one run, and the median seconds of ``repeats`` runs
    after a warm-up."""
    warm_up = SongRequest(request.seed, 20, request.min_steps, request.meter)
    sample_songs(trained, warm_up, n, sampling, 0, fast_step=fast)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        songs = sample_songs(trained, request, n, sampling, 1, fast_step=fast)
        runs.append(time.perf_counter() - start)
    return sum(len(song) - len(request.seed) for song in songs), statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each; the median")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    trained = TrainedModel.load(args.checkpoint) if args.checkpoint else default_model()
    # 4/4, as the default song; the boundary is banned until the last step.
    request = SongRequest(["60"], args.steps, min_steps=args.steps, meter=Meter(16, 0))
    print(f"{'strategy':<12} {'step':<8} {'songs':>5} {'steps':>6} {'seconds':>8} {'steps/s':>10}")
    for strategy in ("top_k", "temperature", "top_p"):
        sampling = Sampling(strategy, temperature=1.0)
        for n in args.batches:
            for fast in (True, False):
                total, seconds = time_sampling(trained, request, n, sampling, fast, args.repeats)
                print(
                    f"{strategy:<12} {'kernel' if fast else 'modules':<8} {n:>5} {total:>6} "
                    f"{seconds:>8.2f} {total / seconds:>10.0f}"
                )


if __name__ == "__main__":
    main()
