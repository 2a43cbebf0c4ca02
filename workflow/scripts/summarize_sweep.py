"""Rule summarize_sweep: one table and one plot of every point of a sweep."""

import sys
from pathlib import Path

from melodylstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from melodylstm.sweeps.grid import summarize_sweep  # noqa: E402

summarize_sweep(list(snakemake.input.metrics), snakemake.output.table, snakemake.output.plot)
print(Path(snakemake.output.table).read_text(), file=sys.stderr)
