# The vocabulary of the training split plus the special tokens, in a fixed order.
rule build_vocabulary:
    input:
        "results/data/train.txt",
    output:
        "results/data/vocabulary.json",
    log:
        "logs/build_vocabulary.log",
    conda:
        "../../envs/music.yaml"
    script:
        "../scripts/build_vocabulary.py"
