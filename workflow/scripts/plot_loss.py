"""Rule plot_loss: training and validation loss per epoch."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.rendering.plots import plot_loss  # noqa: E402

plot_loss(snakemake.input[0], snakemake.output[0])
