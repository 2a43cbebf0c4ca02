"""Rules generate_{name}: sample one song of `generate:` and write it as MIDI and tokens."""

from melodylstm.rule_logging import log_to

log_to(snakemake.log[0])

from melodylstm.generation.songs import generate_song
from melodylstm.settings import SongSettings, settings

generate_song(
    snakemake.input.checkpoint,
    settings(SongSettings, snakemake.params.song),
    list(snakemake.output.midi),
    list(snakemake.output.tokens),
    name=snakemake.params.name,
)
