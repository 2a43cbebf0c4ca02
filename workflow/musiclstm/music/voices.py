"""The chorale token codec: four voices, one frame per time step, written as one stream.

A chorale is a list of frames, one per time step (a sixteenth note by default). A frame is a
frame token, then one token per voice in the order soprano, alto, tenor, bass, each a MIDI
pitch, ``r`` (rest) or ``_`` (hold) as in a melody:

    |  67 64 60 48   |  _ _ _ _   |F 67 62 59 43   |F _ _ _ _

The frame token is ``|`` or, while a note under a fermata sounds (a phrase ends), ``|F``; a model
therefore reads the fermata of a frame before it writes the frame's voices. A held note and a
repeated note differ (``_`` against the pitch again), which the JSB chorale pickles cannot tell.
Each voice's own tokens (every fifth token) are a melody in the melody codec of
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

VOICES = ("soprano", "alto", "tenor", "bass")
FRAME = "|"
FERMATA_FRAME = "|F"
FRAME_TOKENS = (FRAME, FERMATA_FRAME)
FRAME_WIDTH = 1 + len(VOICES)  # tokens per frame


@dataclass(frozen=True)
class Chorale:
    """Four voices on one grid: each voice's tokens (one per frame) and the frames under a
    fermata."""

    voices: tuple[list[str], ...]  # soprano, alto, tenor, bass
    fermatas: list[bool]

    def __post_init__(self):
        if len(self.voices) != len(VOICES):
            raise ValueError(f"a chorale has {len(VOICES)} voices, not {len(self.voices)}")
        lengths = {len(voice) for voice in self.voices} | {len(self.fermatas)}
        if len(lengths) != 1:
            raise ValueError(f"voices and fermatas differ in length: {sorted(lengths)}")

    @property
    def frames(self) -> int:
        return len(self.fermatas)

    @classmethod
    def from_events(cls, voices: list[list[Event]], fermatas: list[bool]) -> Chorale:
        """Four voices' ``(pitch or None, steps)`` events; each must last ``len(fermatas)``."""
        return cls(tuple(events_to_tokens(events) for events in voices), list(fermatas))

    def events(self) -> list[list[Event]]:
        """Each voice as ``(pitch or None, steps)`` events."""
        return [tokens_to_events(voice) for voice in self.voices]

    def tokens(self) -> list[str]:
        """The stream: per frame, the frame token and the four voices' tokens."""
        stream: list[str] = []
        for frame, fermata in enumerate(self.fermatas):
            stream.append(FERMATA_FRAME if fermata else FRAME)
            stream.extend(voice[frame] for voice in self.voices)
        return stream

    def transposed(self, semitones: int) -> Chorale:
        return Chorale(
            tuple(transpose_tokens(voice, semitones) for voice in self.voices), self.fermatas
        )


def parse_chorale(tokens: list[str]) -> Chorale:
    """The chorale of a token stream; a token out of place is named with what is allowed there."""
    if len(tokens) % FRAME_WIDTH:
        raise ValueError(
            f"a chorale has {FRAME_WIDTH} tokens per frame; {len(tokens)} tokens leave "
            f"{len(tokens) % FRAME_WIDTH} over"
        )
    voices: tuple[list[str], ...] = tuple([] for _ in VOICES)
    fermatas = []
    for position, token in enumerate(tokens):
        slot = position % FRAME_WIDTH
        if slot == 0:
            if token not in FRAME_TOKENS:
                raise ValueError(
                    f"token {token!r} at position {position} opens a frame: it must be "
                    f"{FRAME!r} or {FERMATA_FRAME!r} (under a fermata)"
                )
            fermatas.append(token == FERMATA_FRAME)
        elif not is_music_token(token):
            raise ValueError(
                f"token {token!r} at position {position} ({VOICES[slot - 1]}) is not a MIDI "
                "pitch 0-127, 'r' (rest) or '_' (hold)"
            )
        else:
            voices[slot - 1].append(token)
    return Chorale(voices, fermatas)
