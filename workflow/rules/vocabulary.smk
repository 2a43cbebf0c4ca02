# The vocabulary of the training split plus the special tokens, in a fixed order.
rule build_vocabulary:
    input:
        stage("data/train.txt"),
    output:
        stage("data/vocabulary.json"),
    log:
        stage_log("build_vocabulary.log"),
    conda:
        "../../envs/music.yaml"
    params:
        texture=TEXTURE.describe(),
    script:
        "../scripts/build_vocabulary.py"
