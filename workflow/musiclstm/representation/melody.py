"""Melodies: one token per step (a MIDI pitch, ``r`` rest or ``_`` hold) and, at every step,
where it falls in the bar and in the song and what was played some bars earlier (the "lookback"
idea of Magenta's melody models).

The input columns of the step being predicted (step ``i`` of a song, or ``len(song)`` for its end):

- ``meter``: the bar length in steps (0 where the song has no usable time signature);
- ``beat``: the beat's length in steps, dotted in compound meters, so that 6/8 (bars of 12
  sixteenths in two beats of 6) differs from 3/4 (three beats of 4); 0 where unknown;
- ``position``: steps since the last bar line, anacrusis counted (0 where the meter is unknown);
- ``bar_number``: which bar the step is in, the first full bar being 1 and an anacrusis 0; bars
  past :data:`MAX_BAR_NUMBER` share the last number (0 where the meter is unknown);
- ``bars_left``: how many bars follow the step's bar before the song ends (0 in the last bar),
  up to :data:`MAX_BARS_LEFT`; :data:`BARS_LEFT_UNKNOWN` where the song's length (or meter) is
  not known. A song sampled to a length knows where it is headed and can close by itself;
- ``lookback_{n}``, one per entry of ``lookback_bars``: the token ``n`` bars before, or the song
  boundary before the song starts (a 4/4 bar is assumed where the meter is unknown);
- ``form`` and ``form_echo`` (with ``form``): the label of the step's bar
  (:mod:`musiclstm.music.form`): new, or a repeat of the bar 1, 2, 4 or 8 bars back, exact,
  moved to another pitch or in rhythm only; and whether a later bar will repeat this one,
  exactly or moved, and how many bars later (so that a phrase the song ends with is written as
  an ending the first time); 0 where the song's form is not given. Learned from each training
  song's own bars; at generation the plan of a training song of the same meter and length, so
  that a sampled song repeats where songs of the corpus do.

Folk tunes repeat bars and whole phrases (AABB, ABAB'), so the token one, two, four or eight bars
back is often the answer; the position in the bar says where notes may start and how long they
may last, and the bar number where phrases begin and cadences fall.
"""

from __future__ import annotations

import numpy as np

from musiclstm.music.form import UNKNOWN as FORM_UNKNOWN
from musiclstm.music.form import echo_count, echo_labels, form_labels, label_count
from musiclstm.music.meter import MAX_BAR
from musiclstm.music.tokens import (
    HOLD,
    REST,
    SPECIAL_TOKENS,
    events_to_tokens,
    is_pitch,
    tokens_to_events,
)
from musiclstm.representation.base import EncodedSong, Meter, Representation, StepInputs
from musiclstm.representation.lookup import LookupStepInputs

MAX_BAR_NUMBER = 32  # bar numbers the model tells apart; later bars share the last one
MAX_BARS_LEFT = 16  # bars to the end the model tells apart; songs further from it share the last
BARS_LEFT_UNKNOWN = MAX_BARS_LEFT + 1
DEFAULT_BAR = 16  # the bar the lookbacks count in where a song's meter is unknown
FORM_DISTANCES = (1, 2, 4, 8)  # bars back a bar's form label may point to
METER_COLUMNS = ("meter", "beat", "position", "bar_number", "bars_left")
COLUMN = {name: index for index, name in enumerate(METER_COLUMNS)}  # where models read each

__all__ = [
    "BARS_LEFT_UNKNOWN",
    "COLUMN",
    "MAX_BAR",
    "MAX_BARS_LEFT",
    "MAX_BAR_NUMBER",
    "METER_COLUMNS",
    "MelodyRepresentation",
    "meter_columns",
]


def meter_columns(steps, meter: Meter) -> np.ndarray:
    """(..., len(METER_COLUMNS)) columns of step(s) ``steps`` of songs in ``meter``, whose
    fields may be NumPy arrays (one meter per row) that broadcast against ``steps``."""
    steps, bar, pickup, beat, length = np.broadcast_arrays(
        *(np.asarray(value, np.int64) for value in (steps, *meter[:4]))
    )
    known = bar > 0
    span = np.where(known, bar, 1)
    # A song that starts on a bar line has no anacrusis: its first bar is number 1.
    numbers = (pickup + steps) // span + (pickup == 0)
    last = (pickup + np.maximum(length - 1, 0)) // span + (pickup == 0)
    bars_left = np.where(
        known & (length > 0), np.clip(last - numbers, 0, MAX_BARS_LEFT), BARS_LEFT_UNKNOWN
    )
    return np.stack(
        [
            np.where(known, bar, 0),
            np.where(known, beat, 0),
            np.where(known, (pickup + steps) % span, 0),
            np.where(known, np.minimum(numbers, MAX_BAR_NUMBER), 0),
            bars_left,
        ],
        axis=-1,
    )


def form_columns(steps: np.ndarray, meter: Meter) -> np.ndarray:
    """(len(steps), 2): the form and echo labels of each of ``steps`` (those past the last bar
    read the last bar's); :data:`~musiclstm.music.form.UNKNOWN` where the meter or the form
    is."""
    if meter.bar <= 0 or not meter.form:
        return np.full((len(steps), 2), FORM_UNKNOWN, dtype=np.int64)
    labels = np.stack([meter.form, echo_labels(meter.form, FORM_DISTANCES)], axis=-1).astype(
        np.int64
    )
    bars = (np.asarray(steps) + meter.pickup) // meter.bar
    return labels[np.clip(bars, 0, len(labels) - 1)]


class MelodyRepresentation(Representation):
    """One melody per song; ``lookback_bars`` says which earlier bars the inputs show, ``form``
    whether each bar's form label is read too."""

    name = "melody"
    special_tokens = SPECIAL_TOKENS

    def __init__(self, lookback_bars: tuple[int, ...] = (1, 2, 4, 8), form: bool = False):
        self.lookback_bars = tuple(int(bars) for bars in lookback_bars)
        self.form = bool(form)

    def encode(self, song, encoding) -> EncodedSong:
        # Imported here: reading scores needs music21, which training and sampling do not.
        from musiclstm.data.melody import song_to_melody

        melody = song_to_melody(song, encoding)
        return EncodedSong(
            events_to_tokens(melody.events),
            melody.key,
            melody.transposition,
            melody.time_signature,
            melody.pickup_steps,
        )

    def decode(self, tokens: list[str]) -> list:
        return tokens_to_events(tokens)

    def token_order(self, token: str) -> tuple:
        """Specials first, then pitches from low to high, then rest and hold."""
        if token in SPECIAL_TOKENS:
            return (0, SPECIAL_TOKENS.index(token))
        if is_pitch(token):
            return (1, int(token))
        return (2, (REST, HOLD).index(token))

    @property
    def input_columns(self) -> tuple[str, ...]:
        lookbacks = tuple(f"lookback_{bars}" for bars in self.lookback_bars)
        return METER_COLUMNS + lookbacks + (("form", "form_echo") if self.form else ())

    def bar_form(self, tokens: list[str], bar: int, pickup: int) -> tuple[int, ...]:
        if not self.form:
            return ()
        return tuple(form_labels(tokens, bar, pickup, FORM_DISTANCES))

    def model_inputs(self) -> dict:
        if not self.form:
            return {}
        return {"categories": [label_count(FORM_DISTANCES), echo_count(FORM_DISTANCES)]}

    @property
    def token_columns(self) -> slice:
        return slice(len(METER_COLUMNS), len(METER_COLUMNS) + len(self.lookback_bars))

    def lookback_offsets(self, bar: np.ndarray) -> np.ndarray:
        """(..., lookbacks) steps back of each lookback, for bars of ``bar`` steps (0: unknown)."""
        span = np.where(np.asarray(bar) > 0, bar, DEFAULT_BAR)
        return np.asarray(span)[..., None] * np.asarray(self.lookback_bars, dtype=np.int64)

    def song_inputs(self, song: np.ndarray, meter: Meter, boundary: int) -> np.ndarray:
        steps = np.arange(len(song) + 1)
        inputs = np.empty((len(steps), len(self.input_columns)), dtype=np.int64)
        inputs[:, : len(METER_COLUMNS)] = meter_columns(steps, meter)
        back = steps[:, None] - self.lookback_offsets(np.int64(meter.bar))
        known = np.concatenate([np.asarray(song, dtype=np.int64), [boundary]])
        inputs[:, self.token_columns] = np.where(back >= 0, known[np.clip(back, 0, None)], boundary)
        if self.form:
            inputs[:, -2:] = form_columns(steps, meter)
        return inputs

    def step_inputs(
        self,
        seed: list[int],
        meters: list[Meter],
        boundary: int,
        max_steps: int,
        given: np.ndarray | None = None,
    ) -> StepInputs:
        # A melody's inputs look back only; tokens given in advance change none of them.
        return MelodyStepInputs(self, seed, meters, boundary, max_steps)

    def opening_bans(self, tokens: list[str]) -> list[list[int]]:
        # A hold as the first token of a song would hold nothing.
        return [[tokens.index(HOLD)] if HOLD in tokens else []]

    def describe(self) -> dict:
        return {"name": self.name, "lookback_bars": list(self.lookback_bars), "form": self.form}


class MelodyStepInputs(LookupStepInputs):
    """The inputs of every step of a batch of sampled melodies, laid out once in advance: the
    meter columns of every step, and each lookback as an index of the token it reads."""

    def __init__(
        self,
        representation: MelodyRepresentation,
        seed: list[int],
        meters: list[Meter],
        boundary: int,
        max_steps: int,
    ):
        rows, total = len(meters), len(seed) + max_steps + 1
        by_row = Meter(
            *(
                np.array(field, dtype=np.int64)[:, None]
                for field in zip(*(meter[:4] for meter in meters), strict=True)
            )
        )
        steps = np.arange(total)[None, :]
        table = np.empty((rows, total, len(representation.input_columns)), dtype=np.int64)
        table[..., : len(METER_COLUMNS)] = meter_columns(steps, by_row)
        if representation.form:
            table[..., -2:] = [form_columns(steps[0], meter) for meter in meters]
        back = steps[..., None] - representation.lookback_offsets(by_row.bar[:, 0])[:, None, :]
        super().__init__(table, back, representation.token_columns, seed, boundary)
