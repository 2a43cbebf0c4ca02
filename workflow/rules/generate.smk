# Sample one song named in config's `generate:` and write it as MIDI and as tokens.
rule generate_song:
    input:
        checkpoint="results/model/checkpoint.pt",
    output:
        midi="results/generated/{name}.mid",
        tokens="results/generated/{name}.txt",
    log:
        "logs/generate_song_{name}.log",
    conda:
        "../../envs/torch.yaml"
    params:
        song=lambda wildcards: config["generate"][wildcards.name],
    script:
        "../scripts/generate_song.py"
