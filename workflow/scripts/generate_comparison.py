"""Rule generate_comparison: one piece per held-out song, in its meter and length, with the
settings of the entry of `generate:` that `distinguishability.entry` names."""

import sys

from musiclstm.rule_logging import log_to

log_to(snakemake.log[0])

from musiclstm.evaluation.comparison_files import write_comparison  # noqa: E402
from musiclstm.generation.comparison import comparison_songs  # noqa: E402
from musiclstm.generation.requests import recalling  # noqa: E402
from musiclstm.model.checkpoint import TrainedModel  # noqa: E402
from musiclstm.settings import SongSettings, settings  # noqa: E402

song = settings(SongSettings, snakemake.params.song)
trained = recalling(
    TrainedModel.load(snakemake.input.checkpoint), song, snakemake.input.get("recall")
)
songs = comparison_songs(
    trained,
    song,
    snakemake.input.held_out,
    snakemake.input.train,
)
write_comparison(songs, snakemake.output.tokens, snakemake.output.shapes)
print(f"{len(songs)} pieces written beside the held-out ones", file=sys.stderr)
