"""Rule generate_song: sample one song and write it as MIDI and tokens."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))
from melodylstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from melodylstm.generation import generate_song  # noqa: E402

name = snakemake.wildcards.name
tokens = generate_song(
    snakemake.input.checkpoint,
    snakemake.params.song,
    snakemake.output.midi,
    snakemake.output.tokens,
    name=name,
)
print(f"{name}: {len(tokens)} steps: {' '.join(tokens)}", file=sys.stderr)
