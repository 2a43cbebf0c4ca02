"""Rules build_vocabulary and build_cv_vocabulary: the vocabulary of the training split, or of
every split text given (cross-validation's, of every song)."""

import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.data.splits import read_songs  # noqa: E402
from musiclstm.data.vocabulary import build_vocabulary, save_vocabulary  # noqa: E402
from musiclstm.textures import texture_from  # noqa: E402

vocabulary = build_vocabulary(
    [song for path in snakemake.input for song in read_songs(path)],
    texture_from(snakemake.params.texture).representation(),
)
save_vocabulary(vocabulary, Path(snakemake.output[0]))
print(f"{len(vocabulary['tokens'])} tokens: {' '.join(vocabulary['tokens'])}", file=sys.stderr)
