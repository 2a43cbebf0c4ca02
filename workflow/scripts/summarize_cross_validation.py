"""Rule summarize_cross_validation: every fold's test metrics, pooled, and their spread."""

import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.evaluation.cross_validation import summarize_cross_validation  # noqa: E402

summarize_cross_validation(
    list(snakemake.input.metrics),
    list(snakemake.input.songs),
    snakemake.output.json,
    snakemake.output.table,
)
print(Path(snakemake.output.table).read_text(), file=sys.stderr)
