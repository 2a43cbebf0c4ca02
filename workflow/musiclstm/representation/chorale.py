"""Chorales: four voices as one stream of frames (:mod:`musiclstm.music.frames`), five tokens
per time step: the frame token (``|``, or ``|F`` under a fermata), then soprano, alto, tenor and
bass. The model writes a frame's voices in that order, each given the voices above it in the
same frame, as BachBot's serialised chorales did.

The input columns of the step being predicted (step ``i`` of the stream; frame ``i // 5``):

- ``meter``, ``beat``, ``position``, ``bar_number``, ``bars_left``: the frame's place in its bar
  and in the chorale, as a melody step's (:func:`~musiclstm.representation.melody.meter_columns`);
- ``previous_frame``: the same voice's token one frame before (what a hold would hold);
- ``lookback_{n}``, one per entry of ``lookback_bars``: the same voice's token ``n`` bars before;
- ``soprano_ahead_{k}``, one per entry of ``lookahead``: the soprano ``k`` frames later, and
  ``fermata_ahead``, the frames until the next fermata. These see the future of a given melody:
  a model that reads them harmonises a melody it is given (and cannot compose without one).
  With ``ahead_pitches`` (a harmoniser with voice leading) also ``soprano_pitch_ahead_{k}``, the
  pitch the soprano sounds ``k`` frames later (a hold there is read as the note it holds), and
  ``soprano_at_fermata``, the pitch it sounds at the next fermata: the note the phrase's cadence
  is written under;
- ``voice``: which slot of the frame the step is (0 the frame token, 1-4 soprano to bass);
- with ``form``, ``form`` and ``form_echo``: the form label of the frame's bar, read from the top
  voice as a melody's is (:mod:`musiclstm.music.form`: new, or a repeat of the bar 1, 2, 4 or 8
  bars back, exact, moved or in rhythm only), and whether a later bar will repeat it; 0 where
  the piece's form is not given. At composing, the plan of a training chorale of the same
  meter and length, so that a chorale takes up its phrases again where Bach's do;
- with ``voice_leading``, last, the pitches sounding around the step's note (a hold replaced by
  the note it holds): ``sounding_before``, the same voice's one frame before;
  ``previous_note_before``, the note the voice sounded before that one; for each voice ``k``
  places above it, ``above_{k}`` in this frame and ``above_{k}_before`` one frame before; and
  for each voice ``k`` places below it, ``below_{k}_before`` one frame before (what a step
  model's voice-leading weights compare a candidate note with; a slot with fewer voices above
  or below reads other tokens there, which the model ignores by the ``voice``). Models saved
  with the first version of these columns (``voice_leading: 1``) read neither the previous
  note nor the voices below.

The song boundary comes where a frame would start, so a chorale ends after a whole frame.
"""

from __future__ import annotations

import numpy as np

from musiclstm.music.form import echo_count, form_labels, label_count
from musiclstm.music.frames import (
    FERMATA_FRAME,
    FRAME,
    FRAME_TOKENS,
    SATB,
    frame_width,
    parse_frames,
)
from musiclstm.music.tokens import HOLD, SPECIAL_TOKENS, is_pitch
from musiclstm.representation.base import EncodedSong, Meter, Representation, StepInputs
from musiclstm.representation.lookup import (
    LookupStepInputs,
    Sounding,
    previous_note_stream,
    sounding_stream,
)
from musiclstm.representation.melody import (
    DEFAULT_BAR,
    FORM_DISTANCES,
    METER_COLUMNS,
    form_columns,
    meter_columns,
)

MAX_FERMATA_AHEAD = 32  # frames to the next fermata the model tells apart; farther ones share
NO_FERMATA_AHEAD = MAX_FERMATA_AHEAD + 1  # no fermata later in the given melody
# The voice-leading columns a new model reads: 2 adds each voice's previous note and the voices
# below one frame before to version 1's (its own and the voices above).
VOICE_LEADING = 2


class ChoraleRepresentation(Representation):
    """The voices ``voices`` (names, top first) in frames; ``lookback_bars`` says which earlier
    bars the inputs show and ``lookahead`` which later frames of a given top voice (empty: a
    model that composes); ``form`` whether each bar's form label is read. With
    ``voice_leading`` the inputs also show the pitches sounding in
    the step's voice and the voices above it; they need the vocabulary's ``hold`` id (see
    :meth:`for_vocabulary`)."""

    name = "chorale"
    # The frame tokens are in every chorale vocabulary, first after the boundary and unknown
    # token, so the inputs find the fermata frames of a given melody by their id alone.
    special_tokens = SPECIAL_TOKENS + FRAME_TOKENS
    fermata_id = len(SPECIAL_TOKENS) + FRAME_TOKENS.index(FERMATA_FRAME)

    def __init__(
        self,
        lookback_bars: tuple[int, ...] = (1,),
        lookahead: tuple[int, ...] = (),
        voices: tuple[str, ...] = SATB,
        voice_leading: bool | int = False,
        hold: int | None = None,
        ahead_pitches: bool = False,
        form: bool = False,
    ):
        self.form = bool(form)
        self.lookback_bars = tuple(int(bars) for bars in lookback_bars)
        self.lookahead = tuple(int(frames) for frames in lookahead)
        self.voices = tuple(voices)
        self.frame_width = frame_width(len(self.voices))
        # A saved model's version is a number; ``True`` (a config's) asks for the newest.
        newest = voice_leading is True
        self.voice_leading = VOICE_LEADING if newest else int(voice_leading)
        self.hold = hold
        if ahead_pitches and not (self.lookahead and self.voice_leading):
            raise ValueError(
                "ahead_pitches reads a given melody's pitches: it needs lookahead and voice_leading"
            )
        self.ahead_pitches = bool(ahead_pitches)

    @property
    def reads_around(self) -> bool:
        """Whether the voice-leading columns (version 2 on) also show each voice's previous
        note and the voices below it."""
        return self.voice_leading >= 2

    def for_vocabulary(self, tokens: list[str]) -> ChoraleRepresentation:
        """This representation over the vocabulary ``tokens``: where it reads sounding
        pitches, it must know which id holds a note."""
        if not self.voice_leading:
            return self
        hold = tokens.index(HOLD) if HOLD in tokens else -1
        return ChoraleRepresentation(
            self.lookback_bars,
            self.lookahead,
            self.voices,
            self.voice_leading,
            hold,
            self.ahead_pitches,
            self.form,
        )

    def voice_leading_inputs(self, tokens: list[str]) -> dict:
        """The step model's ``voice_leading`` argument over the vocabulary ``tokens``: each
        token's pitch (-1: none, -2: the hold), where the sounding columns are and which column
        says the step's voice ({} without voice leading)."""
        if not self.voice_leading:
            return {}
        pitches = [int(t) if is_pitch(t) else (-2 if t == HOLD else -1) for t in tokens]
        columns = self.sounding_columns
        return {
            "pitches": pitches,
            "columns": [columns.start, columns.stop],
            "voice_column": self.token_columns.stop,
            "voices": len(self.voices),
        } | ({"contour": True, "below": True} if self.reads_around else {})

    def encode(self, song, encoding) -> EncodedSong:
        # Imported here: reading scores needs music21, which training and sampling do not.
        from musiclstm.data.chorale import song_to_chorale

        encoded = song_to_chorale(song, encoding, self.voices)
        return EncodedSong(
            encoded.chorale.tokens(),
            encoded.key,
            encoded.transposition,
            encoded.time_signature,
            encoded.pickup_steps,
        )

    def decode(self, tokens: list[str]) -> list:
        return parse_frames(tokens, self.voices).events()

    def token_order(self, token: str) -> tuple:
        """Specials first, then the frame tokens, pitches from low to high, rest and hold."""
        if token in SPECIAL_TOKENS:
            return (0, SPECIAL_TOKENS.index(token))
        if token in FRAME_TOKENS:
            return (1, FRAME_TOKENS.index(token))
        if is_pitch(token):
            return (2, int(token))
        return (3, ("r", HOLD).index(token))

    @property
    def token_column_names(self) -> tuple[str, ...]:
        return (
            ("previous_frame",)
            + tuple(f"lookback_{bars}" for bars in self.lookback_bars)
            + tuple(f"soprano_ahead_{frames}" for frames in self.lookahead)
            + self.ahead_pitch_column_names
        )

    @property
    def ahead_pitch_column_names(self) -> tuple[str, ...]:
        if not self.ahead_pitches:
            return ()
        pitches = tuple(f"soprano_pitch_ahead_{frames}" for frames in self.lookahead)
        return pitches + ("soprano_at_fermata",)

    @property
    def category_columns(self) -> dict[str, int]:
        """The columns after the token columns, with how many values each takes. A harmoniser
        reads a composing model's and then its own, so that it can start from one."""
        columns = {"voice": self.frame_width}
        if self.form:
            columns["form"] = label_count(FORM_DISTANCES)
            columns["form_echo"] = echo_count(FORM_DISTANCES)
        if self.lookahead:
            columns["fermata_ahead"] = NO_FERMATA_AHEAD + 1
        return columns

    @property
    def sounding_column_names(self) -> tuple[str, ...]:
        if not self.voice_leading:
            return ()
        others = range(1, len(self.voices))
        newer = self.reads_around
        return (
            ("sounding_before",)
            + (("previous_note_before",) if newer else ())
            + tuple(name for k in others for name in (f"above_{k}", f"above_{k}_before"))
            + (tuple(f"below_{k}_before" for k in others) if newer else ())
        )

    @property
    def input_columns(self) -> tuple[str, ...]:
        return (
            METER_COLUMNS
            + self.token_column_names
            + tuple(self.category_columns)
            + self.sounding_column_names
        )

    @property
    def sounding_columns(self) -> slice:
        """The sounding pitches' columns, last."""
        total = len(self.input_columns)
        return slice(total - len(self.sounding_column_names), total)

    @property
    def transposed_columns(self) -> list[int]:
        columns = list(range(self.token_columns.start, self.token_columns.stop))
        return columns + list(range(self.sounding_columns.start, self.sounding_columns.stop))

    def sounding_offsets(self) -> np.ndarray:
        """Steps back of each sounding column: one frame (twice, with the previous note); then
        ``k`` and ``k`` plus a frame for the voice ``k`` places above; a frame less ``k`` for
        the voice ``k`` places below."""
        width, others = self.frame_width, range(1, len(self.voices))
        newer = self.reads_around
        own = [width, width] if newer else [width]
        above = [offset for k in others for offset in (k, k + width)]
        below = [width - k for k in others] if newer else []
        return np.array([*own, *above, *below], dtype=np.int64)

    def previous_note_columns(self) -> np.ndarray:
        """For each sounding column, whether it reads the note before the sounding one."""
        return np.array(
            [name == "previous_note_before" for name in self.sounding_column_names], dtype=bool
        )

    def sounding_hold(self) -> int:
        if self.hold is None:
            raise ValueError(
                "this representation reads sounding pitches: build it for its vocabulary "
                "(for_vocabulary) so that it knows the hold"
            )
        return self.hold

    @property
    def token_columns(self) -> slice:
        return slice(len(METER_COLUMNS), len(METER_COLUMNS) + len(self.token_column_names))

    def model_inputs(self) -> dict:
        return {
            "lookback": list(self.token_column_names),
            "categories": list(self.category_columns.values()),
        }

    def back_offsets(self, bar: np.ndarray) -> np.ndarray:
        """(..., lookbacks) steps back of ``previous_frame`` and each lookback."""
        span = np.where(np.asarray(bar) > 0, bar, DEFAULT_BAR)
        frames = np.concatenate(
            [np.ones_like(span)[..., None], np.asarray(span)[..., None] * self.lookback_bars],
            axis=-1,
        )
        return frames * self.frame_width

    def static_columns(self, steps: np.ndarray, meter: Meter, given: np.ndarray) -> np.ndarray:
        """(len(steps), columns) of everything but the lookbacks: the meter and voice, and what
        the given tokens (the whole stream, -1 where not given) show ahead."""
        columns = np.zeros((len(steps), len(self.input_columns)), dtype=np.int64)
        frames = steps // self.frame_width
        # The meter counts frames, and a chorale's length is given in steps of its stream.
        in_frames = meter._replace(length=meter.length // self.frame_width)
        columns[:, : len(METER_COLUMNS)] = meter_columns(frames, in_frames)
        first_category = self.token_columns.stop
        column = {name: first_category + i for i, name in enumerate(self.category_columns)}
        columns[:, column["voice"]] = steps % self.frame_width
        if self.form:
            columns[:, column["form"] : column["form_echo"] + 1] = form_columns(frames, in_frames)
        if self.lookahead:
            ahead, to_fermata = self.ahead_columns(frames, given)
            columns[:, first_category - ahead.shape[1] : first_category] = ahead
            columns[:, column["fermata_ahead"]] = to_fermata
        return columns

    def bar_form(self, tokens: list[str], bar: int, pickup: int) -> tuple[int, ...]:
        """The form of the top voice's bars (``bar`` and ``pickup`` in frames): its slot of every
        frame, read as the model reads it (a note the vocabulary lacks is the unknown token)."""
        if not self.form:
            return ()
        top = list(tokens[1 :: self.frame_width])
        return tuple(form_labels(top, bar, pickup, FORM_DISTANCES))

    def ahead_columns(self, frames: np.ndarray, given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The soprano ``k`` frames ahead of each frame (the boundary past the end, as ``given``
        holds it), with ``ahead_pitches`` also its pitches ahead and at the next fermata; and
        the frames until the next fermata frame."""
        n_frames = len(given) // self.frame_width
        sopranos = given[1 : n_frames * self.frame_width : self.frame_width]
        boundary = given[-1]
        later = frames[:, None] + np.asarray(self.lookahead)[None, :]
        inside = later < n_frames
        later = np.clip(later, 0, n_frames - 1)
        fermata = given[0 : n_frames * self.frame_width : self.frame_width] == self.fermata_id
        cadence = next_marked(fermata, frames)
        ahead = [np.where(inside, sopranos[later], boundary)]
        if self.ahead_pitches:
            pitches = sounding_stream(sopranos, self.sounding_hold(), 1)
            at_fermata = np.where(
                cadence < n_frames, pitches[np.clip(cadence, 0, n_frames - 1)], boundary
            )
            ahead += [np.where(inside, pitches[later], boundary), at_fermata[:, None]]
        return np.concatenate(ahead, axis=1), frames_to_fermata(cadence, frames, n_frames)

    def song_inputs(self, song: np.ndarray, meter: Meter, boundary: int) -> np.ndarray:
        steps = np.arange(len(song) + 1)
        given = np.concatenate([np.asarray(song, dtype=np.int64), [boundary]])
        inputs = self.static_columns(steps, meter, given)
        back = steps[:, None] - self.back_offsets(np.int64(meter.bar))
        inputs[:, self.token_columns.start : self.token_columns.start + back.shape[1]] = np.where(
            back >= 0, given[np.clip(back, 0, None)], boundary
        )
        if self.voice_leading:
            hold = self.sounding_hold()
            sounding = sounding_stream(given, hold, self.frame_width)
            previous = previous_note_stream(given, sounding, hold, self.frame_width, boundary)
            back = steps[:, None] - self.sounding_offsets()[None, :]
            read = np.clip(back, 0, None)
            pitches = np.where(self.previous_note_columns(), previous[read], sounding[read])
            inputs[:, self.sounding_columns] = np.where(back >= 0, pitches, boundary)
        return inputs

    def step_inputs(
        self,
        seed: list[int],
        meters: list[Meter],
        boundary: int,
        max_steps: int,
        given: np.ndarray | None = None,
    ) -> StepInputs:
        total = len(seed) + max_steps + 1
        if given is None:
            given = np.full(total, -1, dtype=np.int64)
        given = np.concatenate([given[: total - 1], [boundary]])
        steps = np.arange(total)
        table = np.stack([self.static_columns(steps, meter, given) for meter in meters])
        bars = np.array([meter.bar for meter in meters], dtype=np.int64)
        back = steps[None, :, None] - self.back_offsets(bars)[:, None, :]
        looked_back = slice(self.token_columns.start, self.token_columns.start + back.shape[2])
        sounding = None
        if self.voice_leading:
            sounding_back = steps[None, :, None] - self.sounding_offsets()[None, None, :]
            sounding_back = np.broadcast_to(sounding_back, (len(meters), *sounding_back.shape[1:]))
            sounding = Sounding(
                self.sounding_columns,
                sounding_back,
                self.sounding_hold(),
                self.frame_width,
                self.previous_note_columns(),
            )
        return LookupStepInputs(table, back, looked_back, seed, boundary, sounding)

    def opening_bans(self, tokens: list[str]) -> list[list[int]]:
        # A hold in the first frame would hold nothing (the frame token is the cycle's to ban).
        hold = [tokens.index(HOLD)] if HOLD in tokens else []
        return [[]] + [hold] * (self.frame_width - 1)

    def cycle_bans(self, tokens: list[str]) -> list[list[int]]:
        # A frame opens with a frame token (or the chorale ends there); each voice writes a
        # pitch, a rest or a hold.
        opens_frame = set(FRAME_TOKENS) | {SPECIAL_TOKENS[0]}
        frame_slot = [i for i, token in enumerate(tokens) if token not in opens_frame]
        voice_slot = [i for i, token in enumerate(tokens) if token in opens_frame]
        return [frame_slot] + [voice_slot] * (self.frame_width - 1)

    def describe(self) -> dict:
        description = {
            "name": self.name,
            "lookback_bars": list(self.lookback_bars),
            "lookahead": list(self.lookahead),
            "voices": list(self.voices),
        }
        if self.voice_leading:
            description |= {"voice_leading": self.voice_leading, "hold": self.hold}
        if self.ahead_pitches:  # absent from models saved before it, which read no pitches ahead
            description["ahead_pitches"] = True
        if self.form:  # absent from models saved before it, which read no form
            description["form"] = True
        return description


def next_marked(marked: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """For each of ``frames``, the first frame from it on that ``marked`` holds (``len(marked)``
    where none comes)."""
    n_frames = len(marked)
    following = np.full(n_frames + 1, n_frames, dtype=np.int64)
    for frame in range(n_frames - 1, -1, -1):
        following[frame] = frame if marked[frame] else following[frame + 1]
    return following[np.clip(frames, 0, n_frames)]


def frames_to_fermata(cadence: np.ndarray, frames: np.ndarray, n_frames: int) -> np.ndarray:
    """For each of ``frames``, frames until the next fermata frame, ``cadence`` (0 inside one;
    :func:`next_marked` of the fermatas), capped at :data:`MAX_FERMATA_AHEAD`;
    :data:`NO_FERMATA_AHEAD` where none comes (``cadence`` is ``n_frames``)."""
    distance = np.minimum(cadence - np.clip(frames, 0, n_frames), MAX_FERMATA_AHEAD)
    return np.where(cadence < n_frames, distance, NO_FERMATA_AHEAD)


__all__ = ["FERMATA_FRAME", "FRAME", "ChoraleRepresentation"]
