"""Recall: what a piece did before, as a second opinion beside the model's.

Pieces repeat themselves: a chorale's first two phrases come back as its third and fourth, a
folk song's refrain returns, a cadence recurs. An LSTM's state holds a few bars at most, so it
predicts the second time almost as it did the first. Recall looks the piece itself up: at every
step it finds the longest stretch of tokens just before the step that also occurred earlier in
the same piece (its *match*) and takes the tokens that followed those earlier occurrences as its
guess ``q`` (a distribution, when several occurrences followed on differently). The model's
distribution ``p`` is mixed with it,

    p_recall(w) = (1 - weight[length]) * p(w) + weight[length] * q(w),

with one weight for each band of match lengths (:data:`BANDS`): a match of two notes says
little, one of two bars almost always goes on as before. A length counts the notes and rests
struck, not the fillers that carry them on (holds, frame tokens): a held note or chord matches
itself one step (one frame) back, and counted in steps that match would grow with the note and
make the recall ever surer that the note goes on. The weights are fitted on held-out pieces by
expectation-maximisation (:func:`fit_weights`), where a band's weight converges to the share of
its steps that the guess rather than the model explains. A step with no match keeps the model's
distribution unchanged. Only the piece's own past is read, so the mixture is a proper next-token
distribution and scores as any model does (Grave et al. 2017 mix a language model with a cache
of its own recent past in the same way; compressors of the PPM and LZ family predict by the
longest earlier match).

In a stream of frames (several voices) a repeat is often the tune alone: a chorale's first
phrases come back with other voices under them, and the stream's match ends at the first
changed inner note. A second :class:`Recall` reads the top line on its own (:class:`FrameLine`:
each frame token and the top voice's token after it) and mixes its guess into the top voice's
and the frame tokens' distributions, after the stream's mixture, with weights of its own. A
third reads the top line (a melody: the stream) with each pitch as its move from the one before
(:class:`Moved`), so that a passage heard before at another pitch matches as well.

:class:`Recall` has the models' interface (:mod:`musiclstm.model.base`): its logits are the
mixture's log-probabilities, and its state carries the inner model's state, the tokens read so
far, their match lengths and the place in the stream, so stepping one token at a time gives
what one whole pass gives.
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
from musiclstm.model.recall_bands import BANDS, LENGTHS
from musiclstm.music.frames import FRAME_TOKENS
from musiclstm.music.tokens import HOLD, is_pitch

MAX_WEIGHT = 0.999  # a guess is never certain: the model keeps some probability everywhere
EM_ROUNDS = 100


def band_of(lengths: torch.Tensor) -> torch.Tensor:
    """The band of each match length: 0 below the first edge, k for the k-th band."""
    return torch.bucketize(lengths, torch.tensor(BANDS), right=True)


@dataclass(frozen=True)
class RecallWeights:
    """The guess's weight in each band of match lengths (index 0: no usable match, always 0),
    for each reader of the piece (:func:`readers`): the whole stream's, the top line's in a
    texture of frames, and the moved one's (empty: none)."""

    weights: tuple[float, ...]
    line: tuple[float, ...] = ()
    moved: tuple[float, ...] = ()

    def describe(self) -> dict:
        described = {"bands": list(BANDS), "lengths": LENGTHS}
        for name, key in FILE_KEYS.items():
            if getattr(self, name):
                described[key] = [round(w, 4) for w in getattr(self, name)]
        return described

    @classmethod
    def read(cls, path) -> RecallWeights:
        """Weights written by :meth:`write`; bands other than today's, or lengths counted
        otherwise, are refused, not guessed."""
        description = json.loads(Path(path).read_text())
        bands, lengths = description.get("bands"), description.get("lengths", "every token")
        if bands != list(BANDS) or lengths != LENGTHS:
            raise ValueError(
                f"{path}: recall weights for match bands {bands} of {lengths}, but recall uses "
                f"{list(BANDS)} of {LENGTHS}; fit them again (snakemake --forcerun fit_recall)"
            )
        return cls(
            **{
                name: tuple(float(w) for w in description.get(key, ()))
                for name, key in FILE_KEYS.items()
            }
        )

    def write(self, path) -> None:
        Path(path).write_text(json.dumps(self.describe(), indent=2) + "\n")


# Each reader's weights in recall.json, in the order the mixtures are applied.
FILE_KEYS = {"weights": "weights", "line": "line_weights", "moved": "moved_weights"}


CHUNK_STEPS = 64  # steps matched at once: their match lengths are (rows, steps, keys read)


def match_lengths(history: torch.Tensor, lengths: torch.Tensor, keys: torch.Tensor, counts):
    """The match lengths after each of ``keys`` (rows, R) joins ``history`` (rows, n) in turn,
    given ``lengths`` (rows, n - 1), those of history's last key against each earlier place:
    (rows, R + 1, n + R - 1), row s the lengths after s new keys against every earlier place
    (0 from its own place on), and the history with the keys joined.

    A key's match against place i is the previous key's against place i - 1, longer by the
    key's count (``counts``: 1 for a key struck, 0 for a filler), where the keys at the two
    places are equal, and nothing where they differ. Every comparison is made at once; only
    the lengthening goes key by key, each over every place at once."""
    rows, n = history.shape
    joined = torch.cat([history, keys], dim=1)
    width = max(joined.shape[1] - 1, 0)
    found = torch.zeros(rows, keys.shape[1] + 1, width, dtype=torch.long)
    found[:, 0, : lengths.shape[1]] = lengths
    places = torch.arange(width)
    at = n + torch.arange(keys.shape[1])  # each new key's place in the joined history
    same = (joined[:, None, :width] == keys[..., None]) & (places < at[:, None])
    grow = counts[keys]
    for new in range(keys.shape[1]):
        lengthened = found[:, new + 1]
        torch.add(found[:, new, :-1], grow[:, new, None], out=lengthened[:, 1:])
        lengthened[:, :1] = grow[:, new, None]
        lengthened.mul_(same[:, new])
    return found, joined


def guess(history: torch.Tensor, lengths: torch.Tensor, keys: int):
    """For the step after ``history`` (rows, n) of keys (token ids, or what a reader reads them
    as) below ``keys``, with match ``lengths`` (rows, s, n - 1) against each earlier position
    after each of s prefixes of it (0 past a prefix's end): for each, the longest match
    (rows, s) and the distribution of the keys that followed its occurrences (rows, s, keys),
    zero where there is none."""
    rows, states = lengths.shape[:2]
    q = torch.zeros(rows, states, keys)
    if lengths.shape[2] == 0:
        return torch.zeros(rows, states, dtype=torch.long), q
    longest = lengths.max(dim=2).values
    at_longest = (lengths == longest[..., None]) & (longest[..., None] > 0)
    followed = history[:, None, 1 : lengths.shape[2] + 1].expand(-1, states, -1)
    q.scatter_add_(2, followed, at_longest.float())
    q = q / q.sum(dim=2, keepdim=True).clamp(min=1)
    return longest, q


class WholeStream:
    """Every token of the stream is read and guessed (a melody's recall, and a piece's of
    several voices before its top line's). The ``fillers`` (token ids: holds, frame tokens)
    carry on what sounds and add nothing to a match's length (:func:`extend_matches`)."""

    def __init__(self, vocab_size: int, fillers: list[int] = ()):
        self.keys = vocab_size  # a token is read as itself
        self.counts = torch.ones(vocab_size, dtype=torch.long)
        self.counts[list(fillers)] = 0

    def start(self, rows: int) -> torch.Tensor:
        return torch.zeros(rows, 1, dtype=torch.long)

    def read(self, tokens: torch.Tensor, place: torch.Tensor):
        """For each of ``tokens`` (rows, steps) in turn: whether it is read, whether the token
        after it is guessed, the key it is read as, and the place in the stream (rows, steps, k)
        after it, from ``place`` (rows, k), the place before them (unused here)."""
        everywhere = torch.ones_like(tokens, dtype=torch.bool)
        return everywhere, everywhere, tokens, place[:, None].expand(-1, tokens.shape[1], -1)

    def translate(self, q: torch.Tensor, place: torch.Tensor):
        """The guess over keys as one over tokens, and where it holds anything."""
        return q, torch.ones(len(q), dtype=torch.bool)


class FrameLine(WholeStream):
    """The top line of a stream of frames of ``width`` tokens (a frame token, then the voices
    from the top): each frame token and the voice right after it. The line carries the tune
    and the phrase ends (fermatas) without the inner voices."""

    def __init__(self, vocab_size: int, frame_ids: list[int], width: int, fillers: list[int] = ()):
        super().__init__(vocab_size, fillers)
        self.frame_ids = torch.tensor(frame_ids)
        self.width = width

    def start(self, rows: int) -> torch.Tensor:
        """Steps since each row's last frame token, before the first token: the boundary that
        starts a piece is followed by a frame token, as a frame's lowest voice is."""
        return torch.full((rows, 1), self.width - 2)

    def read(self, tokens: torch.Tensor, place: torch.Tensor):
        """The place is the steps since the last frame token (a frame's top voice is read at 0)."""
        is_frame = torch.isin(tokens, self.frame_ids)
        step = torch.arange(tokens.shape[1])
        last_frame = torch.where(is_frame, step, -1).cummax(dim=1).values
        since = torch.where(last_frame >= 0, step - last_frame, place[:, :1] + 1 + step)
        since_before = torch.cat([place[:, :1], since[:, :-1]], dim=1)
        in_line = is_frame | (since_before == 0)
        return in_line, is_frame | (since == self.width - 1), tokens, since[..., None]


MOVES = 127  # the widest move from one pitch to the next, either way, in semitones


class Moved:
    """Another reader's tokens with each pitch read as the move from the pitch before, so that
    a passage heard before at another pitch matches (a sequence, a phrase answered a step
    higher); the guess is moved back onto the last pitch read. ``pitches`` gives each token
    id's MIDI pitch (None: not a pitch)."""

    def __init__(self, reader, pitches: list[int | None]):
        self.reader = reader
        self.vocab_size = len(pitches)
        self.pitch = torch.tensor([-1 if p is None else p for p in pitches])
        self.id_of_pitch = torch.full((128,), -1)
        for token_id, pitch in enumerate(pitches):
            if pitch is not None and 0 <= pitch < 128:
                self.id_of_pitch[pitch] = token_id
        self.first = self.vocab_size + 2 * MOVES + 1  # the key of a first pitch: no move yet
        self.keys = self.first + 1
        self.moves = torch.arange(-MOVES, MOVES + 1)
        # A key that is not a pitch counts as the reader counts it; every move counts.
        self.counts = torch.ones(self.keys, dtype=torch.long)
        self.counts[: self.vocab_size] = reader.counts

    def start(self, rows: int) -> torch.Tensor:
        """The reader's place, then the last pitch read (-1: none yet)."""
        return torch.cat([self.reader.start(rows), torch.full((rows, 1), -1)], dim=1)

    def read(self, tokens: torch.Tensor, place: torch.Tensor):
        read, guessed, tokens, inner = self.reader.read(tokens, place[:, :-1])
        pitch, step = self.pitch[tokens], torch.arange(tokens.shape[1])
        # The last pitch read at or before each step (the one before the steps: -1 where none).
        last_read = torch.where(read & (pitch >= 0), step, -1).cummax(dim=1).values
        last = torch.where(last_read >= 0, pitch.gather(1, last_read.clamp(min=0)), place[:, -1:])
        before = torch.cat([place[:, -1:], last[:, :-1]], dim=1)
        move = self.vocab_size + MOVES + (pitch - before)
        key = torch.where(pitch < 0, tokens, torch.where(before < 0, self.first, move))
        return read, guessed, key, torch.cat([inner, last[..., None]], dim=-1)

    def translate(self, q: torch.Tensor, place: torch.Tensor):
        last = place[:, -1:]
        target = last + self.moves
        ids = torch.where(
            (last >= 0) & (target >= 0) & (target < 128), self.id_of_pitch[target.clamp(0, 127)], -1
        )
        moved = q[:, self.vocab_size : self.vocab_size + len(self.moves)] * (ids >= 0)
        tokens = q[:, : self.vocab_size].scatter_add(1, ids.clamp(min=0), moved)
        total = tokens.sum(dim=1, keepdim=True)
        return tokens / total.clamp(min=1e-12), total[:, 0] > 0


def recall_guesses(tokens: torch.Tensor, vocab_size: int, memory=None, reader=None):
    """The longest match and the guess (as :func:`guess`) after each of ``tokens`` (rows,
    steps) in turn, of the tokens the ``reader`` reads (:class:`WholeStream` by default; the
    longest match 0 where it guesses nothing); and the ``memory`` after them: the keys read
    so far (rows, n), the last one's match lengths and the reader's place in the stream (None:
    a piece's start). Rows of one batch are in step (every piece starts a frame at the same
    step), so a token read in any row extends every row's."""
    reader = reader or WholeStream(vocab_size)
    memory = memory or start_memory(reader, tokens.shape[0])
    longest, guesses = [], []
    for first in range(0, tokens.shape[1], CHUNK_STEPS):
        found, q, memory = chunk_guesses(tokens[:, first : first + CHUNK_STEPS], memory, reader)
        longest.append(found)
        guesses.append(q)
    if not longest:
        return torch.zeros(tokens.shape, dtype=torch.long), torch.zeros(*tokens.shape, 0), memory
    return torch.cat(longest, 1), torch.cat(guesses, 1), memory


def chunk_guesses(tokens: torch.Tensor, memory, reader):
    """:func:`recall_guesses` of a few steps, matched at once."""
    history, lengths, place = memory
    read, guessed, keys, places = reader.read(tokens, place)
    is_read = read.any(dim=0)
    lengths, history = match_lengths(history, lengths, keys[:, is_read], reader.counts)
    found, q = guess(history, lengths, reader.keys)
    # Each step's guess is the one after the keys read up to it.
    after = is_read.long().cumsum(0)
    rows, steps = tokens.shape
    q, holds = reader.translate(
        q[:, after].reshape(rows * steps, -1), places.reshape(rows * steps, -1)
    )
    found = torch.where(guessed & holds.view(rows, steps), found[:, after], 0)
    last_lengths = lengths[:, -1, : max(history.shape[1] - 1, 0)]
    return found, q.view(rows, steps, -1), (history, last_lengths, places[:, -1])


def start_memory(reader, rows: int):
    """A piece's start: nothing read yet, and the ``reader``'s first place."""
    empty = torch.zeros(rows, 0, dtype=torch.long)
    return empty, empty, reader.start(rows)


def mixed_log_probs(logits: torch.Tensor, q: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """log((1 - weight) p + weight q) with p = softmax(logits), per step."""
    weight = weight.unsqueeze(-1)
    p = torch.softmax(logits.float(), dim=-1)
    return torch.log((1 - weight) * p + weight * q)


class Recall(LanguageModel):
    """A model whose distribution is mixed with the piece's recall (the module docstring), one
    weight per band of match lengths, of the tokens the ``reader`` reads (every one by default;
    the workflow wraps one Recall in another for each of :func:`readers`)."""

    def __init__(self, model: LanguageModel, weights: tuple, vocab_size: int, reader=None):
        super().__init__()
        self.model = model
        self.weight_table = torch.tensor(weights, dtype=torch.float32)  # read every step
        self.vocab_size = vocab_size
        self.reader = reader or WholeStream(vocab_size)

    def start(self, given: torch.Tensor, state: State | None = None) -> State | None:
        inner, memory = self.parts(state)
        memory = memory or start_memory(self.reader, given.shape[0])
        return self.joined(self.model.start(given, inner), memory)

    def parts(self, state: State | None):
        """The inner model's state and the recall's memory (None at the start)."""
        if state is None:
            return None, None
        return state[:-3] or None, tuple(part[0] for part in state[-3:])

    def joined(self, inner: State | None, memory) -> State:
        # Laid out (1, rows, ...) like every state tensor, so that picking rows keeps them.
        return (*(inner or ()), *(part[None] for part in memory))

    def mixed(self, logits: torch.Tensor, tokens: torch.Tensor, memory):
        longest, q, memory = recall_guesses(tokens.cpu(), self.vocab_size, memory, self.reader)
        log_probs = mixed_log_probs(logits.cpu(), q, self.weight_table[band_of(longest)])
        return log_probs.to(logits.device), memory

    def forward(self, tokens: torch.Tensor, inputs: torch.Tensor, state: State | None = None):
        inner, memory = self.parts(state)
        logits, inner = self.model(tokens, inputs, inner)
        log_probs, memory = self.mixed(logits, tokens, memory)
        return log_probs, self.joined(inner, memory)

    def stepper(self, fast: bool = True):
        """The inner model's step function (its fast kernel where it has one), mixed."""
        inner_step = self.model.stepper(fast)

        def step(tokens: torch.Tensor, inputs: torch.Tensor, state: State):
            inner, memory = self.parts(state)
            logits, inner = inner_step(tokens, inputs, inner)
            log_probs, memory = self.mixed(logits[:, None], tokens.view(-1, 1), memory)
            return log_probs[:, 0], self.joined(inner, memory)

        return step


def readers(trained) -> dict:
    """The readers of ``trained``'s pieces, by their field of :class:`RecallWeights`, in the
    order their mixtures are applied: the whole stream; in a texture of frames its top line;
    and the top line (a melody: the stream) with its pitches read as moves."""
    vocabulary = trained.vocabulary
    size, width = len(vocabulary), trained.representation.frame_width
    frame_ids = [vocabulary.index[t] for t in FRAME_TOKENS if t in vocabulary.index]
    fillers = [vocabulary.index[t] for t in (HOLD, *FRAME_TOKENS) if t in vocabulary.index]
    line = FrameLine(size, frame_ids, width, fillers) if frame_ids and width > 1 else None
    pitches = [int(token) if is_pitch(token) else None for token in vocabulary.tokens]
    stream = WholeStream(size, fillers)  # readers keep no state of their own: one serves twice
    return {"weights": stream, "line": line, "moved": Moved(line or stream, pitches)}


def recall_statistics(
    model: LanguageModel, data: SplitData, boundary: int, vocab_size: int, reader=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Over every real target of ``data``: the model's probability of it, the guess's, and the
    match length it was guessed from (0: not guessed; what :func:`fit_weights` needs), of the
    tokens the ``reader`` reads."""
    model_p, guess_p, longest_all = [], [], []
    for tokens, targets, log_probs in split_log_probs(model, data, boundary):
        longest, q, _ = recall_guesses(tokens, vocab_size, reader=reader)
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
    held-out pieces ``valid``: each reader's (:func:`readers`) in turn, given those before."""
    boundary, size = trained.vocabulary.boundary, len(trained.vocabulary)
    model, fitted = trained.model, {}
    for name, reader in readers(trained).items():
        if reader is None:
            continue
        statistics = recall_statistics(model, valid, boundary, size, reader)
        fitted[name] = fit_weights(*statistics).weights
        model = Recall(model, fitted[name], size, reader)
    return RecallWeights(**fitted)


def with_recall(trained, weights: RecallWeights):
    """``trained`` with its model mixed with each piece's recall, reader by reader."""
    model = trained.model
    for name, reader in readers(trained).items():
        if reader is not None and getattr(weights, name):
            model = Recall(model, getattr(weights, name), len(trained.vocabulary), reader)
    return dataclasses.replace(trained, model=model)
