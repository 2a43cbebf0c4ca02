# How much each band of match lengths of a piece's recall of its own past weighs beside the
# model (musiclstm.model.recall), fitted on the validation songs: for the model and the harmoniser.
# The bands and what a length counts are parameters, so weights fitted on others are fitted again.
rule fit_recall:
    input:
        checkpoint=stage("{model}/checkpoint.pt"),
        valid=stage("data/valid.npz"),
    output:
        stage("{model}/recall.json"),
    log:
        stage_log("fit_recall_{model}.log"),
    wildcard_constraints:
        model="model|harmoniser",
    conda:
        "../../envs/torch.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        bands=RECALL_BANDS,
        lengths=RECALL_LENGTHS,
    script:
        "../scripts/fit_recall.py"


# Score the best checkpoint on the validation and test songs, alone and with its recall (chorales:
# with the n-gram baseline fitted on the training chorales).
rule evaluate_model:
    input:
        **baseline_inputs(),
        checkpoint=stage("model/checkpoint.pt"),
        recall=stage("model/recall.json"),
        valid=stage("data/valid.npz"),
        test=stage("data/test.npz"),
    output:
        stage("evaluation/metrics.json"),
    log:
        stage_log("evaluate_model.log"),
    conda:
        "../../envs/torch.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/evaluate_model.py"


# The harmoniser on the same pieces: what reading the given top voice ahead is worth.
use rule evaluate_model as evaluate_harmoniser with:
    input:
        checkpoint=stage("harmoniser/checkpoint.pt"),
        recall=stage("harmoniser/recall.json"),
        valid=stage("data/valid.npz"),
        test=stage("data/test.npz"),
    output:
        stage("evaluation/harmoniser_metrics.json"),
    log:
        stage_log("evaluate_harmoniser.log"),


# One piece per held-out song, in its meter and length, written as the entry of `generate:` that
# `distinguishability.entry` names writes: what music_stats sets beside the held-out songs.
rule generate_comparison:
    input:
        **comparison_recall(),
        checkpoint=comparison_checkpoint(),
        train=stage("data/train.npz"),
        held_out=stage("data/test.npz"),
    output:
        tokens=stage("evaluation/comparison/pieces.txt"),
        shapes=stage("evaluation/comparison/meters.json"),
    log:
        stage_log("generate_comparison.log"),
    conda:
        "../../envs/torch.yaml"
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        song=lambda wildcards: config["generate"][comparison_entry()],
    script:
        "../scripts/generate_comparison.py"
