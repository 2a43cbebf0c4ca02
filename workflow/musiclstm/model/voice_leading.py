"""Learned voice-leading weights: what a note does against the notes sounding around it, added to
a step model's scores of every candidate.

A voice's next note is chosen among absolute pitches, and whether one of them makes parallel
fifths with the alto depends on four notes at once (the candidate, the voice's last note, the
alto's now and before). An LSTM over pitch embeddings can learn such relations only slowly from
a few hundred chorales. Here they are computed exactly, for every candidate, and each has a
weight of its own, learned with the model from the training pieces (all start at zero, where the
model is the LSTM alone):

- ``motion``: the candidate's motion from the voice's last note, in semitones (-12 to 12,
  farther ones as 12), or a hold;
- ``against``, for each voice above it (sounding now and one frame before): how far below it
  the candidate is, in semitones (from an octave above it, a crossing, to three octaves below;
  farther ones as these: the spacing, the doubling and the chord at once), and how the two
  move (oblique, similar, contrary; similar motion into a fifth or an octave, compound or not,
  from the same interval is parallel, from another, direct);
- ``contour`` (with ``contour``): the candidate's motion against the voice's own last move, the
  one into the note it sounds (a leap is often followed by a step back, a run goes on);
- ``below``, for each voice below it (with ``below``; sounding one frame before, the last notes
  known of them): how far above it the candidate is, in the same semitone bins as ``against``
  (what the voice adds to the chord before it).

Every weight belongs to one slot of the frame (the voice being written) and, for the voices
above, to how many places above the other voice is. A rest, and a slot with no note before it,
take none. A candidate's weights are one ``take`` from one table, whatever the number of voices.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

MOTION = 12  # semitones told apart each way; a larger move counts as this
HELD = 2 * MOTION + 1  # the motion bin of a hold
OCTAVE = 12
FIFTH = 7
# How far below the voice above a candidate is, in semitones (negative: above it, crossed).
BELOW = (-12, 36)
DISTANCES = BELOW[1] - BELOW[0] + 1
# How a candidate moves against a voice above (the last axis of ``against``).
RELATION = ("oblique", "similar", "contrary", "parallel", "direct")
OBLIQUE, SIMILAR, CONTRARY, PARALLEL, DIRECT = range(len(RELATION))


class VoiceLeadingWeights(nn.Module):
    """``weights(inputs)``: (..., vocab) scores to add to a step model's logits, from its
    (..., columns) inputs. ``pitches`` gives each token id's pitch (-1: none, -2: the hold);
    ``columns`` (start, stop) the sounding pitches' columns (the voice's own one frame before;
    with ``contour``, the note it sounded before that one; for each voice above, now and one
    frame before; with ``below``, each voice below one frame before); ``voice_column`` the
    column of the step's slot in its frame (0 the frame token, 1 the top voice)."""

    def __init__(
        self,
        pitches: list[int],
        columns: list[int],
        voice_column: int,
        voices: int,
        contour: bool = False,
        below: bool = False,
    ):
        super().__init__()
        # Built from the arguments, not stored: the vocabulary is the checkpoint's own.
        pitches = torch.tensor(pitches, dtype=torch.long)
        self.register_buffer("pitches", pitches.clamp(min=-1), persistent=False)  # -1: none
        self.register_buffer("held", pitches == -2, persistent=False)
        self.columns = slice(*columns)
        self.voice_column = voice_column
        self.voices = voices
        self.above = voices - 1
        self.contour, self.below = bool(contour), bool(below)
        slots = voices + 1
        shapes = {
            "motion": (slots, HELD + 1),
            "against": (slots, max(self.above, 1), DISTANCES, len(RELATION)),
            "contour": (slots, HELD, HELD + 1) if self.contour else (0,),
            "below": (slots, max(self.above, 1), DISTANCES) if self.below else (0,),
        }
        sizes = [torch.Size(shape).numel() for shape in shapes.values()]
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self.shapes, self.starts = shapes, dict(zip(shapes, starts, strict=True))
        self.table = nn.Parameter(torch.zeros(sum(sizes)))
        self.none = sum(sizes)  # the index of a weight that is always zero: no feature

    def view(self, name: str) -> torch.Tensor:
        """The ``name`` weights (a key of ``shapes``), a view of the table."""
        shape = self.shapes[name]
        start = self.starts[name]
        return self.table[start : start + torch.Size(shape).numel()].view(shape)

    @property
    def motion(self) -> torch.Tensor:
        """(slot, motion) weights, a view of the table."""
        return self.view("motion")

    @property
    def against(self) -> torch.Tensor:
        """(slot, places above - 1, distance below (:func:`distance_bin`), relation) weights,
        a view."""
        return self.view("against")

    @property
    def contours(self) -> torch.Tensor:
        """(slot, last move (-12 to 12 semitones), motion) weights, a view."""
        return self.view("contour")

    @property
    def under(self) -> torch.Tensor:
        """(slot, places below - 1, distance above it (:func:`distance_bin`)) weights, a view."""
        return self.view("below")

    def pitch_of(self, ids: torch.Tensor) -> torch.Tensor:
        """The pitch of each id (-1 for anything but a pitch, a hold left unresolved too)."""
        return self.pitches[ids.clamp(0, len(self.pitches) - 1)]

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        slot = inputs[..., self.voice_column, None]
        sounding = self.pitch_of(inputs[..., self.columns])
        own = sounding[..., :1]
        # A hold sounds the voice's last note again; a rest is no pitch.
        candidate = torch.where(self.held, own, self.pitches)
        is_note = (slot >= 1) & (candidate >= 0)
        motion = torch.where(self.held, HELD, (candidate - own).clamp(-MOTION, MOTION) + MOTION)
        moves = is_note & (own >= 0)
        # One row of indices per feature, (..., features, candidates): the candidates last,
        # so that every operation runs along them.
        indices = [torch.where(moves, slot * (HELD + 1) + motion, self.none)[..., None, :]]
        if self.contour:
            previous = sounding[..., 1:2]
            indices.append(self.contour_index(slot, motion, own, previous, moves)[..., None, :])
        others = sounding[..., 1 + self.contour :]
        if self.above:
            pairs = others[..., : 2 * self.above]
            indices.append(self.against_index(slot, candidate, own, pairs, is_note))
        if self.below:
            below = others[..., 2 * self.above :]
            indices.append(self.below_index(slot, candidate, below, is_note))
        table = functional.pad(self.table, (0, 1))  # the last weight: none
        return table.take(torch.cat(indices, dim=-2)).sum(-2)

    def contour_index(self, slot, motion, own, previous, moves) -> torch.Tensor:
        """Each candidate's index in the table by its motion and the voice's last move."""
        last = (own - previous).clamp(-MOTION, MOTION) + MOTION
        index = (slot * HELD + last) * (HELD + 1) + motion + self.starts["contour"]
        return torch.where(moves & (previous >= 0), index, self.none)

    def places(self, slot: torch.Tensor, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(..., places, 1) the distance of each other voice in places (1 the next), and the
        start of each one's row of the ``name`` weights."""
        distance = torch.arange(1, self.above + 1, device=slot.device)[:, None]
        row = (slot[..., None, :] * self.shapes[name][1] + distance - 1) * DISTANCES
        return distance, row

    def below_index(self, slot, candidate, below, is_note) -> torch.Tensor:
        """(..., places, candidates) each candidate's index in the table against each voice
        below it, one frame before."""
        distance, row = self.places(slot, "below")
        before = below[..., None]
        heard = is_note[..., None, :] & (slot[..., None, :] + distance <= self.voices)
        heard = heard & (before >= 0)
        index = row + distance_bin(candidate[..., None, :] - before) + self.starts["below"]
        return torch.where(heard, index, self.none)

    def against_index(self, slot, candidate, own, pairs, is_note) -> torch.Tensor:
        """(..., places, candidates) each candidate's index in the table against each voice
        above it (``pairs``: each one's pitch now and one frame before)."""
        distance, row = self.places(slot, "against")
        now, before = pairs[..., 0::2, None], pairs[..., 1::2, None]
        candidate, own = candidate[..., None, :], own[..., None, :]
        heard = is_note[..., None, :] & (slot[..., None, :] > distance) & (now >= 0)
        below = now - candidate
        interval = below.remainder(OCTAVE)
        moving = (own >= 0) & (before >= 0)
        # The sign of the product: similar motion above zero, contrary below.
        motion = (candidate - own) * ((now - before) * moving)
        perfect = (interval == FIFTH) | (interval == 0)
        changed = interval != (before - own).remainder(OCTAVE)
        # Similar motion (1), into a fifth or an octave from one (3, parallel) or not (4,
        # direct); contrary motion (2); oblique (0).
        similar = motion > 0
        relation = similar * (SIMILAR + perfect * (PARALLEL - SIMILAR + changed))
        relation = relation + (motion < 0) * CONTRARY
        index = (row + distance_bin(below)) * len(RELATION) + relation + self.starts["against"]
        return torch.where(heard, index, self.none)


def distance_bin(below: torch.Tensor | int) -> torch.Tensor | int:
    """The ``against`` index of a candidate ``below`` semitones under a voice above."""
    if isinstance(below, int):
        return min(max(below, BELOW[0]), BELOW[1]) - BELOW[0]
    return below.clamp(*BELOW) - BELOW[0]
