"""The frame codec of an ensemble: N voices, one frame per time step, written as one stream.

A piece of N voices (a chorale: soprano, alto, tenor, bass) is a list of frames, one per time
step (a sixteenth note by default). A frame is a frame token, then one token per voice from the
top voice down, each a MIDI pitch, ``r`` (rest) or ``_`` (hold) as in a melody (four voices):

    |  67 64 60 48   |  _ _ _ _   |F 67 62 59 43   |F _ _ _ _

The frame token is ``|`` or, while a note under a fermata sounds (a phrase ends), ``|F``; a model
therefore reads the fermata of a frame before it writes the frame's voices. A held note and a
repeated note differ (``_`` against the pitch again), which the JSB chorale pickles cannot tell.
Each voice's own tokens (every fifth token of four voices) are a melody in the melody codec of
:mod:`musiclstm.music.tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass

from musiclstm.music.tokens import (
    Event,
    events_to_tokens,
    is_music_token,
    tokens_to_events,
    transpose_tokens,
)

SATB = ("soprano", "alto", "tenor", "bass")  # a chorale's voices, the default ensemble
FRAME = "|"
FERMATA_FRAME = "|F"
FRAME_TOKENS = (FRAME, FERMATA_FRAME)


def frame_width(voices: int) -> int:
    """Tokens per frame of ``voices`` voices: the frame token and one per voice."""
    return 1 + voices


@dataclass(frozen=True)
class Frames:
    """Voices on one grid, top voice first: each voice's tokens (one per frame), the frames
    under a fermata, and the voices' names (a chorale's soprano, alto, tenor and bass)."""

    voices: tuple[list[str], ...]
    fermatas: list[bool]
    names: tuple[str, ...] = SATB

    def __post_init__(self):
        if len(self.voices) != len(self.names):
            raise ValueError(
                f"{len(self.names)} voices ({', '.join(self.names)}), not {len(self.voices)}"
            )
        lengths = {len(voice) for voice in self.voices} | {len(self.fermatas)}
        if len(lengths) != 1:
            raise ValueError(f"voices and fermatas differ in length: {sorted(lengths)}")

    @property
    def frames(self) -> int:
        return len(self.fermatas)

    @property
    def width(self) -> int:
        return frame_width(len(self.names))

    @classmethod
    def from_events(
        cls, voices: list[list[Event]], fermatas: list[bool], names: tuple[str, ...] = SATB
    ) -> Frames:
        """The voices' ``(pitch or None, steps)`` events; each must last ``len(fermatas)``."""
        return cls(tuple(events_to_tokens(events) for events in voices), list(fermatas), names)

    def events(self) -> list[list[Event]]:
        """Each voice as ``(pitch or None, steps)`` events."""
        return [tokens_to_events(voice) for voice in self.voices]

    def tokens(self) -> list[str]:
        """The stream: per frame, the frame token and the voices' tokens."""
        stream: list[str] = []
        for frame, fermata in enumerate(self.fermatas):
            stream.append(FERMATA_FRAME if fermata else FRAME)
            stream.extend(voice[frame] for voice in self.voices)
        return stream

    def transposed(self, semitones: int) -> Frames:
        return Frames(
            tuple(transpose_tokens(voice, semitones) for voice in self.voices),
            self.fermatas,
            self.names,
        )


def parse_frames(tokens: list[str], names: tuple[str, ...] = SATB) -> Frames:
    """The frames of a token stream of the voices ``names``; a token out of place is named with
    what is allowed there."""
    width = frame_width(len(names))
    if len(tokens) % width:
        raise ValueError(
            f"{len(names)} voices take {width} tokens per frame; {len(tokens)} tokens leave "
            f"{len(tokens) % width} over"
        )
    voices: tuple[list[str], ...] = tuple([] for _ in names)
    fermatas = []
    for position, token in enumerate(tokens):
        slot = position % width
        if slot == 0:
            if token not in FRAME_TOKENS:
                raise ValueError(
                    f"token {token!r} at position {position} opens a frame: it must be "
                    f"{FRAME!r} or {FERMATA_FRAME!r} (under a fermata)"
                )
            fermatas.append(token == FERMATA_FRAME)
        elif not is_music_token(token):
            raise ValueError(
                f"token {token!r} at position {position} ({names[slot - 1]}) is not a MIDI "
                "pitch 0-127, 'r' (rest) or '_' (hold)"
            )
        else:
            voices[slot - 1].append(token)
    return Frames(voices, fermatas, tuple(names))
