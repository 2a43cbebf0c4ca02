"""Rule index_songs: list every song of every dataset."""

import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.data.sources import list_songs, write_index  # noqa: E402
from musiclstm.settings import source_settings  # noqa: E402

songs = list_songs(source_settings(snakemake.params.sources))
write_index(songs, Path(snakemake.output[0]))
print(f"{len(songs)} songs listed", file=sys.stderr)
