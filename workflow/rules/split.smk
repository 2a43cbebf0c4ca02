# Account for every song of the index (encoded or rejected, with a reason) and summarise.
rule account_songs:
    input:
        index="results/encoded/song_index.tsv",
        encoded=encoded_shards("encoded"),
        rejects=encoded_shards("rejects"),
    output:
        rejects="results/data/rejects.tsv",
        summary="results/data/summary.json",
    log:
        "logs/account_songs.log",
    conda:
        "../../envs/music.yaml"
    script:
        "../scripts/account_songs.py"


# Merge the shards and split the songs into train, valid and test texts, one song per line.
rule split_songs:
    input:
        encoded=encoded_shards("encoded"),
        summary="results/data/summary.json",
    output:
        train="results/data/train.txt",
        valid="results/data/valid.txt",
        test="results/data/test.txt",
        songs="results/data/songs.tsv",
    log:
        "logs/split_songs.log",
    conda:
        "../../envs/music.yaml"
    params:
        split=config["split"],
    script:
        "../scripts/split_songs.py"
