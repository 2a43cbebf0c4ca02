# The front page of `snakemake --report report.html`.
report: "../report/workflow.rst"


# Training and validation loss per epoch.
rule plot_loss:
    input:
        stage("model/history.csv"),
    output:
        report(
            stage("plots/loss.png"),
            caption="../report/loss.rst",
            category="Training",
            labels={"shows": "loss per epoch"},
        ),
    log:
        stage_log("plot_loss.log"),
    conda:
        "../../envs/music.yaml"
    script:
        "../scripts/plot_loss.py"


# Generated against held-out songs: histograms, scale notes, tonic endings; copying from training.
rule music_stats:
    input:
        **comparison_inputs(),
        generated=generated_songs("txt"),
        info=generated_songs("json"),
        held_out=stage("data/test.txt"),
        training=stage("data/train.txt"),
        songs=stage("data/songs.tsv"),
    output:
        stage("evaluation/music_stats.json"),
    log:
        stage_log("music_stats.log"),
    benchmark:
        stage("benchmarks/music_stats.tsv")
    conda:
        "../../envs/music.yaml"
    params:
        transposed=config["encoding"]["transpose"],
        texture=TEXTURE.describe(),
        time_step=config["encoding"]["time_step"],
    script:
        "../scripts/music_stats.py"


# One histogram of the statistics: generated against held-out songs.
rule plot_histogram:
    input:
        stage("evaluation/music_stats.json"),
    output:
        report(
            stage("plots/{histogram}.png"),
            caption="../report/histogram.rst",
            category="Song statistics",
            labels={"shows": "{histogram} histogram"},
        ),
    log:
        stage_log("plot_histogram_{histogram}.log"),
    wildcard_constraints:
        histogram="|".join(HISTOGRAMS),
    conda:
        "../../envs/music.yaml"
    script:
        "../scripts/plot_histogram.py"


# One song's page: player, score, piano roll, facts and the files to download.
rule song_page:
    input:
        svg=piece_file("svg"),
        score_info=piece_file("score_info"),
        musicxml=piece_file("musicxml"),
        wav=piece_file("wav"),
        audio_info=piece_file("audio_info"),
        piano_roll=piece_file("piano_roll"),
        midi=piece_file("midi"),
        tokens=piece_file("tokens"),
        info=piece_file("info"),
    output:
        report(
            piece_file("page"),
            caption="../report/song_page.rst",
            category="Songs",
            subcategory="{name}",
            labels={"song": "{name}", "shows": "listen: player and score"},
        ),
    log:
        stage_log("song_page_{name}.log"),
    conda:
        "../../envs/music.yaml"
    script:
        "../scripts/song_page.py"


# The summary page: metrics, musical statistics, copying check, loss curve and configuration.
rule summary_page:
    input:
        **cross_validation_summary(),
        metrics=stage("evaluation/metrics.json"),
        stats=stage("evaluation/music_stats.json"),
        loss=stage("plots/loss.png"),
        histograms=histogram_plots(),
    output:
        report(
            stage("report/summary.html"),
            caption="../report/summary.rst",
            category="Overview",
            labels={"shows": "metrics, statistics, configuration"},
        ),
    log:
        stage_log("summary_page.log"),
    conda:
        "../../envs/music.yaml"
    params:
        config=config,
    script:
        "../scripts/summary_page.py"
