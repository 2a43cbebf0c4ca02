"""Refinement with both sides known: after an ensemble piece is written left to right, each voice's
note is drawn again given everything before and after it, for a set number of sweeps
(``generate.NAME.refine_sweeps``), as DeepBach and Coconet resample notes of a finished draft.

The model reads left to right, so a note's chances given both sides come from the whole piece:
``p(x_i | rest) ∝ p(x_i | before) · Π_j>i p(x_j | before, x_i, ...)``. Each candidate among the
``top_k`` the model gives the step (and the note already there) is scored that way over the
frames after it up to :data:`HORIZON_FRAMES` (a note's weight on what follows fades; the
horizon keeps a sweep's cost linear in the piece's length), and one is drawn with probability
``∝ exp(score / temperature)``: at temperature 1 this is Gibbs sampling of the model's own
distribution; below 1 it moves the piece towards what the model finds likelier as a whole.

With the voice rules on, candidates are first narrowed to those that leave the fewest faults in
the whole piece (parallel fifths and octaves, crossings of neighbouring voices and notes outside a
voice's range, counted as :mod:`musiclstm.evaluation.voice_leading` counts them, and the
semitones by which a voice's notes span more than its compass), so a fault the
left-to-right pass could not avoid, because a later voice was not yet written, is mended where
a note can mend it. Given tokens (a melody being harmonised, its fermatas), the frame tokens and
the seed are never redrawn.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from musiclstm.evaluation.chords import chorale_tonic
from musiclstm.generation.cadence_rules import cadence_faults, final_top_fault
from musiclstm.generation.strategies import Sampling, SongRequest
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.frames import FERMATA_FRAME
from musiclstm.music.tokens import HOLD, REST, is_pitch
from musiclstm.representation.base import Meter

HORIZON_FRAMES = 16  # frames after a note its candidates are scored over: a 4/4 bar of sixteenths
PERFECT = (0, 7)  # interval classes of the parallels counted: unisons/octaves and fifths


class Faults:
    """Voice-leading faults of whole pieces of one texture, counted fast enough to be counted for
    every candidate: pitches are a float grid (frames, voices), NaN where a voice is silent.
    ``fermata_id`` (the fermata frame token's id, where the cadence rules are on) counts the
    cadences that break them too (ending on ``tonic`` where it is known, else on the tonic the
    checks find), each counted twice, and once a last chord without the tonic on top, so that
    the tonic goes on top only where that costs no other fault; ``voice_leading=False`` counts
    the cadences alone. ``compass``: the widest span of
    each voice's notes, in semitones (None: any), each semitone past it a fault;
    ``crossings=True``: a frame where a voice sounds above the one next above is not one."""

    def __init__(
        self,
        tokens: list[str],
        ranges: list[tuple[int, int] | None],
        fermata_id: int | None = None,
        voice_leading: bool = True,
        tonic: int | None = None,
        compass: tuple[float | None, ...] = (),
        crossings: bool = False,
    ):
        self.fermata_id, self.voice_leading = fermata_id, voice_leading
        self.crossings = crossings
        self.compass = np.array([math.inf if c is None else c for c in compass] or math.inf)
        self.tonic = tonic  # the pieces' tonic where it is known (a given melody's)
        self.pitch = np.array([float(t) if is_pitch(t) else math.nan for t in tokens])
        self.is_hold = np.array([t == HOLD for t in tokens])
        self.is_rest = np.array([t == REST for t in tokens])
        self.low = np.array([r[0] if r else -math.inf for r in ranges])
        self.high = np.array([r[1] if r else math.inf for r in ranges])

    def grid(self, voices: np.ndarray) -> np.ndarray:
        """(..., frames, voices) token ids -> sounding pitches, holds resolved."""
        sounding = self.pitch[voices]
        held = self.is_hold[voices]
        for frame in range(1, voices.shape[-2]):
            sounding[..., frame, :] = np.where(
                held[..., frame, :], sounding[..., frame - 1, :], sounding[..., frame, :]
            )
        return sounding

    def counts(self, pieces: np.ndarray) -> list[int]:
        """All faults of each piece, (pieces, frames, frame width) token ids."""
        sounding = self.grid(pieces[..., 1:])
        return [self.count(piece, grid) for piece, grid in zip(pieces, sounding, strict=True)]

    def count(self, frames: np.ndarray, sounding: np.ndarray) -> int:
        """All faults of a piece: (frames, frame width) token ids, its sounding pitches."""
        voices = frames[:, 1:]
        faults = self.voice_leading_faults(voices, sounding) if self.voice_leading else 0
        if self.fermata_id is None:
            return faults
        lowest = [None if np.isnan(p) else int(p) for p in sounding[:, -1]]
        tonic = self.tonic
        if tonic is None:
            tonic = chorale_tonic(np.asarray(lowest, dtype=object)[:, None])
        faults += cadence_faults(frames[:, 0], sounding, self.fermata_id, tonic)
        # The tonic on top is a preference below every rule: it breaks the ties of the others.
        return 2 * faults + final_top_fault(sounding, tonic)

    def voice_leading_faults(self, voices: np.ndarray, sounding: np.ndarray) -> int:
        """Parallels between consecutive chord changes, frames with a crossing, notes out of
        range."""
        written = ~self.is_hold[voices]
        changes = sounding[written.any(axis=1)]
        faults = 0
        before, after = changes[:-1], changes[1:]
        n_voices = voices.shape[1]
        for upper in range(n_voices):
            for lower in range(upper + 1, n_voices):
                up = np.sign(after[:, upper] - before[:, upper])
                down = np.sign(after[:, lower] - before[:, lower])
                interval = np.abs(before[:, upper] - before[:, lower]) % 12
                then = np.abs(after[:, upper] - after[:, lower]) % 12
                perfect = np.isin(interval, PERFECT) & (interval == then)
                faults += int(((up != 0) & (up == down) & perfect).sum())
        if not self.crossings:
            crossing = sounding[:, 1:] > sounding[:, :-1]
            faults += int(crossing.any(axis=1).sum())
        notes = written & ~self.is_rest[voices] & ~np.isnan(sounding)
        faults += int((notes & ((sounding < self.low) | (sounding > self.high))).sum())
        return faults + self.compass_faults(sounding)

    def compass_faults(self, sounding: np.ndarray) -> int:
        """The semitones by which the voices' notes span more than their compass."""
        if not np.isfinite(self.compass).any():
            return 0
        heard = ~np.isnan(sounding)
        highest = np.where(heard, sounding, -math.inf).max(axis=0)
        lowest = np.where(heard, sounding, math.inf).min(axis=0)
        span = np.where(heard.any(axis=0), highest - lowest, 0)  # a silent voice spans nothing
        return int(np.maximum(span - self.compass, 0).sum())


class Refiner:
    """Sweeps over pieces of ``trained``'s texture (streams of token ids, seed included), with the
    candidates, temperature and voice rules of ``sampling``; ``tonic``: where the pieces' final
    cadence must stand, where it is known (a given melody's tonic); ``compass``: each voice's
    widest span, kept with the voice rules."""

    def __init__(
        self,
        trained: TrainedModel,
        sampling: Sampling,
        generator: torch.Generator,
        tonic: int | None = None,
        compass: tuple[float | None, ...] = (),
    ):
        self.trained, self.sampling, self.generator = trained, sampling, generator
        self.model = trained.model.eval()
        self.vocabulary = trained.vocabulary
        self.width = trained.representation.frame_width
        voices = trained.texture.voices
        self.faults = None
        tokens = self.vocabulary.tokens
        if sampling.voice_rules or sampling.cadence_rules:
            ranges = [(v.low, v.high) if v.low is not None else None for v in voices]
            cadences = sampling.cadence_rules and FERMATA_FRAME in tokens
            fermata_id = tokens.index(FERMATA_FRAME) if cadences else None
            self.faults = Faults(
                tokens,
                ranges,
                fermata_id,
                sampling.voice_rules,
                tonic,
                compass,
                sampling.allow_crossings,
            )
        self.music = torch.tensor([t == HOLD or t == REST or is_pitch(t) for t in tokens])
        self.hold = self.vocabulary.index[HOLD]

    def fault_counts(self, pieces: list[np.ndarray]) -> list[int]:
        """The faults of pieces of the same length (token ids)."""
        frames = len(pieces[0]) // self.width
        whole = np.stack([ids[: frames * self.width] for ids in pieces])
        return self.faults.counts(whole.reshape(len(pieces), frames, self.width))

    def inputs(self, ids: np.ndarray, meter: Meter) -> torch.Tensor:
        boundary = self.vocabulary.boundary
        return torch.as_tensor(self.trained.representation.song_inputs(ids, meter, boundary))

    @torch.inference_mode()
    def sweep(self, ids: np.ndarray, free: np.ndarray, meter: Meter) -> np.ndarray:
        """One pass left to right, each free step redrawn given both sides; the new ids.

        Column ``t`` of the shifted stream (the boundary, then the piece) predicts token ``t``;
        the state has read the columns before ``fed``. A step's choice changes column
        ``step + 1`` on, so the state that predicted it stays valid for the next step."""
        ids = ids.copy()
        # A harmoniser reads the given melody (its frame tokens and top voice, never redrawn).
        state, fed = self.model.start(torch.as_tensor(ids)[None]), 0
        for step in np.flatnonzero(free):
            shifted = torch.as_tensor(np.concatenate([[self.vocabulary.boundary], ids]))
            inputs = self.inputs(ids, meter)
            logits, state = self.model(
                shifted[None, fed : step + 1], inputs[None, fed : step + 1], state
            )
            fed = step + 1
            log_probs = self.log_probs(logits[0, -1])
            candidates = self.candidates(log_probs, int(ids[step]), step)
            if len(candidates) > 1:
                ids[step] = self.choose(ids, step, candidates, log_probs, state, meter)
        return ids

    def log_probs(self, logits: torch.Tensor) -> torch.Tensor:
        """Normalised over the tokens the sampler may write (never the unknown token)."""
        logits = logits.float().clone()
        logits[..., self.vocabulary.unknown] = -math.inf
        return torch.log_softmax(logits, dim=-1)

    def candidates(self, log_probs: torch.Tensor, current: int, step: int) -> list[int]:
        """The token at ``step`` and the ``top_k`` likeliest music tokens there."""
        log_probs = log_probs.masked_fill(~self.music, -math.inf)
        if step < self.width:
            log_probs[self.hold] = -math.inf  # nothing to hold in the first frame
        k = min(self.sampling.top_k, int(torch.isfinite(log_probs).sum()))
        best = log_probs.topk(k).indices.tolist()
        return [current] + [token for token in best if token != current]

    def choose(self, ids, step, candidates, log_probs, state, meter) -> int:
        """One candidate, drawn by its score over the horizon among those with fewest faults."""
        if self.faults is not None:
            pieces = []
            for token in candidates:
                ids[step] = token
                pieces.append(ids.copy())
            counts = self.fault_counts(pieces)
            candidates = [t for t, n in zip(candidates, counts, strict=True) if n == min(counts)]
            if len(candidates) == 1:
                return candidates[0]
        later = self.later_log_probs(ids, step, candidates, state, meter)
        scores = log_probs[candidates] + later
        weights = torch.softmax(scores / self.sampling.refine_temperature, dim=0)
        return candidates[int(torch.multinomial(weights, 1, generator=self.generator))]

    def later_log_probs(self, ids, step, candidates, state, meter) -> torch.Tensor:
        """Per candidate at ``step``, the log-probability of the tokens after it up to the
        horizon (the piece's end among them where the horizon reaches it)."""
        boundary = self.vocabulary.boundary
        end = min(step + 1 + HORIZON_FRAMES * self.width, len(ids) + 1)
        rows, row_inputs = [], []
        for token in candidates:
            ids[step] = token
            shifted = np.concatenate([[boundary], ids, [boundary]])
            rows.append(shifted[step + 1 : end + 1])
            row_inputs.append(self.inputs(ids, meter)[step + 1 : end])
        tokens = torch.as_tensor(np.stack(rows))
        copies = [0] * len(candidates)
        logits, _ = self.model(
            tokens[:, :-1], torch.stack(row_inputs), tuple(part[:, copies] for part in state)
        )
        return self.log_probs(logits).gather(-1, tokens[:, 1:, None]).squeeze(-1).sum(dim=1)


def free_steps(length: int, width: int, seed_length: int, given: np.ndarray | None) -> np.ndarray:
    """Which steps of a piece a sweep redraws: voice steps after the seed that nothing gives."""
    steps = np.arange(length)
    free = (steps % width != 0) & (steps >= seed_length)
    if given is not None:
        free &= given[:length] < 0
    return free


def refine_piece(
    refiner: Refiner, tokens: list[str], request: SongRequest, sweeps: int
) -> list[str]:
    """``tokens`` (a piece written for ``request``, seed included) after ``sweeps`` sweeps."""
    vocabulary = refiner.vocabulary
    ids = np.asarray(vocabulary.encode(tokens), dtype=np.int64)
    free = free_steps(len(ids), refiner.width, len(request.seed), request.given_ids(vocabulary))
    for _ in range(sweeps):
        ids = refiner.sweep(ids, free, request.meter)
    return vocabulary.decode(ids)
