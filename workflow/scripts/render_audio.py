"""Rule render_audio: one generated piece as a WAV file."""

import json
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.rendering.audio import write_audio  # noqa: E402
from musiclstm.settings import RenderSettings, settings  # noqa: E402
from musiclstm.textures import read_piece  # noqa: E402

# The rule passes only the render keys the audio depends on, so a new clef does not replay it.
render = settings(
    RenderSettings,
    synthesizer=snakemake.params.synthesizer,
    soundfont=snakemake.params.soundfont,
    program=snakemake.params.program,
    sample_rate=snakemake.params.sample_rate,
)
piece = read_piece(snakemake.input.tokens, snakemake.input.info, snakemake.wildcards.name)
info = write_audio(piece, snakemake.output.wav, render)
Path(snakemake.output.info).write_text(json.dumps(info, indent=2) + "\n")
