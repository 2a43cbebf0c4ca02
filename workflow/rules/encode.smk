# List every song of every dataset (an ABC file holds many tunes) so encoding can be dealt into shards.
rule index_songs:
    input:
        source_files(),
    output:
        stage("encoded/song_index.tsv"),
    log:
        stage_log("index_songs.log"),
    conda:
        "../../envs/music.yaml"
    params:
        sources=config["sources"],
    script:
        "../scripts/index_songs.py"


# Parse, transpose and tokenise one shard of songs; unusable songs go to the shard's rejects table.
rule encode_shard:
    input:
        stage("encoded/song_index.tsv"),
    output:
        encoded=stage("encoded/shard_{shard}.tsv"),
        rejects=stage("encoded/shard_{shard}.rejects.tsv"),
    log:
        stage_log("encode_shard_{shard}.log"),
    benchmark:
        stage("benchmarks/encode_shard_{shard}.tsv")
    conda:
        "../../envs/music.yaml"
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        encoding=config["encoding"],
        texture=TEXTURE.describe(),
    script:
        "../scripts/encode_shard.py"
