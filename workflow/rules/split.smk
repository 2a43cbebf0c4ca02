# Account for every song of the index (encoded or rejected, with a reason) and summarise.
rule account_songs:
    input:
        index=stage("encoded/song_index.tsv"),
        encoded=encoded_shards("encoded"),
        rejects=encoded_shards("rejects"),
    output:
        rejects=stage("data/rejects.tsv"),
        summary=stage("data/summary.json"),
    log:
        stage_log("account_songs.log"),
    conda:
        "../../envs/music.yaml"
    script:
        "../scripts/account_songs.py"


# Merge the shards and split the songs into train, valid and test texts, one song per line.
rule split_songs:
    input:
        encoded=encoded_shards("encoded"),
        summary=stage("data/summary.json"),
    output:
        train=stage("data/train.txt"),
        valid=stage("data/valid.txt"),
        test=stage("data/test.txt"),
        songs=stage("data/songs.tsv"),
    log:
        stage_log("split_songs.log"),
    conda:
        "../../envs/music.yaml"
    params:
        split=split_params(),
        works=split_works(),
    script:
        "../scripts/split_songs.py"
