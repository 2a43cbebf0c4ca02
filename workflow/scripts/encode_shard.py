"""Rule encode_shard: encode one shard of the song index."""

from pathlib import Path

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.data.encode import encode_shard  # noqa: E402
from musiclstm.data.sources import read_index, shard_of  # noqa: E402
from musiclstm.settings import EncodingSettings, settings  # noqa: E402
from musiclstm.textures import texture_from  # noqa: E402

encoding = settings(EncodingSettings, snakemake.params.encoding)
songs = shard_of(read_index(snakemake.input[0]), int(snakemake.wildcards.shard), encoding.shards)
encode_shard(
    songs,
    encoding,
    texture_from(snakemake.params.texture).representation(),
    Path(snakemake.output.encoded),
    Path(snakemake.output.rejects),
)
