"""Rule fit_recall: the weights of a piece's recall of its own past beside the model, one per band
of match lengths, fitted on the validation songs (musiclstm.model.recall)."""

import sys

from musiclstm.rule_logging import log_to

log_to(snakemake.log[0])

import torch  # noqa: E402

from musiclstm.data.batches import load_split  # noqa: E402
from musiclstm.model.checkpoint import TrainedModel  # noqa: E402
from musiclstm.model.recall import fit_recall  # noqa: E402

torch.set_num_threads(snakemake.threads)
trained = TrainedModel.load(snakemake.input.checkpoint)
valid = load_split(snakemake.input.valid, trained.representation, trained.vocabulary)
weights = fit_recall(trained, valid)
weights.write(snakemake.output[0])
print(f"recall weights: {weights.describe()}", file=sys.stderr)
