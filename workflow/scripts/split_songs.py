"""Rules split_songs and split_fold: merge the shards and split the songs (split_fold: as one fold
of the cross-validation)."""

import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

import json  # noqa: E402

from musiclstm.data.splits import split_dataset  # noqa: E402
from musiclstm.settings import SplitSettings, settings  # noqa: E402

out = snakemake.output
sizes = split_dataset(
    [Path(p) for p in snakemake.input.encoded],
    settings(SplitSettings, snakemake.params.split),
    {"train": Path(out.train), "valid": Path(out.valid), "test": Path(out.test)},
    Path(out.songs),
    Path(snakemake.input.summary),
    fold=snakemake.params.get("fold"),
    works=snakemake.params.works,
)
print(json.dumps(sizes, indent=2), file=sys.stderr)
