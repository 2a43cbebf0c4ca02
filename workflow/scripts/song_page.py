"""Rule song_page: one song's HTML page with player, score, piano roll and downloads."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.generation.song_info import read_song_info  # noqa: E402
from musiclstm.rendering.report_pages import write_song_page  # noqa: E402
from musiclstm.textures import texture_from  # noqa: E402

write_song_page(
    snakemake.wildcards.name,
    svg=snakemake.input.svg,
    wav=snakemake.input.wav,
    audio_info=snakemake.input.audio_info,
    score_info=snakemake.input.score_info,
    piano_roll=snakemake.input.piano_roll,
    midi=snakemake.input.midi,
    musicxml=snakemake.input.musicxml,
    tokens=snakemake.input.tokens,
    page_path=snakemake.output[0],
    token_notes=texture_from(read_song_info(snakemake.input.info).texture).token_notes(),
)
