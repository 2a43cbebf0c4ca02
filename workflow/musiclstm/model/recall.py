"""Recall: what a piece did before, as a second opinion beside the model's.

Pieces repeat themselves: a chorale's first two phrases come back as its third and fourth, a
folk song's refrain returns, a cadence recurs. An LSTM's state holds a few bars at most, so it
predicts the second time almost as it did the first. Recall looks the piece itself up: at every
step it finds the longest stretch of tokens just before the step that also occurred earlier in
the same piece (its *match*) and takes the tokens that followed those earlier occurrences as its
guess ``q`` (a distribution, when several occurrences followed on differently). The model's
distribution ``p`` is mixed with it,

    p_recall(w) = (1 - weight[length]) * p(w) + weight[length] * q(w),

with one weight for each band of match lengths (:data:`BANDS`, in tokens): a match of two tokens
says little, one of two bars almost always goes on as before. The weights are fitted on held-out
pieces by expectation-maximisation (:func:`fit_weights`), where a band's weight converges to the
share of its steps that the guess rather than the model explains. A step with no match keeps
the model's distribution unchanged. Only the piece's own past is read, so the mixture is a
proper next-token distribution and scores as any model does (Grave et al. 2017 mix a language
model with a cache of its own recent past in the same way; compressors of the PPM and LZ family
predict by the longest earlier match).

:class:`Recall` has the models' interface (:mod:`musiclstm.model.base`): its logits are the
mixture's log-probabilities, and its state carries the inner model's state, the tokens so far
and their match lengths, so stepping one token at a time gives what one whole pass gives.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from musiclstm.data.batches import IGNORE, SplitData
from musiclstm.evaluation.metrics import split_log_probs
from musiclstm.model.base import LanguageModel, State

# Lower edges of the bands of match lengths, in tokens; a match shorter than the first has no
# weight (a token or two recurs everywhere and tells nothing of what follows).
BANDS = (3, 6, 12, 24, 48, 96, 192)
MAX_WEIGHT = 0.999  # a guess is never certain: the model keeps some probability everywhere
EM_ROUNDS = 100


def band_of(lengths: torch.Tensor) -> torch.Tensor:
    """The band of each match length: 0 below the first edge, k for the k-th band."""
    return torch.bucketize(lengths, torch.tensor(BANDS), right=True)


@dataclass(frozen=True)
class RecallWeights:
    """The guess's weight in each band of match lengths (index 0: no usable match, always 0)."""

    weights: tuple[float, ...]

    def table(self) -> torch.Tensor:
        """The weights as a tensor, indexed by band."""
        return torch.tensor(self.weights, dtype=torch.float32)

    def describe(self) -> dict:
        return {"bands": list(BANDS), "weights": [round(w, 4) for w in self.weights]}

    @classmethod
    def read(cls, path) -> RecallWeights:
        """Weights written by :meth:`write`; bands other than today's are refused, not guessed."""
        description = json.loads(Path(path).read_text())
        if description.get("bands") != list(BANDS):
            raise ValueError(
                f"{path}: recall weights for match bands {description.get('bands')}, "
                f"but recall uses {list(BANDS)}; fit them again"
            )
        return cls(tuple(float(w) for w in description["weights"]))

    def write(self, path) -> None:
        Path(path).write_text(json.dumps(self.describe(), indent=2) + "\n")


def extend_matches(
    history: torch.Tensor, lengths: torch.Tensor, token: torch.Tensor
) -> torch.Tensor:
    """The match lengths after ``token`` (rows,) joins ``history`` (rows, n): for every earlier
    position i, how many tokens ending at i equal those ending at the new token, from
    ``lengths``, the same for the token before (rows, n - 1)."""
    grown = torch.zeros_like(history)
    grown[:, 1:] = lengths + 1
    grown[:, :1] = 1
    return torch.where(history == token.unsqueeze(1), grown, 0)


def guess(history: torch.Tensor, lengths: torch.Tensor, vocab_size: int):
    """For the step after ``history`` (rows, n) with the new token's match ``lengths`` against
    each earlier position (rows, n - 1): the longest match (rows,) and the distribution of the
    tokens that followed its occurrences (rows, vocab), zero where there is none."""
    rows = history.shape[0]
    q = torch.zeros(rows, vocab_size)
    if lengths.shape[1] == 0:
        return torch.zeros(rows, dtype=torch.long), q
    longest = lengths.max(dim=1).values
    at_longest = (lengths == longest.unsqueeze(1)) & (longest.unsqueeze(1) > 0)
    q.scatter_add_(1, history[:, 1:], at_longest.float())
    q = q / q.sum(dim=1, keepdim=True).clamp(min=1)
    return longest, q


def recall_guesses(
    tokens: torch.Tensor, vocab_size: int, history: torch.Tensor, lengths: torch.Tensor
):
    """The longest match and the guess (as :func:`guess`) after each of ``tokens`` (rows, steps)
    in turn, the piece so far being ``history`` (rows, n) with the last token's ``lengths``;
    and the history and lengths after them."""
    longest, guesses = [], []
    for step in range(tokens.shape[1]):
        token = tokens[:, step]
        lengths = extend_matches(history, lengths, token) if history.shape[1] else lengths
        history = torch.cat([history, token.unsqueeze(1)], dim=1)
        found, q = guess(history, lengths, vocab_size)
        longest.append(found)
        guesses.append(q)
    return torch.stack(longest, 1), torch.stack(guesses, 1), history, lengths


def mixed_log_probs(logits: torch.Tensor, q: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """log((1 - weight) p + weight q) with p = softmax(logits), per step."""
    weight = weight.unsqueeze(-1)
    p = torch.softmax(logits.float(), dim=-1)
    return torch.log((1 - weight) * p + weight * q)


class Recall(LanguageModel):
    """A model whose distribution is mixed with the piece's recall (the module docstring)."""

    def __init__(self, model: LanguageModel, weights: RecallWeights, vocab_size: int):
        super().__init__()
        self.model = model
        self.weights = weights
        self.weight_table = weights.table()  # built once: sampling reads it every step
        self.vocab_size = vocab_size

    def start(self, given: torch.Tensor, state: State | None = None) -> State | None:
        inner, history, lengths = self.parts(state, given.shape[0])
        return (*(self.model.start(given, inner) or ()), history[None], lengths[None])

    def parts(self, state: State | None, rows: int):
        """The inner model's state (None at the start) and the piece so far with its matches."""
        if state is None:
            empty = torch.zeros(1, rows, 0, dtype=torch.long)
            return None, empty[0], empty[0]
        inner = state[:-2] or None
        return inner, state[-2][0], state[-1][0]

    def forward(self, tokens: torch.Tensor, inputs: torch.Tensor, state: State | None = None):
        inner, history, lengths = self.parts(state, tokens.shape[0])
        logits, inner = self.model(tokens, inputs, inner)
        longest, q, history, lengths = recall_guesses(
            tokens.cpu(), self.vocab_size, history, lengths
        )
        log_probs = mixed_log_probs(logits.cpu(), q, self.weight_table[band_of(longest)])
        return log_probs.to(logits.device), (*(inner or ()), history[None], lengths[None])

    def stepper(self, fast: bool = True):
        """The inner model's step function (its fast kernel where it has one), mixed."""
        inner_step = self.model.stepper(fast)

        def step(tokens: torch.Tensor, inputs: torch.Tensor, state: State):
            inner, history, lengths = self.parts(state, tokens.shape[0])
            logits, inner = inner_step(tokens, inputs, inner)
            longest, q, history, lengths = recall_guesses(
                tokens.view(-1, 1).cpu(), self.vocab_size, history, lengths
            )
            weight = self.weight_table[band_of(longest[:, 0])]
            log_probs = mixed_log_probs(logits.cpu(), q[:, 0], weight).to(logits.device)
            return log_probs, (*(inner or ()), history[None], lengths[None])

        return step


def recall_statistics(
    model: LanguageModel, data: SplitData, boundary: int, vocab_size: int, batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Over every real target of ``data``: the model's probability of it, the guess's, and the
    match length it was guessed from (what :func:`fit_weights` needs)."""
    model_p, guess_p, longest_all = [], [], []
    for tokens, targets, log_probs in split_log_probs(model, data, boundary, batch_size):
        empty = torch.zeros(len(tokens), 0, dtype=torch.long)
        longest, q, _, _ = recall_guesses(tokens, vocab_size, empty, empty)
        real = targets != IGNORE
        safe = targets.clamp(min=0).unsqueeze(-1)
        model_p.append(log_probs.gather(-1, safe).squeeze(-1).exp()[real].numpy())
        guess_p.append(q.gather(-1, safe).squeeze(-1)[real].numpy())
        longest_all.append(longest[real].numpy())
    return tuple(np.concatenate(parts) for parts in (model_p, guess_p, longest_all))


def fit_weights(model_p: np.ndarray, guess_p: np.ndarray, longest: np.ndarray) -> RecallWeights:
    """Each band's weight by expectation-maximisation of the mixture's likelihood of the steps:
    a weight becomes the mean share of its steps' probability that the guess contributes."""
    bands = band_of(torch.as_tensor(longest)).numpy()
    weights = [0.0]
    for band in range(1, len(BANDS) + 1):
        p, q = model_p[bands == band], guess_p[bands == band]
        weight = 0.5 if len(p) else 0.0
        for _ in range(EM_ROUNDS if len(p) else 0):
            weight = float(np.mean(weight * q / ((1 - weight) * p + weight * q)))
        weights.append(min(weight, MAX_WEIGHT))
    return RecallWeights(tuple(weights))


def fit_recall(trained, valid: SplitData) -> RecallWeights:
    """The recall weights of a :class:`~musiclstm.model.checkpoint.TrainedModel`, fitted on the
    held-out pieces ``valid``."""
    vocabulary = trained.vocabulary
    return fit_weights(
        *recall_statistics(trained.model, valid, vocabulary.boundary, len(vocabulary))
    )


def with_recall(trained, weights: RecallWeights):
    """``trained`` with its model mixed with each piece's recall."""
    model = Recall(trained.model, weights, len(trained.vocabulary))
    return dataclasses.replace(trained, model=model)
