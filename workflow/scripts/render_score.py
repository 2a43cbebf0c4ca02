"""Rule render_score: one generated song as MusicXML and an engraved SVG score."""

import json
import sys
from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.generation.song_info import read_song_info  # noqa: E402
from musiclstm.music.tokens import tokens_to_events  # noqa: E402
from musiclstm.music.tonality import allowed_keys, song_key  # noqa: E402
from musiclstm.music.voices import parse_chorale  # noqa: E402
from musiclstm.rendering.notation import (  # noqa: E402
    chorale_key,
    write_chorale_score,
    write_score,
)
from musiclstm.settings import RenderSettings, settings  # noqa: E402

tokens = Path(snakemake.input.tokens).read_text().split()
song = read_song_info(snakemake.input.info)
allowed = allowed_keys(snakemake.params.key)
score = dict(
    time_step=snakemake.params.time_step,
    time_signature=song.time_signature,
    title=snakemake.wildcards.name,
    tempo_bpm=song.tempo_bpm,
)
if snakemake.params.texture == "chorale":
    # A chorale is always engraved on a grand staff, so the clef of `render:` does not apply.
    key = chorale_key(parse_chorale(tokens), allowed)
    facts = write_chorale_score(
        snakemake.input.tokens,
        snakemake.output.musicxml,
        snakemake.output.svg,
        song_key=key,
        **score,
    )
else:
    key = song_key(tokens_to_events(tokens), allowed)
    facts = write_score(
        snakemake.input.tokens,
        snakemake.output.musicxml,
        snakemake.output.svg,
        song_key=key,
        # Only the clef of `render:` reaches this rule, so new audio settings do not re-engrave it.
        render=settings(RenderSettings, clef=snakemake.params.clef),
        pickup=song.pickup_steps,
        **score,
    )
Path(snakemake.output.info).write_text(json.dumps(facts, indent=2) + "\n")
print(f"{snakemake.wildcards.name}: {facts}", file=sys.stderr)
