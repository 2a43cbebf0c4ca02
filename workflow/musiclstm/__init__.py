"""Learn melodies with an LSTM and write new songs: the library behind the Snakemake rules."""
