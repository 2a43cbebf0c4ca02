"""Rule build_tensors: token ids of one split as integer arrays."""

import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.data.splits import read_songs  # noqa: E402
from musiclstm.data.tensors import save_arrays, songs_to_arrays, split_meters  # noqa: E402
from musiclstm.data.vocabulary import Vocabulary, load_vocabulary  # noqa: E402

vocabulary = Vocabulary(load_vocabulary(snakemake.input.vocabulary))
meters = split_meters(
    Path(snakemake.input.table), snakemake.wildcards.split, snakemake.params.time_step
)
arrays = songs_to_arrays(read_songs(snakemake.input.songs), vocabulary, meters)
save_arrays(arrays, Path(snakemake.output[0]))
print(f"{len(arrays['offsets']) - 1} songs, {len(arrays['tokens'])} steps", file=sys.stderr)
