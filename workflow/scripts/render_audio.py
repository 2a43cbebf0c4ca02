"""Rule render_audio: one generated song as a WAV file."""

import json
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.generation.song_info import read_song_info  # noqa: E402
from musiclstm.rendering.audio import write_audio, write_chorale_audio  # noqa: E402
from musiclstm.settings import RenderSettings, settings  # noqa: E402

# The rule passes only the render keys the audio depends on, so a new clef does not replay it.
render = settings(
    RenderSettings,
    synthesizer=snakemake.params.synthesizer,
    soundfont=snakemake.params.soundfont,
    program=snakemake.params.program,
    sample_rate=snakemake.params.sample_rate,
)

write = write_chorale_audio if snakemake.params.texture == "chorale" else write_audio
song = read_song_info(snakemake.input.info)
info = write(
    snakemake.input.tokens,
    snakemake.output.wav,
    time_step=snakemake.params.time_step,
    tempo_bpm=song.tempo_bpm,
    time_signature=song.time_signature,
    render=render,
)
Path(snakemake.output.info).write_text(json.dumps(info, indent=2) + "\n")
