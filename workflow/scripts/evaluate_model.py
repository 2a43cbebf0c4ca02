"""Rules evaluate_model and evaluate_harmoniser: held-out metrics of the best checkpoint (for a
chorale model with the n-gram baseline of the same splits)."""

import sys

from musiclstm.rule_logging import log_to  # noqa: E402

log_to(snakemake.log[0])

import json  # noqa: E402

from musiclstm.evaluation.metrics import evaluate_checkpoint  # noqa: E402

metrics = evaluate_checkpoint(
    snakemake.input.checkpoint,
    {"valid": snakemake.input.valid, "test": snakemake.input.test},
    snakemake.output[0],
    threads=snakemake.threads,
    train_path=snakemake.input.get("train"),
    recall_path=snakemake.input.get("recall"),
)
print(json.dumps(metrics, indent=2), file=sys.stderr)
