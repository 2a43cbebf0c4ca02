# Token ids of one split as compact integer arrays, with each song's bar and pickup lengths.
rule build_tensors:
    input:
        songs=stage("data/{split}.txt"),
        table=stage("data/songs.tsv"),
        vocabulary=stage("data/vocabulary.json"),
    output:
        stage("data/{split}.npz"),
    log:
        stage_log("build_tensors_{split}.log"),
    conda:
        "../../envs/torch.yaml"
    params:
        time_step=config["encoding"]["time_step"],
    script:
        "../scripts/build_tensors.py"
