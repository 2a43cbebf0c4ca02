"""Rule build_vocabulary: the vocabulary of the training split."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))
from melodylstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from melodylstm.splits import read_songs  # noqa: E402
from melodylstm.vocabulary import build_vocabulary, save_vocabulary  # noqa: E402

vocabulary = build_vocabulary(read_songs(snakemake.input[0]))
save_vocabulary(vocabulary, Path(snakemake.output[0]))
print(f"{len(vocabulary['tokens'])} tokens: {' '.join(vocabulary['tokens'])}", file=sys.stderr)
