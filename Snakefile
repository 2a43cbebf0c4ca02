# Learn melodies with an LSTM and write new songs.
#   snakemake --cores 4 results/generated/song.mid
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


from melodylstm.config import validate_config

# Fails before any job runs, naming the bad key; fills in the defaults of the schema.
config.update(validate_config(config))


include: "workflow/rules/common.smk"
include: "workflow/rules/encode.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/vocabulary.smk"
include: "workflow/rules/tensors.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/render.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/sweep.smk"


rule all:
    input:
        "results/evaluation/metrics.json",
        generated_songs(),
        report_files(),
