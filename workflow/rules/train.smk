# Train the LSTM (from `training.init_from` where set); keep the checkpoint with the best
# validation loss and the per-epoch history.
rule train_model:
    input:
        **init_inputs(config["training"]),
        train=stage("data/train.npz"),
        valid=stage("data/valid.npz"),
        vocabulary=stage("data/vocabulary.json"),
    output:
        checkpoint=stage("model/checkpoint.pt"),
        history=stage("model/history.csv"),
    log:
        stage_log("train_model.log"),
    benchmark:
        stage("benchmarks/train_model.tsv")
    conda:
        "../../envs/torch.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=4000,
        runtime=720,
    params:
        model=config["model"],
        training=config["training"],
        time_step=config["encoding"]["time_step"],
        texture=TEXTURE.describe(),
        # Saved after every epoch; not an output, so it outlives a killed job and the rerun resumes.
        state=stage("model/training_state.pt"),
    script:
        "../scripts/train_model.py"


# With a texture of several voices, the harmoniser: the same model and training, reading the
# given top voice ahead (`harmoniser.lookahead`), for the songs of `generate:` that harmonise a
# `melody:`; from scratch, or from the model that composes (`harmoniser.start_from_model`).
use rule train_model as train_harmoniser with:
    input:
        **harmoniser_start(),
        train=stage("data/train.npz"),
        valid=stage("data/valid.npz"),
        vocabulary=stage("data/vocabulary.json"),
    output:
        checkpoint=stage("harmoniser/checkpoint.pt"),
        history=stage("harmoniser/history.csv"),
    log:
        stage_log("train_harmoniser.log"),
    benchmark:
        stage("benchmarks/train_harmoniser.tsv")
    params:
        model=config["model"]
        | {
            "lookahead": config["harmoniser"]["lookahead"],
            "melody_reader": config["harmoniser"]["melody_reader"],
        },
        training=config["training"] | harmoniser_training(),
        time_step=config["encoding"]["time_step"],
        texture=TEXTURE.describe(),
        state=stage("harmoniser/training_state.pt"),
