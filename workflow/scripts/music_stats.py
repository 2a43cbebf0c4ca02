"""Rule music_stats: musical statistics of generated against held-out songs, and copying."""

import json
import sys

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.evaluation.music_stats import write_music_stats  # noqa: E402
from musiclstm.textures import texture_from  # noqa: E402

stats = write_music_stats(
    list(snakemake.input.generated),
    snakemake.input.held_out,
    snakemake.input.training,
    snakemake.output[0],
    info_paths=list(snakemake.input.info),
    texture=texture_from(snakemake.params.texture),
    time_step=snakemake.params.time_step,
    transposed=snakemake.params.transposed,
    songs_table=snakemake.input.songs,
    comparison=(
        (snakemake.input.comparison, snakemake.input.comparison_meters)
        if "comparison" in snakemake.input.keys()
        else None
    ),
)
summary = {
    key: value
    for key, value in stats.items()
    if key in ("histogram_overlap", "overlap_against_all_meters", "copying")
    or key == "distinguishability"
}
print(json.dumps(summary, indent=2), file=sys.stderr)
