# Token ids of one split as compact integer arrays.
rule build_tensors:
    input:
        songs="results/data/{split}.txt",
        vocabulary="results/data/vocabulary.json",
    output:
        "results/data/{split}.npz",
    log:
        "logs/build_tensors_{split}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/build_tensors.py"
