"""Rules generate_sweep_best_{name}: sample one song of `generate:` from a sweep's best point."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

import logging  # noqa: E402

from musiclstm.generation.songs import generate_song  # noqa: E402
from musiclstm.settings import EncodingSettings, SongSettings, settings  # noqa: E402
from musiclstm.sweeps.summary import best_point  # noqa: E402

point = best_point(snakemake.input.summary)
logging.getLogger("generate_sweep_best").info("the best point: %s", point)
checkpoints = dict(zip(snakemake.params.points, snakemake.input.checkpoints, strict=True))
generate_song(
    checkpoints[point],
    settings(SongSettings, snakemake.params.song),
    list(snakemake.output.midi),
    list(snakemake.output.tokens),
    name=snakemake.params.name,
    info_paths=list(snakemake.output.info),
    train_path=snakemake.input.train,
    encoding=settings(EncodingSettings, snakemake.params.encoding),
)
