"""A count-based baseline: an interpolated Kneser-Ney n-gram model over the tokens.

It shows what "the network learned something" means: a network has to beat the best n-gram.
Songs are counted as the models see them, the first token predicted from a context of song
boundaries and the end-of-song boundary predicted after the last token. With ``n`` the order,
``h`` the ``n - 1`` tokens before ``w`` and ``h'`` the same without its first token
(Chen & Goodman 1998, interpolated Kneser-Ney):

    P(w | h) = max(c(h w) - D, 0) / c(h) + D * N1+(h .) / c(h) * P'(w | h')

where ``N1+(h .)`` is the number of different tokens seen after ``h``. The lower orders ``P'``
have the same form but count, instead of how often ``h' w`` occurs, after how many *different*
tokens it occurs (its continuation count): a token that only ever follows one context gets little
weight where that context is absent. The lowest order is interpolated with the uniform
distribution, so every token has a probability. An unseen context passes on the lower order
unchanged. Each order and kind of count has its own discount ``D = n1 / (n1 + 2 n2)``, from the
numbers of n-grams seen once and twice.

:class:`KneserNey` has the models' interface (:mod:`musiclstm.model.base`),
``logits, state = model(tokens, inputs, state)`` with log-probabilities as logits (it reads no
per-step inputs), so the evaluation scores it with the same metrics.
"""

from __future__ import annotations

import numpy as np
import torch

# Contexts are found by a 64-bit polynomial hash of their tokens (wrapping arithmetic); two
# different contexts share a hash with a chance of about one in 10^13 at this corpus size.
HASH_BASE = np.uint64(1_000_003)


def extend_hash(hashes: np.ndarray, older_tokens: np.ndarray) -> np.ndarray:
    """The hashes of the contexts one token longer, reaching one token further back."""
    return hashes * HASH_BASE + older_tokens.astype(np.uint64) + np.uint64(1)


def count_distinct(context_hashes: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, ...]:
    """The distinct (context, token) pairs, sorted by context hash then token: their context
    hashes, tokens, counts, and the index of one occurrence of each."""
    order = np.lexsort((tokens, context_hashes))
    hashes, tokens = context_hashes[order], tokens[order]
    first = np.ones(len(hashes), dtype=bool)
    first[1:] = (hashes[1:] != hashes[:-1]) | (tokens[1:] != tokens[:-1])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(hashes)))
    return hashes[starts], tokens[starts], counts, order[starts]


class CountTable:
    """For every context of one length: which tokens followed it and their counts."""

    def __init__(self, context_hashes: np.ndarray, tokens: np.ndarray, counts: np.ndarray):
        """One entry per distinct (context, token), sorted by context hash (``count_distinct``)."""
        self.tokens = tokens.astype(np.int64)
        self.counts = counts.astype(np.float64)
        self.hashes, starts = np.unique(context_hashes, return_index=True)
        self.starts = np.append(starts, len(context_hashes))
        n1, n2 = int((self.counts == 1).sum()), int((self.counts == 2).sum())
        # D = n1 / (n1 + 2 n2) from the n-grams counted once and twice.
        self.discount = min(n1 / (n1 + 2 * n2), 0.99) if n1 else 0.5

    def dense_counts(self, hashes: np.ndarray, vocab_size: int) -> np.ndarray:
        """(n, vocab) counts of the tokens after each queried context (zeros where unseen)."""
        dense = np.zeros((len(hashes), vocab_size))
        if len(self.hashes) == 0:
            return dense
        where = np.searchsorted(self.hashes, hashes).clip(max=len(self.hashes) - 1)
        found = np.flatnonzero(self.hashes[where] == hashes)
        starts, ends = self.starts[where[found]], self.starts[where[found] + 1]
        lengths = ends - starts
        rows = np.repeat(found, lengths)
        # Entry j of a found context's run sits at its start + j.
        entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
            lengths.sum()
        )
        dense[rows, self.tokens[entries]] = self.counts[entries]
        return dense


class NgramCounts:
    """The n-gram counts of songs up to ``max_order``, from which models of every order are made.

    ``raw[k]`` holds how often each token followed each context of ``k - 1`` tokens;
    ``continuation[k]`` after how many different tokens that context plus the token occurred
    (for ``k < max_order``).
    """

    def __init__(self, songs: list[np.ndarray], max_order: int, vocab_size: int, boundary: int):
        if max_order < 1:
            raise ValueError(f"n-gram order must be at least 1, not {max_order}")
        self.max_order = max_order
        self.vocab_size = vocab_size
        self.boundary = boundary
        padding = np.full(max_order - 1, boundary)
        # Every predicted token (last column) with the max_order - 1 tokens before it.
        grams = np.concatenate(
            [
                np.lib.stride_tricks.sliding_window_view(
                    np.concatenate([padding, np.asarray(song), [boundary]]).astype(np.int64),
                    max_order,
                )
                for song in songs
            ]
            or [np.zeros((0, max_order), dtype=np.int64)]
        )
        tokens = grams[:, -1]
        # hashes[k]: the hash of each prediction's context of k - 1 tokens.
        hashes = [None, np.zeros(len(grams), dtype=np.uint64)]
        for k in range(2, max_order + 1):
            hashes.append(extend_hash(hashes[k - 1], grams[:, max_order - k]))
        self.raw: list[CountTable | None] = [None]
        self.continuation: list[CountTable | None] = [None]
        for k in range(1, max_order + 1):
            self.raw.append(CountTable(*count_distinct(hashes[k], tokens)[:3]))
            if k < max_order:
                # One occurrence of each distinct n-gram a token longer, counted by its last k.
                one_each = count_distinct(hashes[k + 1], tokens)[3]
                self.continuation.append(
                    CountTable(*count_distinct(hashes[k][one_each], tokens[one_each])[:3])
                )


class KneserNey:
    """An interpolated Kneser-Ney model of order ``order`` (at most the counts' ``max_order``)."""

    def __init__(self, counts: NgramCounts, order: int):
        if not 1 <= order <= counts.max_order:
            raise ValueError(f"n-gram order must be between 1 and {counts.max_order}, not {order}")
        self.order = order
        self.vocab_size = counts.vocab_size
        self.boundary = counts.boundary
        # Level k (a context of k - 1 tokens): raw counts at the top order, continuation below.
        self.tables = [
            counts.raw[k] if k == order else counts.continuation[k] for k in range(1, order + 1)
        ]

    def distributions(self, contexts: np.ndarray) -> np.ndarray:
        """(n, order - 1) token ids, oldest first -> (n, vocab) next-token probabilities."""
        n = len(contexts)
        p = np.full((n, self.vocab_size), 1.0 / self.vocab_size)
        hashes = np.zeros(n, dtype=np.uint64)
        for k, table in enumerate(self.tables, start=1):
            if k > 1:
                hashes = extend_hash(hashes, contexts[:, contexts.shape[1] - (k - 1)])
            counts = table.dense_counts(hashes, self.vocab_size)
            total = counts.sum(axis=1, keepdims=True)
            seen = total[:, 0] > 0  # an unseen context passes the lower order on as it is
            d, kinds = table.discount, (counts[seen] > 0).sum(axis=1, keepdims=True)
            p[seen] = (np.maximum(counts[seen] - d, 0.0) + d * kinds * p[seen]) / total[seen]
        return p

    def probabilities(self, context: tuple[int, ...]) -> np.ndarray:
        """P(. | the last ``order - 1`` tokens of ``context``), a vector over the vocabulary."""
        if len(context) < self.order - 1:
            raise ValueError(f"context {context} is shorter than {self.order - 1} tokens")
        last = context[len(context) - (self.order - 1) :] if self.order > 1 else ()
        return self.distributions(np.array([last], dtype=np.int64).reshape(1, -1))[0]

    def eval(self) -> KneserNey:
        """Nothing to switch off; here so that the evaluation can treat it as a model."""
        return self

    def start(self, given: torch.Tensor, state: tuple | None = None) -> tuple | None:
        """It reads nothing ahead: ``state`` as it is, as every model that does not."""
        return state

    def __call__(
        self,
        tokens: torch.Tensor,
        inputs: torch.Tensor | None = None,
        state: tuple[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor]]:
        """tokens: (batch, time) ids -> log-probabilities of the next token (batch, time, vocab).

        The state is the last ``order - 1`` tokens, laid out (1, batch, order - 1); without one
        the context starts with song boundaries.
        """
        batch, steps = tokens.shape
        start = self.order - 1
        if state is None:
            history = torch.full((batch, start), self.boundary, dtype=torch.long)
        else:
            history = state[0][0].cpu()
        padded = torch.cat([history, tokens.cpu()], dim=1)
        # The context of position t: the ``start`` tokens ending with tokens[t].
        if start:
            contexts = padded.unfold(1, start, 1)[:, 1:].reshape(batch * steps, start).numpy()
        else:
            contexts = np.zeros((batch * steps, 0), dtype=np.int64)
        probabilities = self.distributions(contexts).reshape(batch, steps, self.vocab_size)
        history = padded[:, padded.shape[1] - start :].unsqueeze(0)
        return torch.from_numpy(np.log(probabilities)).float(), (history,)
