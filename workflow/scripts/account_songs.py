"""Rule account_songs: every song encoded or rejected, the rejects table and the summary."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))
from melodylstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

import json  # noqa: E402

from melodylstm.splits import account_songs  # noqa: E402

summary = account_songs(
    Path(snakemake.input.index),
    [Path(p) for p in snakemake.input.encoded],
    [Path(p) for p in snakemake.input.rejects],
    Path(snakemake.output.rejects),
    Path(snakemake.output.summary),
)
print(json.dumps(summary, indent=2), file=sys.stderr)
