"""Rules generate_{name}: sample one song of `generate:` (a melody, or a chorale composed or
harmonised) and write it as MIDI and tokens."""

from musiclstm.rule_logging import log_to

log_to(snakemake.log[0])

from musiclstm.settings import EncodingSettings, SongSettings, settings

song = settings(SongSettings, snakemake.params.song)
midi_paths, tokens_paths = list(snakemake.output.midi), list(snakemake.output.tokens)
info_paths = list(snakemake.output.info)
if snakemake.params.texture == "chorale":
    from musiclstm.generation.chorales import generate_chorale

    generate_chorale(
        snakemake.input.checkpoint,
        song,
        settings(EncodingSettings, snakemake.params.encoding),
        snakemake.input.get("melody"),
        midi_paths,
        tokens_paths,
        name=snakemake.params.name,
        info_paths=info_paths,
    )
else:
    from musiclstm.generation.songs import generate_song

    generate_song(
        snakemake.input.checkpoint,
        song,
        midi_paths,
        tokens_paths,
        snakemake.params.name,
        info_paths=info_paths,
        train_path=snakemake.input.get("train"),
        encoding=settings(EncodingSettings, snakemake.params.encoding),
    )
