"""Writing new melodies with a trained model.

The seed melody is fed through the model once; then every song of a batch advances one step at a
time with its LSTM state carried forward (no window is re-run). Four strategies pick the next token:

- ``temperature``: sample from softmax(logits / temperature);
- ``top_k``: the same, from the ``top_k`` most likely tokens only;
- ``top_p`` (nucleus): from the fewest most likely tokens whose probability reaches ``top_p``;
- ``beam``: beam search for the most likely continuation, ``beam_width`` hypotheses wide.

Structure: with ``bars`` the song lasts exactly that many bars of the written time signature (the
song boundary cannot be sampled before); with ``end_on_tonic`` its last bar is the tonic, held for
the whole bar. With ``key`` the written song is moved from C major / A minor to that key.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch

from melodylstm.data.vocabulary import Vocabulary
from melodylstm.model.lstm import MelodyLSTM, run_model
from melodylstm.model.step_kernel import StepKernel, kernel_supports
from melodylstm.music.tokens import HOLD, is_pitch, parse_token_string, tokens_to_events
from melodylstm.representation.features import (
    DEFAULT_BAR,
    bar_length,
    meter_columns,
    step_features,
    steps_per_bar,
)

log = logging.getLogger(__name__)

STRATEGIES = ("temperature", "top_k", "top_p", "beam")
TONIC_NAMES = {
    "C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "F": 5, "E#": 5,
    "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11,
}  # fmt: skip


@dataclass(frozen=True)
class Sampling:
    """How the next token is chosen."""

    strategy: str = "temperature"
    temperature: float = 1.0
    top_k: int = 8
    top_p: float = 0.9
    beam_width: int = 4

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}"
            )
        if self.temperature <= 0:
            raise ValueError(f"temperature must be above 0, not {self.temperature}")
        if self.top_k < 1 or not 0 < self.top_p <= 1 or self.beam_width < 1:
            raise ValueError("top_k and beam_width must be at least 1 and top_p in (0, 1]")

    @classmethod
    def from_song(cls, song: dict) -> Sampling:
        return cls(
            song["strategy"], song["temperature"], song["top_k"], song["top_p"], song["beam_width"]
        )


def check_seed(seed: str, vocabulary: Vocabulary, song: str = "song") -> list[str]:
    """The seed melody's tokens; a token the model does not know is named with what is allowed."""
    tokens = parse_token_string(seed, what=f"seed of {song!r}")
    allowed = vocabulary.music_tokens()
    for position, token in enumerate(tokens):
        if token not in allowed:
            raise ValueError(
                f"seed of {song!r}: token {token!r} at position {position} is not in the model's "
                f"vocabulary; allowed tokens are: {' '.join(allowed)}"
            )
    return tokens


def bar_steps(time_signature: str, time_step: float) -> int:
    """Steps in one bar of ``time_signature`` (e.g. 12 for 3/4 in sixteenths); raises if none."""
    steps = steps_per_bar(time_signature, time_step)
    if steps is None:
        raise ValueError(f"a bar of {time_signature} is not a whole number of {time_step} steps")
    return steps


def filter_logits(logits: torch.Tensor, sampling: Sampling) -> torch.Tensor:
    """Logits divided by the temperature, with the tokens top-p excludes set to -inf (top-k is
    drawn from its k best directly, see :func:`draw`)."""
    scaled = logits / sampling.temperature
    if sampling.strategy == "top_p":
        probabilities, order = torch.softmax(scaled, dim=-1).sort(dim=-1, descending=True)
        mass_before = probabilities.cumsum(dim=-1) - probabilities
        # Keep a token while the tokens above it hold less than top_p; the most likely always stays.
        drop_sorted = mass_before >= sampling.top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        scaled = scaled.masked_fill(drop, -math.inf)
    return scaled


def one_step_kernels():
    """PyTorch's plain CPU LSTM kernels: oneDNN's cost about ten times more for a single step."""
    return torch.backends.mkldnn.flags(enabled=False, deterministic=None, allow_tf32=None)


class Stepper:
    """Advances a batch of songs through the model one token at a time.

    ``meter`` is ``(bar steps, pickup steps)`` of the songs, for a model that reads bar positions
    and lookbacks (the seed starts ``pickup`` steps into a bar); (0, 0) means unknown.
    ``logits`` are the next token's logits of each row, -inf for the unknown-token symbol, which
    is never written; ``log_probs`` the same normalised.
    """

    @torch.inference_mode()
    def __init__(
        self,
        model: MelodyLSTM,
        vocabulary: Vocabulary,
        seed_tokens: list[str],
        rows: int,
        meter: tuple[int, int] = (0, 0),
        fast_step: bool = True,
    ):
        self.model = model.eval()
        self.vocabulary = vocabulary
        self.device = next(model.parameters()).device
        self.meter = meter
        self.uses_features = getattr(model, "uses_features", False)
        self.lookback_bars = getattr(model, "lookback_bars", ())
        banned = (vocabulary.unknown,)
        fast = fast_step and kernel_supports(model)
        self.kernel = StepKernel(model, banned) if fast else None
        seed = vocabulary.encode(seed_tokens)
        # The tokens so far, one (rows,) tensor per step: the lookbacks read them column-wise.
        self.columns = [torch.full((rows,), token, dtype=torch.long) for token in seed]
        self.rows = rows
        primer = torch.tensor([[vocabulary.boundary, *seed]] * rows, device=self.device)
        features = None
        if self.uses_features:
            per_step = step_features(
                np.array(seed), *meter, vocabulary.boundary, lookback_bars=self.lookback_bars
            )
            features = torch.as_tensor(per_step).expand(rows, -1, -1).to(self.device)
        with one_step_kernels():
            logits, self.state = run_model(model, primer, None, features)
        self.logits = self._masked(logits[:, -1])

    def _masked(self, logits: torch.Tensor) -> torch.Tensor:
        logits = logits.float().cpu()
        logits[:, self.vocabulary.unknown] = -math.inf
        return logits

    @property
    def log_probs(self) -> torch.Tensor:
        return torch.log_softmax(self.logits, dim=-1)

    def lookbacks(self) -> list[torch.Tensor]:
        """The tokens the lookbacks of the next step read, one (rows,) tensor each."""
        step = len(self.columns)
        span = self.meter[0] or DEFAULT_BAR
        boundary = torch.full((self.rows,), self.vocabulary.boundary, dtype=torch.long)
        return [
            self.columns[step - bars * span] if step >= bars * span else boundary
            for bars in self.lookback_bars
        ]

    def next_meter(self) -> tuple[int, int, int]:
        """``meter``, ``position`` and ``bar_number`` of the step after the tokens so far."""
        return tuple(int(v) for v in meter_columns(np.int64(len(self.columns)), *self.meter))

    def next_features(self) -> torch.Tensor:
        """(rows, 1, columns) features of the step after the tokens so far, as
        :func:`~melodylstm.features.step_features` computes them for a whole song."""
        columns = [torch.full((self.rows,), value, dtype=torch.long) for value in self.next_meter()]
        return torch.stack(columns + self.lookbacks(), dim=1).unsqueeze(1)

    @torch.inference_mode()
    def advance(self, tokens: torch.Tensor, keep: torch.Tensor | None = None) -> None:
        """Feed one token per row; ``keep`` reorders the rows first (beam search)."""
        if keep is not None:
            self.state = tuple(part[:, keep.to(self.device)] for part in self.state)
            if self.uses_features:
                self.columns = [column[keep] for column in self.columns]
            self.rows = len(keep)
        tokens = tokens.view(-1)
        if self.uses_features:
            self.columns.append(tokens.cpu())
        if self.kernel is not None:
            lookbacks = [column.to(self.device) for column in self.lookbacks()]
            logits, self.state = self.kernel(
                tokens.to(self.device), lookbacks, self.next_meter(), self.state
            )
            self.logits = logits.float().cpu()
            return
        features = self.next_features().to(self.device) if self.uses_features else None
        inputs = tokens.view(-1, 1).to(self.device)
        with one_step_kernels():
            logits, self.state = run_model(self.model, inputs, self.state, features)
        self.logits = self._masked(logits[:, -1])


class StepBans:
    """What a sampled song may not write at a step, as additive masks (-inf where banned): the
    song boundary before ``min_steps`` new tokens, and a hold as the first token of a song
    without a seed (it would hold nothing)."""

    def __init__(self, vocabulary: Vocabulary, min_steps: int, seeded: bool):
        self.min_steps = min_steps
        self.no_end = torch.zeros(len(vocabulary))
        self.no_end[vocabulary.boundary] = -math.inf
        self.opening = None if seeded else torch.zeros(len(vocabulary))
        if self.opening is not None and HOLD in vocabulary.index:
            self.opening[vocabulary.index[HOLD]] = -math.inf

    def apply(self, scores: torch.Tensor, step: int) -> torch.Tensor:
        """``scores`` (logits or log-probabilities, one row per song) of ``step`` with the bans."""
        if step < self.min_steps:
            scores = scores + self.no_end
        if step == 0 and self.opening is not None:
            scores = scores + self.opening
        return scores


def draw(logits: torch.Tensor, sampling: Sampling, generator: torch.Generator) -> torch.Tensor:
    """One token per row of ``logits``, chosen as ``sampling`` says (not beam search)."""
    if sampling.strategy == "top_k":
        # Sampling among the k best directly: the same distribution as masking the rest to -inf.
        values, indices = logits.topk(min(sampling.top_k, logits.shape[-1]), dim=-1)
        probabilities = torch.softmax(values / sampling.temperature, dim=-1)
        picks = torch.multinomial(probabilities, 1, generator=generator)
        return indices.gather(1, picks).view(-1)
    probabilities = torch.softmax(filter_logits(logits, sampling), dim=-1)
    return torch.multinomial(probabilities, 1, generator=generator).view(-1)


@torch.inference_mode()
def sample_melodies(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    seed_tokens: list[str],
    n_samples: int,
    steps: int,
    sampling: Sampling,
    random_seed: int,
    min_steps: int = 0,
    meter: tuple[int, int] = (0, 0),
    fast_step: bool = True,
) -> list[list[str]]:
    """``n_samples`` songs as one batch: the seed and up to ``steps`` new tokens each.

    ``fast_step=False`` steps through the model's own modules instead of the
    :class:`~melodylstm.step_kernel.StepKernel` (the same numbers to float rounding, slower).

    A song ends at the song boundary, which cannot be chosen before ``min_steps`` new tokens.
    """
    if sampling.strategy == "beam":
        return beam_search(
            model, vocabulary, seed_tokens, steps, sampling, n_samples, min_steps, meter
        )
    generator = torch.Generator().manual_seed(random_seed)
    stepper = Stepper(model, vocabulary, seed_tokens, n_samples, meter, fast_step)
    chosen: list[torch.Tensor] = []
    finished = torch.zeros(n_samples, dtype=torch.bool)
    bans = StepBans(vocabulary, min_steps, bool(seed_tokens))
    for step in range(steps):
        choices = draw(bans.apply(stepper.logits, step), sampling, generator)
        chosen.append(choices)
        finished |= choices == vocabulary.boundary
        if finished.all():
            break
        stepper.advance(choices)
    songs = []
    # Each song ends before its first boundary token; rows went on stepping after it, unused.
    for row in (torch.stack(chosen, dim=1) if chosen else torch.zeros(n_samples, 0)).tolist():
        end = row.index(vocabulary.boundary) if vocabulary.boundary in row else len(row)
        songs.append(seed_tokens + vocabulary.decode(row[:end]))
    return songs


@torch.inference_mode()
def beam_search(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    seed_tokens: list[str],
    steps: int,
    sampling: Sampling,
    n_best: int = 1,
    min_steps: int = 0,
    meter: tuple[int, int] = (0, 0),
) -> list[list[str]]:
    """The ``n_best`` most likely continuations found by a beam ``beam_width`` wide.

    A hypothesis that chooses the song boundary is complete; the others are complete after
    ``steps`` tokens. Complete hypotheses compete on their total log-probability (the boundary's
    included). Greedy decoding is run too and counted among the candidates, so the best answer is
    never less likely than greedy's.
    """
    width = max(sampling.beam_width, n_best)
    candidates = beam_candidates(model, vocabulary, seed_tokens, steps, width, min_steps, meter)
    if width > 1:
        candidates += beam_candidates(model, vocabulary, seed_tokens, steps, 1, min_steps, meter)
    best: list[tuple[float, list[int]]] = []
    for score, tokens in sorted(candidates, key=lambda c: -c[0]):
        if tokens not in [t for _, t in best]:
            best.append((score, tokens))
    return [seed_tokens + vocabulary.decode(tokens) for _, tokens in best[:n_best]]


def beam_candidates(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    seed_tokens: list[str],
    steps: int,
    width: int,
    min_steps: int,
    meter: tuple[int, int] = (0, 0),
) -> list[tuple[float, list[int]]]:
    """Complete hypotheses ``(log-probability, new token ids)`` of one beam search."""
    stepper = Stepper(model, vocabulary, seed_tokens, 1, meter)
    bans = StepBans(vocabulary, min_steps, bool(seed_tokens))
    beams: list[tuple[float, list[int]]] = [(0.0, [])]
    complete: list[tuple[float, list[int]]] = []
    for step in range(steps):
        log_probs = bans.apply(stepper.log_probs, step)
        totals = torch.tensor([score for score, _ in beams]).unsqueeze(1) + log_probs
        flat = totals.view(-1)
        top = flat.topk(min(width, int(torch.isfinite(flat).sum())))
        survivors, keep, chosen = [], [], []
        for score, index in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            row, token = divmod(index, log_probs.shape[1])
            if token == vocabulary.boundary:
                complete.append((score, beams[row][1]))
            else:
                survivors.append((score, beams[row][1] + [token]))
                keep.append(row)
                chosen.append(token)
        if not survivors:
            return complete
        beams = survivors
        stepper.advance(torch.tensor(chosen), keep=torch.tensor(keep))
    return complete + beams


@torch.inference_mode()
def sequence_log_prob(
    model: MelodyLSTM,
    vocabulary: Vocabulary,
    tokens: list[str],
    start: int,
    meter: tuple[int, int] = (0, 0),
) -> float:
    """Log-probability (natural log) of ``tokens[start:]`` given what comes before."""
    encoded = vocabulary.encode(tokens)
    ids = torch.tensor([[vocabulary.boundary, *encoded]])
    device = next(model.parameters()).device
    features = None
    if getattr(model, "uses_features", False):
        per_step = step_features(
            np.array(encoded), *meter, vocabulary.boundary, lookback_bars=model.lookback_bars
        )
        features = torch.as_tensor(per_step).unsqueeze(0).to(device)
    logits, _ = run_model(model.eval(), ids.to(device), None, features)
    logits = logits.float().cpu()[0, :-1]
    logits[:, vocabulary.unknown] = -math.inf
    log_probs = torch.log_softmax(logits, dim=-1)
    targets = ids[0, 1:]
    return float(log_probs[torch.arange(len(targets)), targets][start:].sum())


def song_tonic(tokens: list[str]) -> int:
    """Pitch class of the song's tonic: C (0) or A (9), whichever key its notes fit better."""
    import music21

    stream = music21.stream.Stream()
    for pitch, steps in tokens_to_events(tokens):
        if pitch is not None:
            stream.append(music21.note.Note(pitch, quarterLength=steps / 4))
    if not stream.notes:
        return 0
    analysed = stream.analyze("key")
    for candidate in [analysed, *analysed.alternateInterpretations]:
        if (candidate.tonic.pitchClass, candidate.mode) in ((0, "major"), (9, "minor")):
            return candidate.tonic.pitchClass
    return 0


def end_on_tonic(
    tokens: list[str], vocabulary: Vocabulary, bar: int, bars: int | None, tonic: int | None = None
) -> list[str]:
    """Make the song end with a whole bar of its tonic, starting on a bar line.

    With ``bars`` the last of those bars becomes the tonic bar; otherwise the song is completed to
    the next bar line by holding its last note (or rest) and the tonic bar is added.
    """
    tonic = song_tonic(tokens) if tonic is None else tonic
    pitches = [int(t) for t in tokens if is_pitch(t)]
    last = pitches[-1] if pitches else 60
    choices = [int(t) for t in vocabulary.music_tokens() if is_pitch(t) and int(t) % 12 == tonic]
    if not choices:
        return tokens
    final = min(choices, key=lambda p: abs(p - last))
    body = tokens[: (bars - 1) * bar] if bars else tokens + [HOLD] * (-len(tokens) % bar)
    return body + [str(final)] + [HOLD] * (bar - 1)


def transpose_tokens(tokens: list[str], semitones: int) -> list[str]:
    """Move every pitch by ``semitones``; refuses to leave the MIDI range."""
    moved = []
    for token in tokens:
        if is_pitch(token):
            pitch = int(token) + semitones
            if not 0 <= pitch <= 127:
                raise ValueError(f"transposing {token} by {semitones} leaves the MIDI range")
            moved.append(str(pitch))
        else:
            moved.append(token)
    return moved


def key_shift(key: str, tonic: int) -> int:
    """Semitones (-6 to +5) from the song's tonic pitch class to the tonic of ``key``, e.g. 'F#'."""
    name = key.split()[0]
    name = name[0].upper() + name[1:]
    if name not in TONIC_NAMES:
        raise ValueError(f"key {key!r}: the tonic must be one of {', '.join(TONIC_NAMES)}")
    shift = (TONIC_NAMES[name] - tonic) % 12
    return shift - 12 if shift > 5 else shift


def generate_song(
    checkpoint_path, song: dict, midi_paths: list, tokens_paths: list, name: str = "song"
) -> list[list[str]]:
    """Write the songs that ``song`` (an entry of ``generate:``) asks for, as MIDI and tokens."""
    from pathlib import Path

    from melodylstm.model.lstm import load_checkpoint
    from melodylstm.music.midi import write_midi

    model, checkpoint = load_checkpoint(checkpoint_path)
    vocabulary = Vocabulary(checkpoint["vocabulary"])
    seed = check_seed(song["seed"], vocabulary, name)
    time_step = checkpoint["config"]["encoding"]["time_step"]
    bar = bar_steps(song["time_signature"], time_step)
    steps = song["steps"]
    min_steps = 0
    if song["bars"]:
        steps = max(song["bars"] * bar - len(seed), 0)
        min_steps = steps
    songs = sample_melodies(
        model,
        vocabulary,
        seed,
        len(midi_paths),
        steps,
        Sampling.from_song(song),
        song["random_seed"],
        min_steps,
        meter=(bar_length(song["time_signature"], time_step), 0),
    )
    written = []
    for tokens, midi_path, tokens_path in zip(songs, midi_paths, tokens_paths, strict=True):
        tonic = song_tonic(tokens)  # decided once, so the last bar and the key agree
        if song["end_on_tonic"]:
            tokens = end_on_tonic(tokens, vocabulary, bar, song["bars"], tonic)
        if song["key"]:
            tokens = transpose_tokens(tokens, key_shift(song["key"], tonic))
        Path(tokens_path).write_text(" ".join(tokens) + "\n")
        write_midi(
            tokens,
            midi_path,
            step=time_step,
            tempo_bpm=song["tempo_bpm"],
            time_signature=song["time_signature"],
        )
        log.info("%s: %d steps: %s", Path(midi_path).name, len(tokens), " ".join(tokens))
        written.append(tokens)
    return written
