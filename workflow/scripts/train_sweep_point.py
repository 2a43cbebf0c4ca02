"""Rule train_sweep_point: train and score one point of a sweep."""

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

from musiclstm.sweeps.run import train_point  # noqa: E402

train_point(
    snakemake.wildcards.point,
    data=dict(snakemake.input.items()),
    outputs=dict(snakemake.output.items()),
    settings={"model": snakemake.params.model, "training": snakemake.params.training},
    time_step=snakemake.params.time_step,
    threads=snakemake.threads,
    state_path=snakemake.params.state,
    texture=snakemake.params.texture,
)
