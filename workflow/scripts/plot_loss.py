"""Rule plot_loss: training and validation loss per epoch."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))
from melodylstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from melodylstm.plots import plot_loss  # noqa: E402

plot_loss(snakemake.input[0], snakemake.output[0])
