"""Rule summary_page: metrics, musical statistics, copying check and configuration as HTML."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.rendering.report_pages import write_summary_page  # noqa: E402
from musiclstm.textures import config_texture  # noqa: E402

write_summary_page(
    snakemake.input.metrics,
    snakemake.input.stats,
    snakemake.input.loss,
    list(snakemake.input.histograms),
    dict(snakemake.params.config),
    snakemake.output[0],
    config_texture(snakemake.params.config),
    snakemake.input.get("cross_validation"),
)
