"""Rules generate_{name}: write the pieces of one entry of `generate:` (melodies, chorales
composed or harmonised: whatever the checkpoint's texture writes) as tokens, MIDI and .json."""

from musiclstm.rule_logging import log_to

log_to(snakemake.log[0])

from musiclstm.generation.requests import files_of, generate_pieces
from musiclstm.settings import EncodingSettings, SongSettings, settings

generate_pieces(
    snakemake.input.checkpoint,
    settings(SongSettings, snakemake.params.song),
    snakemake.params.name,
    files_of(snakemake.output),
    # How a seed or melody file is read: its part, grid and durations, as the songs were.
    encoding=settings(EncodingSettings, snakemake.params.encoding),
    melody_path=snakemake.input.get("melody"),
    train_path=snakemake.input.get("train"),
    recall_path=snakemake.input.get("recall"),
)
