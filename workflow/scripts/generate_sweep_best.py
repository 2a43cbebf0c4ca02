"""Rules generate_sweep_best_{name}: sample one song of `generate:` from a sweep's best point."""

from pathlib import Path

from melodylstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

import logging  # noqa: E402

from melodylstm.generation.songs import generate_song  # noqa: E402
from melodylstm.sweeps.grid import best_point  # noqa: E402

point = best_point(snakemake.input.summary)
logging.getLogger("generate_sweep_best").info("the best point: %s", point)
generate_song(
    Path(snakemake.input.summary).parent / point / "checkpoint.pt",
    snakemake.params.song,
    list(snakemake.output.midi),
    list(snakemake.output.tokens),
    name=snakemake.params.name,
)
