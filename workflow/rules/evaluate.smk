# Score the best checkpoint on the validation and test songs.
rule evaluate_model:
    input:
        checkpoint="results/model/checkpoint.pt",
        valid="results/data/valid.npz",
        test="results/data/test.npz",
    output:
        "results/evaluation/metrics.json",
    log:
        "logs/evaluate_model.log",
    conda:
        "../../envs/torch.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/evaluate_model.py"
