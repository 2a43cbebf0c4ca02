# One rule per song named in config's `generate:`, so that changing a song reruns only that song.
# A song with n_samples > 1 is written as {name}_1.mid ... {name}_n.mid, sampled as one batch;
# {name}.json records each song's meter and tempo for the stages that engrave, play and measure it.
# A chorale entry with a `melody:` file is harmonised by the harmoniser; the others are composed.
# A seed that names a music file is an input: a changed file reruns the song.
for song_name, song_settings in config["generate"].items():

    rule:
        name:
            f"generate_{song_name}"
        input:
            **generation_inputs(song_settings),
            **seed_inputs(song_settings),
        output:
            midi=song_files(song_name, "mid"),
            tokens=song_files(song_name, "txt"),
            info=song_files(song_name, "json"),
        log:
            stage_log(f"generate_{song_name}.log"),
        conda:
            "../../envs/torch.yaml"
        params:
            name=song_name,
            song=song_settings,
            # How a seed or melody file is read: its part, grid and durations, as the songs were.
            encoding=config["encoding"],
        script:
            "../scripts/generate_song.py"
