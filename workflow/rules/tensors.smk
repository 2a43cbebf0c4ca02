# Token ids of one split as compact integer arrays, with each song's bar and pickup lengths.
rule build_tensors:
    input:
        songs="results/data/{split}.txt",
        table="results/data/songs.tsv",
        vocabulary="results/data/vocabulary.json",
    output:
        "results/data/{split}.npz",
    log:
        "logs/build_tensors_{split}.log",
    conda:
        "../../envs/torch.yaml"
    params:
        time_step=config["encoding"]["time_step"],
    script:
        "../scripts/build_tensors.py"
