"""Rule plot_piano_roll: a piano roll of one generated song."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.generation.song_info import read_song_info  # noqa: E402
from musiclstm.rendering.plots import plot_chorale_piano_roll, plot_piano_roll  # noqa: E402

plot = plot_chorale_piano_roll if snakemake.params.texture == "chorale" else plot_piano_roll
plot(
    snakemake.input.tokens,
    snakemake.output[0],
    time_step=snakemake.params.time_step,
    time_signature=read_song_info(snakemake.input.info).time_signature,
    title=snakemake.wildcards.name,
)
