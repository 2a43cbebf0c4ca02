"""Rule account_songs: every song encoded or rejected, the rejects table and the summary."""

import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

import json  # noqa: E402

from musiclstm.data.splits import account_songs  # noqa: E402

summary = account_songs(
    Path(snakemake.input.index),
    [Path(p) for p in snakemake.input.encoded],
    [Path(p) for p in snakemake.input.rejects],
    Path(snakemake.output.rejects),
    Path(snakemake.output.summary),
)
print(json.dumps(summary, indent=2), file=sys.stderr)
