# One rule per song named in config's `generate:`, so that changing a song reruns only that song.
# A song with n_samples > 1 is written as {name}_1.mid ... {name}_n.mid, sampled as one batch.
for song_name, song_settings in config["generate"].items():

    rule:
        name:
            f"generate_{song_name}"
        input:
            checkpoint="results/model/checkpoint.pt",
        output:
            midi=song_files(song_name, "mid"),
            tokens=song_files(song_name, "txt"),
        log:
            f"logs/generate_{song_name}.log",
        conda:
            "../../envs/torch.yaml"
        params:
            name=song_name,
            song=song_settings,
        script:
            "../scripts/generate_song.py"
