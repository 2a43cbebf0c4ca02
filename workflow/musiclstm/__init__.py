"""Learn music with LSTMs and write new pieces (melodies, chorales, ensembles of N voices): the
library behind the Snakemake rules."""
