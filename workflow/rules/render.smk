# Engrave one generated song: MusicXML, an SVG score, and what the score shows (key, clef, bars).
rule render_score:
    input:
        tokens=piece_file("tokens"),
        info=piece_file("info"),
    output:
        musicxml=piece_file("musicxml"),
        svg=report(
            piece_file("svg"),
            caption="../report/score.rst",
            category="Songs",
            subcategory="{name}",
            labels={"song": "{name}", "shows": "score (SVG)"},
        ),
        info=piece_file("score_info"),
    log:
        stage_log("render_score_{name}.log"),
    conda:
        "../../envs/music.yaml"
    params:
        clef=config["render"]["clef"],
    script:
        "../scripts/render_score.py"


# Play one generated song into a WAV file (fluidsynth with a GM soundfont, or the built-in synth).
rule render_audio:
    input:
        tokens=piece_file("tokens"),
        info=piece_file("info"),
    output:
        wav=piece_file("wav"),
        info=piece_file("audio_info"),
    log:
        stage_log("render_audio_{name}.log"),
    conda:
        "../../envs/music.yaml"
    params:
        synthesizer=config["render"]["synthesizer"],
        soundfont=config["render"]["soundfont"],
        program=config["render"]["program"],
        sample_rate=config["render"]["sample_rate"],
    script:
        "../scripts/render_audio.py"


# A piano roll of one generated song: notes against time, with bar lines.
rule plot_piano_roll:
    input:
        tokens=piece_file("tokens"),
        info=piece_file("info"),
    output:
        report(
            piece_file("piano_roll"),
            caption="../report/piano_roll.rst",
            category="Songs",
            subcategory="{name}",
            labels={"song": "{name}", "shows": "piano roll"},
        ),
    log:
        stage_log("plot_piano_roll_{name}.log"),
    conda:
        "../../envs/music.yaml"
    script:
        "../scripts/plot_piano_roll.py"
