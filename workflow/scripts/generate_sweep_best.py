"""Rules generate_sweep_best_{name}: write one entry of `generate:` with a sweep's best point."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

import logging  # noqa: E402

from musiclstm.generation.requests import files_of, generate_pieces  # noqa: E402
from musiclstm.settings import EncodingSettings, SongSettings, settings  # noqa: E402
from musiclstm.sweeps.summary import best_point  # noqa: E402

point = best_point(snakemake.input.summary)
logging.getLogger("generate_sweep_best").info("the best point: %s", point)
checkpoints = dict(zip(snakemake.params.points, snakemake.input.checkpoints, strict=True))
generate_pieces(
    checkpoints[point],
    settings(SongSettings, snakemake.params.song),
    snakemake.params.name,
    files_of(snakemake.output),
    encoding=settings(EncodingSettings, snakemake.params.encoding),
    melody_path=snakemake.input.get("melody"),
    train_path=snakemake.input.get("train"),
)
