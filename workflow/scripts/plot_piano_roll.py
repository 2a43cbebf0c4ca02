"""Rule plot_piano_roll: a piano roll of one generated piece."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.rendering.plots import plot_piano_roll  # noqa: E402
from musiclstm.textures import read_piece  # noqa: E402

piece = read_piece(snakemake.input.tokens, snakemake.input.info, snakemake.wildcards.name)
plot_piano_roll(piece, snakemake.output[0])
