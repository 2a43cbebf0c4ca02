# Hyper-parameter sweeps (`sweeps:` in config.yaml). Every point is its own job with the resources
# of train_model, and reads the tensors and vocabulary of the main workflow.
#   snakemake --cores N results/sweeps/{sweep}/summary.tsv


# Train and score one point: the base model and training settings with the point's values. The
# settings come from the point's name alone, so other points of its sweep never rerun it.
rule train_sweep_point:
    input:
        **init_inputs(config["training"]),
        train=stage("data/train.npz"),
        valid=stage("data/valid.npz"),
        test=stage("data/test.npz"),
        vocabulary=stage("data/vocabulary.json"),
    output:
        checkpoint=stage("sweeps/{sweep}/{point}/checkpoint.pt"),
        history=stage("sweeps/{sweep}/{point}/history.csv"),
        metrics=stage("sweeps/{sweep}/{point}/metrics.json"),
    log:
        stage_log("sweeps/{sweep}/{point}.log"),
    benchmark:
        stage("benchmarks/sweeps/{sweep}/{point}.tsv")
    wildcard_constraints:
        sweep=r"[A-Za-z0-9_-]+",
        point=r"[^/]+=[^/]*",
    conda:
        "../../envs/torch.yaml"
    threads: lambda wildcards: point_settings(wildcards.point)["training"]["threads"]
    resources:
        mem_mb=4000,
        runtime=720,
    params:
        model=lambda wildcards: point_settings(wildcards.point)["model"],
        training=lambda wildcards: point_settings(wildcards.point)["training"],
        time_step=config["encoding"]["time_step"],
        texture=TEXTURE.describe(),
        # Saved after every epoch, not an output: a killed job's rerun resumes from it.
        state=sweep_point_state,
    script:
        "../scripts/train_sweep_point.py"


# One table of every point of a sweep, best validation loss first, and a plot of validation loss
# against each swept value.
rule summarize_sweep:
    input:
        metrics=lambda wildcards: sweep_files(wildcards.sweep, "metrics.json"),
    output:
        table=stage("sweeps/{sweep}/summary.tsv"),
        plot=stage("sweeps/{sweep}/valid_loss.png"),
    log:
        stage_log("sweeps/{sweep}/summary.log"),
    wildcard_constraints:
        sweep=r"[A-Za-z0-9_-]+",
    conda:
        "../../envs/torch.yaml"
    params:
        # The point of each metrics file, in the same order.
        points=lambda wildcards: points_of(wildcards.sweep),
    script:
        "../scripts/summarize_sweep.py"


# Each song of `generate:`, sampled from a sweep's best point (the first row of its table):
#   snakemake --cores N results/sweeps/{sweep}/best/song.mid
for best_song in config["generate"]:

    rule:
        name:
            f"generate_sweep_best_{best_song}"
        input:
            **seed_inputs(config["generate"][best_song]),
            **melody_inputs(config["generate"][best_song]),
            summary=stage("sweeps/{sweep}/summary.tsv"),
            checkpoints=lambda wildcards: sweep_files(wildcards.sweep, "checkpoint.pt"),
            train=stage("data/train.npz"),
        output:
            midi=best_song_files(best_song, "mid"),
            tokens=best_song_files(best_song, "txt"),
            info=best_song_files(best_song, "json"),
        log:
            stage_log(f"sweeps/{{sweep}}/best_{best_song}.log"),
        wildcard_constraints:
            sweep=r"[A-Za-z0-9_-]+",
        conda:
            "../../envs/torch.yaml"
        params:
            name=best_song,
            song=config["generate"][best_song],
            # How a seed or melody file is read: its part, grid and durations, as the songs were.
            encoding=config["encoding"],
            # The point of each checkpoint, in the same order.
            points=lambda wildcards: points_of(wildcards.sweep),
        script:
            "../scripts/generate_sweep_best.py"
