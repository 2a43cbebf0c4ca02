"""Voice leading the sampler knows: while an ensemble's frame is written voice by voice, top voice
first, the previous frame and the voices above in this frame are known, so a candidate note that
would make parallel fifths or octaves with any of them, sound above the voice next above (unless
``generate.NAME.allow_crossings``), or leave the voice's range can be banned exactly
(``generate.NAME.voice_rules``, on by default). With a compass (``generate.NAME.compass``), a
voice may also not write a note that would stretch the span of its notes so far in the piece
past that many semitones: a left-to-right sampler otherwise lets a tune drift further and
further from where it started.

The checks are those of :mod:`musiclstm.evaluation.voice_leading`, made before the note is
written: two voices that both move, the same way, from a perfect fifth or octave (unisons and
compound intervals too) to the same interval. A hold never moves, so it never makes a parallel;
a rest is never banned, so every step keeps a choice.
"""

from __future__ import annotations

import math

import torch

from musiclstm.music.tokens import HOLD, REST, is_pitch

PERFECT = (0, 7)  # interval classes whose parallels are banned: octaves (unisons) and fifths


class VoiceRules:
    """Bans for the voice steps of one batch of pieces of ``n_voices`` voices, fed every token
    the batch writes (:meth:`observe`)."""

    def __init__(
        self, tokens: list[str], n_voices: int, ranges, rows: int, compass=(), crossings=False
    ):
        self.width = n_voices + 1  # the frame token, then a token per voice
        self.crossings = crossings  # whether a voice may sound above the voice next above
        self.ranges = ranges  # (low, high) per voice, or None where a voice has none
        # The widest span in semitones each voice's notes may take (inf: any); () none at all.
        self.compass = torch.tensor(
            [math.inf if c is None else float(c) for c in compass] or [math.inf] * n_voices
        )
        self.pitch = torch.tensor(
            [float(token) if is_pitch(token) else math.nan for token in tokens]
        )
        self.is_hold = torch.tensor([token == HOLD for token in tokens])
        self.is_rest = torch.tensor([token == REST for token in tokens])
        # Each row's sounding pitch per voice (nan: silent) in the frame before and this one.
        self.before = torch.full((rows, n_voices), math.nan)
        self.now = torch.full((rows, n_voices), math.nan)
        # The lowest and highest pitch each row's voice has sounded so far (nan: none yet).
        self.lowest = torch.full((rows, n_voices), math.nan)
        self.highest = torch.full((rows, n_voices), math.nan)
        self.position = 0  # the next token's place in the frame: 0 the frame token, v+1 voice v

    @classmethod
    def of(cls, trained, rows: int, compass=(), crossings=False) -> VoiceRules | None:
        """The rules of ``trained``'s texture, with each voice's ``compass`` (semitones, None:
        any; () none) and crossings allowed or not, or None where it has one voice (a
        melody)."""
        voices = trained.texture.voices
        if len(voices) < 2:
            return None
        ranges = [
            (v.low, v.high) if v.low is not None and v.high is not None else None for v in voices
        ]
        return cls(trained.vocabulary.tokens, len(voices), ranges, rows, compass, crossings)

    def observe(self, choices: torch.Tensor) -> None:
        """Take the batch's tokens of the step just written (one per row)."""
        if self.position == 0:
            self.before = self.now.clone()
        else:
            voice = self.position - 1
            pitch = self.pitch[choices]
            held = self.is_hold[choices]
            self.now[:, voice] = torch.where(held, self.before[:, voice], pitch)
            # fmin/fmax skip nan: a rest leaves the span as it was.
            self.lowest[:, voice] = torch.fmin(self.lowest[:, voice], self.now[:, voice])
            self.highest[:, voice] = torch.fmax(self.highest[:, voice], self.now[:, voice])
        self.position = (self.position + 1) % self.width

    def apply(self, scores: torch.Tensor, compass: bool = True) -> torch.Tensor:
        """``scores`` of the next step with every candidate the rules ban set to -inf (the
        compass's bans left out with ``compass=False``)."""
        if self.position == 0:
            return scores
        return scores.masked_fill(self.banned(self.position - 1, compass), -math.inf)

    def banned(self, voice: int, compass: bool = True) -> torch.Tensor:
        """(rows, vocabulary) where a candidate for ``voice`` breaks a rule; a rest never does."""
        before = self.before[:, voice : voice + 1]  # (rows, 1)
        # What each candidate makes the voice sound: its pitch, or a hold's held pitch.
        sounding = torch.where(self.is_hold, before, self.pitch.expand(len(before), -1))
        banned = self.out_of_range(voice, sounding) | self.crossing(voice, sounding)
        if compass:
            banned |= self.outside_compass(voice, sounding)
        for above in range(voice):
            banned |= self.parallel(above, voice, sounding)
        return banned & ~self.is_rest

    def out_of_range(self, voice: int, sounding: torch.Tensor) -> torch.Tensor:
        bounds = self.ranges[voice]
        if bounds is None:
            return torch.zeros_like(sounding, dtype=torch.bool)
        # A hold of a note already out of range is not a new fault: only notes written now.
        written = ~self.is_hold
        return written & ((sounding < bounds[0]) | (sounding > bounds[1]))

    def outside_compass(self, voice: int, sounding: torch.Tensor) -> torch.Tensor:
        """A note written now that would stretch the voice's span past its compass."""
        lowest = torch.fmin(self.lowest[:, voice : voice + 1], sounding)
        highest = torch.fmax(self.highest[:, voice : voice + 1], sounding)
        return ~self.is_hold & (highest - lowest > self.compass[voice])  # nan: False

    def crossing(self, voice: int, sounding: torch.Tensor) -> torch.Tensor:
        """Above the voice next above (where it sounds), where crossings are not allowed."""
        if voice == 0 or self.crossings:
            return torch.zeros_like(sounding, dtype=torch.bool)
        return sounding > self.now[:, voice - 1 : voice]  # nan compares False: no ban

    def parallel(self, above: int, voice: int, sounding: torch.Tensor) -> torch.Tensor:
        """Both voices move the same way from a perfect interval to the same one."""
        upper_before = self.before[:, above : above + 1]
        upper_now = self.now[:, above : above + 1]
        lower_before = self.before[:, voice : voice + 1]
        upper_moves = torch.sign(upper_now - upper_before)
        lower_moves = torch.sign(sounding - lower_before)
        interval_before = torch.remainder(upper_before - lower_before, 12)
        interval_now = torch.remainder(upper_now - sounding, 12)
        perfect = (interval_before == PERFECT[0]) | (interval_before == PERFECT[1])
        # nan anywhere (a silent voice) makes every comparison False: no parallel.
        return (
            (upper_moves != 0)
            & (upper_moves == lower_moves)
            & perfect
            & (interval_now == interval_before)
        )
