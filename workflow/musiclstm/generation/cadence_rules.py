"""Cadences the sampler knows: the chord struck where a fermata begins (a phrase end) is a
root-position major or minor triad, its fifth possibly left out, and the last one stands on the
tonic (``generate.NAME.cadence_rules``, on by default for pieces of several voices). The
refinement (:mod:`musiclstm.generation.refine`) also puts the tonic in the top voice of the last
chord, a perfect authentic cadence, where that costs no other fault (of Bach's chorales that end
on a tonic triad, 0.94 to 0.97 have the tonic on top).

As the voices of such a frame are written top down, a candidate note is banned when no triad
holds it together with the voices above; the voice above the lowest must leave the triad's
third sounding, and the lowest voice must be its root. At the final fermata the only root is
the tonic, C or A in the workflow's transposed keys: a given melody's, else the one the lowest
voice has sounded on longer (as :func:`musiclstm.evaluation.chords.chorale_tonic` finds it).
The top voice is not banned from other notes there: written first, it cannot know whether the
bass can then reach the tonic without parallel octaves. A cadence chord is one every voice
sounds, so a rest there (or a silence held into it) is banned as a note outside the triad is: a
resting voice above the lowest would leave the bass no triad to complete. Where the bans (with
the voice rules') would leave a voice no note at all, the compass gives way first, then the
cadence bans (:class:`~musiclstm.generation.sampling.SamplerRules`).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from musiclstm.evaluation.chords import A_TONIC, C_TONIC, root_position_root
from musiclstm.music.frames import FERMATA_FRAME
from musiclstm.music.tokens import HOLD, REST, is_pitch

THIRDS = (4, 3)  # a major and a minor triad: root, third (semitones above) and fifth
FIFTH = 7
SILENT = -1  # pitch class of a voice that does not sound


def triad_fits(classes: torch.Tensor, root: int, third: int) -> torch.Tensor:
    """Where every pitch class of ``classes`` (..., n; SILENT ignored) is in the triad."""
    members = torch.tensor([root, (root + third) % 12, (root + FIFTH) % 12])
    inside = (classes[..., None] == members).any(dim=-1) | (classes == SILENT)
    return inside.all(dim=-1)


def final_cadence_frame(given: np.ndarray | None, width: int, fermata_id: int) -> int | None:
    """The frame where the given frame tokens' last fermata begins, or None."""
    if given is None:
        return None
    fermatas = given[::width] == fermata_id
    starts = np.flatnonzero(fermatas & ~np.concatenate([[False], fermatas[:-1]]))
    return int(starts[-1]) if len(starts) else None


class CadenceRules:
    """The cadence bans for one batch of pieces of ``n_voices`` voices, fed every token written
    (:meth:`observe`); ``final_frame`` is where the last fermata begins, if known."""

    def __init__(
        self,
        tokens: list[str],
        n_voices: int,
        rows: int,
        final_frame: int | None,
        tonic: int | None = None,
    ):
        self.width = n_voices + 1
        self.pitch_class = torch.tensor([int(t) % 12 if is_pitch(t) else SILENT for t in tokens])
        self.is_hold = torch.tensor([t == HOLD for t in tokens])
        self.is_note = torch.tensor([t == HOLD or is_pitch(t) for t in tokens])
        self.is_rest = torch.tensor([t == REST for t in tokens])
        self.is_music = self.is_note | self.is_rest
        self.fermata_id = tokens.index(FERMATA_FRAME)
        self.final_frame, self.known_tonic = final_frame, tonic
        self.frame, self.position = -1, 0
        self.under_fermata = torch.zeros(rows, dtype=torch.bool)
        self.cadence = torch.zeros(rows, dtype=torch.bool)
        self.before = torch.full((rows, n_voices), SILENT)
        self.now = torch.full((rows, n_voices), SILENT)
        self.lowest_on = torch.zeros(rows, 2)  # frames the lowest voice sounded C, A

    @classmethod
    def of(
        cls, trained, rows: int, given: np.ndarray | None, tonic: int | None = None
    ) -> CadenceRules | None:
        """The rules of ``trained``'s texture (None for a melody or without fermatas), ending on
        ``tonic`` where it is known (a given melody's)."""
        tokens, voices = trained.vocabulary.tokens, trained.texture.voices
        if len(voices) < 2 or FERMATA_FRAME not in tokens:
            return None
        width = len(voices) + 1
        final = final_cadence_frame(given, width, tokens.index(FERMATA_FRAME))
        return cls(tokens, len(voices), rows, final, tonic)

    def observe(self, choices: torch.Tensor) -> None:
        if self.position == 0:
            self.frame += 1
            fermata = choices == self.fermata_id
            # The final chord is a cadence even where the fermata before it ran on into it.
            self.cadence = fermata & (~self.under_fermata | (self.frame == self.final_frame))
            self.under_fermata = fermata
            self.before = self.now.clone()
        else:
            voice = self.position - 1
            written = torch.where(
                self.is_hold[choices], self.before[:, voice], self.pitch_class[choices]
            )
            self.now[:, voice] = written
            if voice == self.now.shape[1] - 1:
                self.lowest_on[:, 0] += written == C_TONIC
                self.lowest_on[:, 1] += written == A_TONIC
        self.position = (self.position + 1) % self.width

    def tonic(self) -> torch.Tensor:
        """Each row's tonic: the given melody's, else the one the lowest voice sounded longer."""
        if self.known_tonic is not None:
            return torch.full((len(self.lowest_on),), self.known_tonic)
        return torch.where(self.lowest_on[:, 1] > self.lowest_on[:, 0], A_TONIC, C_TONIC)

    def apply(self, scores: torch.Tensor, looser=None) -> torch.Tensor:
        """``scores`` with the cadence bans, in rows that keep a note to write; in rows that
        keep none, the bans on ``looser()`` (the scores under fewer of the other rules, asked
        for only then) where those keep one; elsewhere ``scores`` as they are."""
        if self.position == 0 or not self.cadence.any():
            return scores
        banned = self.banned(self.position - 1) & self.cadence[:, None]
        ruled = scores.masked_fill(banned, -math.inf)
        keeps = self.keeps_a_note(ruled)
        if keeps.all():
            return ruled
        fallback = scores
        if looser is not None:
            loosened = looser().masked_fill(banned, -math.inf)
            fallback = torch.where(self.keeps_a_note(loosened), loosened, scores)
        return torch.where(keeps, ruled, fallback)

    def keeps_a_note(self, scores: torch.Tensor) -> torch.Tensor:
        """(rows, 1): where a note (a pitch or a hold) is left to write."""
        return (torch.isfinite(scores) & self.is_note).any(dim=1, keepdim=True)

    def banned(self, voice: int) -> torch.Tensor:
        """(rows, vocabulary): notes that no allowed triad holds with the voices above."""
        rows = len(self.now)
        candidate = torch.where(
            self.is_hold, self.before[:, voice : voice + 1], self.pitch_class.expand(rows, -1)
        )
        above = self.now[:, None, :voice].expand(-1, len(self.pitch_class), -1)
        classes = torch.cat([above, candidate[..., None]], dim=-1)
        lowest = voice == self.now.shape[1] - 1
        # The lowest voice adds only the root, so the third must sound by the voice above it.
        needs_third = voice >= self.now.shape[1] - 2
        final = self.frame == self.final_frame
        tonic = self.tonic() if final else None  # (rows,): the last cadence's root per row
        allowed = torch.zeros_like(candidate, dtype=torch.bool)
        for root in range(12):
            if final and not (tonic == root).any():
                continue
            for third in THIRDS:
                fits = triad_fits(classes, root, third)
                if needs_third:
                    fits &= (classes == (root + third) % 12).any(dim=-1)
                if lowest:
                    fits &= candidate == root
                if final:
                    fits &= (tonic == root)[:, None]
                allowed |= fits
        # A silent candidate fits every triad, yet leaves the chord without a voice.
        return self.is_music & ~(allowed & (candidate != SILENT))


def cadence_faults(
    frame_tokens: np.ndarray, sounding: np.ndarray, fermata_id: int, tonic: int
) -> int:
    """Cadences that break the rules in a whole piece, as the evaluation finds them:
    ``frame_tokens`` (frames,) ids and ``sounding`` (frames, voices) pitches (NaN silent); each
    fermata's first chord that is not a root-position triad, and a last chord (where the lowest
    voice last sounds) that is not one on ``tonic``."""
    fermata = frame_tokens == fermata_id
    starts = np.flatnonzero(fermata & ~np.concatenate([[False], fermata[:-1]]))
    faults = sum(chord_root(sounding[frame]) is None for frame in starts)
    last = last_chord(sounding)
    if last is not None:
        faults += chord_root(last) != tonic
    return int(faults)


def final_top_fault(sounding: np.ndarray, tonic: int) -> int:
    """1 where the top voice of the last chord does not sound ``tonic``: not a perfect
    authentic cadence."""
    last = last_chord(sounding)
    return int(last is not None and (np.isnan(last[0]) or int(last[0]) % 12 != tonic))


def last_chord(sounding: np.ndarray) -> np.ndarray | None:
    """The pitches of the last frame where the lowest voice sounds (None: it never does)."""
    sounding_lowest = np.flatnonzero(~np.isnan(sounding[:, -1]))
    return sounding[sounding_lowest[-1]] if len(sounding_lowest) else None


def chord_root(pitches: np.ndarray) -> int | None:
    """:func:`~musiclstm.evaluation.chords.root_position_root` of a row of a float grid."""
    return root_position_root([None if np.isnan(p) else int(p) for p in pitches])
