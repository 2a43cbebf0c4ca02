# Cross-validation (`split.folds: K`): K models, each trained and scored as the main one is and
# tested on the songs of one fold, then one summary. Not part of `all`; a cluster runs the folds
# side by side:
#   snakemake --cores N results/cv/summary.tsv


# One fold's train, valid and test texts: its test songs are those the split's hash deals to it.
use rule split_songs as split_fold with:
    output:
        train=stage("cv/fold_{fold}/data/train.txt"),
        valid=stage("cv/fold_{fold}/data/valid.txt"),
        test=stage("cv/fold_{fold}/data/test.txt"),
        songs=stage("cv/fold_{fold}/data/songs.tsv"),
    log:
        stage_log("cv/fold_{fold}/split_songs.log"),
    params:
        split=config["split"],
        fold=cv_fold,
        works=split_works(),


# The vocabulary of every song (the main split's three texts), shared by the folds: every fold's
# model predicts over the same tokens, and no fold's test song meets <unk>.
use rule build_vocabulary as build_cv_vocabulary with:
    input:
        expand(stage("data/{split}.txt"), split=SPLITS),
    output:
        stage("cv/vocabulary.json"),
    log:
        stage_log("cv/build_vocabulary.log"),


# A fold's split as token ids.
use rule build_tensors as build_fold_tensors with:
    input:
        songs=stage("cv/fold_{fold}/data/{split}.txt"),
        table=stage("cv/fold_{fold}/data/songs.tsv"),
        vocabulary=stage("cv/vocabulary.json"),
    output:
        stage("cv/fold_{fold}/data/{split}.npz"),
    log:
        stage_log("cv/fold_{fold}/build_tensors_{split}.log"),


# A fold's model: the model and training settings of the main one, on the fold's songs.
use rule train_model as train_fold_model with:
    input:
        **init_inputs(config["training"]),
        train=stage("cv/fold_{fold}/data/train.npz"),
        valid=stage("cv/fold_{fold}/data/valid.npz"),
        vocabulary=stage("cv/vocabulary.json"),
    output:
        checkpoint=stage("cv/fold_{fold}/model/checkpoint.pt"),
        history=stage("cv/fold_{fold}/model/history.csv"),
    log:
        stage_log("cv/fold_{fold}/train_model.log"),
    benchmark:
        stage("benchmarks/cv/fold_{fold}/train_model.tsv")
    params:
        state=stage("cv/fold_{fold}/model/training_state.pt"),


# A fold's model scored on the fold's validation and test songs.
use rule evaluate_model as evaluate_fold_model with:
    input:
        **baseline_inputs("cv/fold_{fold}/data"),
        checkpoint=stage("cv/fold_{fold}/model/checkpoint.pt"),
        valid=stage("cv/fold_{fold}/data/valid.npz"),
        test=stage("cv/fold_{fold}/data/test.npz"),
    output:
        stage("cv/fold_{fold}/evaluation/metrics.json"),
    log:
        stage_log("cv/fold_{fold}/evaluate_model.log"),


# Every fold's test metrics, pooled over all folds' steps and notes, and their spread; checks that
# every song was tested once.
rule summarize_cross_validation:
    input:
        metrics=lambda wildcards: fold_files("evaluation/metrics.json"),
        songs=lambda wildcards: fold_files("data/songs.tsv"),
    output:
        json=stage("cv/summary.json"),
        table=stage("cv/summary.tsv"),
    log:
        stage_log("cv/summary.log"),
    conda:
        "../../envs/music.yaml"
    script:
        "../scripts/summarize_cross_validation.py"
