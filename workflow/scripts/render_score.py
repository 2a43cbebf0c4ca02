"""Rule render_score: one generated piece as MusicXML and an engraved SVG score."""

import json
import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.rendering.notation import write_score  # noqa: E402
from musiclstm.textures import read_piece  # noqa: E402

# The piece's .json says what it is (texture, voices, meter, key); only the clef of `render:`
# reaches this rule, so new audio settings do not re-engrave it.
piece = read_piece(snakemake.input.tokens, snakemake.input.info, snakemake.wildcards.name)
facts = write_score(piece, snakemake.output.musicxml, snakemake.output.svg, snakemake.params.clef)
Path(snakemake.output.info).write_text(json.dumps(facts, indent=2) + "\n")
print(f"{snakemake.wildcards.name}: {facts}", file=sys.stderr)
