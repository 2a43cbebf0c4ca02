# Learn music with an LSTM and write new pieces: melodies by default, four-voice chorales with
# the chorale config.
#   snakemake --cores 4 results/generated/song.mid
#   snakemake --cores 4 results/generated/chorale.mid --configfile config/chorale.yaml
from snakemake.utils import min_version

min_version("9.0")


# A config file given on the command line that names its `texture` is a whole config of its own
# (config/chorale.yaml): config.yaml's songs and sources are not merged into it.
if "texture" not in config:

    configfile: "config.yaml"


from musiclstm.config import validate_config

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
include: "workflow/rules/cross_validation.smk"


rule all:
    input:
        stage("evaluation/metrics.json"),
        texture_results(),
        generated_songs(),
        report_files(),
