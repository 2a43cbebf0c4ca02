"""Rule summarize_sweep: one table and one plot of every point of a sweep."""

import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.rendering.plots import plot_sweep  # noqa: E402
from musiclstm.sweeps.summary import summarize_sweep  # noqa: E402

metrics = dict(zip(snakemake.params.points, snakemake.input.metrics, strict=True))
rows = summarize_sweep(metrics, snakemake.output.table)
plot_sweep(rows, snakemake.output.plot, snakemake.wildcards.sweep)
print(Path(snakemake.output.table).read_text(), file=sys.stderr)
