"""Rule plot_histogram: one histogram of generated against held-out songs."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.rendering.plots import plot_histogram  # noqa: E402

plot_histogram(snakemake.input[0], snakemake.wildcards.histogram, snakemake.output[0])
