# Train the LSTM; keep the checkpoint with the best validation loss and the per-epoch history.
rule train_model:
    input:
        train="results/data/train.npz",
        valid="results/data/valid.npz",
        vocabulary="results/data/vocabulary.json",
    output:
        checkpoint="results/model/checkpoint.pt",
        history="results/model/history.csv",
    log:
        "logs/train_model.log",
    benchmark:
        "results/benchmarks/train_model.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 4
    resources:
        mem_mb=4000,
        runtime=720,
    params:
        model=config["model"],
        training=config["training"],
        time_step=config["encoding"]["time_step"],
        # Saved after every epoch; not an output, so it outlives a killed job and the rerun resumes.
        state="results/model/training_state.pt",
    script:
        "../scripts/train_model.py"
