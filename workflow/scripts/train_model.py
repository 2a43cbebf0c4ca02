"""Rule train_model: train the LSTM and keep the best checkpoint."""

from pathlib import Path

from melodylstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from melodylstm.training.loop import train_model  # noqa: E402

train_model(
    Path(snakemake.input.train),
    Path(snakemake.input.valid),
    Path(snakemake.input.vocabulary),
    Path(snakemake.output.checkpoint),
    Path(snakemake.output.history),
    model_config=snakemake.params.model,
    training=snakemake.params.training,
    encoding={"time_step": snakemake.params.time_step},
    threads=snakemake.threads,
    state_path=Path(snakemake.params.state),
)
