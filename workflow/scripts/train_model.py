"""Rules train_model and train_harmoniser: train the LSTM (on `training.threads` threads, from
`training.init_from` where set) and keep the best checkpoint."""

from musiclstm.rule_logging import log_to

log_to(snakemake.log[0])

from musiclstm.training.loop import TrainingFiles, train_model
from musiclstm.training.setup import RunSettings

train_model(
    TrainingFiles(
        train=snakemake.input.train,
        valid=snakemake.input.valid,
        vocabulary=snakemake.input.vocabulary,
        checkpoint=snakemake.output.checkpoint,
        history=snakemake.output.history,
        state=snakemake.params.state,
    ),
    RunSettings.from_config(
        snakemake.params.model,
        snakemake.params.training,
        snakemake.params.time_step,
        snakemake.params.texture,
    ),
)
