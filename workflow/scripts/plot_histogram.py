"""Rule plot_histogram: one histogram of generated against held-out songs."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))
from melodylstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from melodylstm.plots import plot_histogram  # noqa: E402

plot_histogram(snakemake.input[0], snakemake.wildcards.histogram, snakemake.output[0])
