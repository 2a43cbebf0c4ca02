"""A piece of music as every writer takes it: named parts of events on one grid, with its meter,
anacrusis, key, tempo and marks.

A texture (:mod:`musiclstm.textures`) decodes its tokens into a :class:`Piece`; the MIDI writer,
the score writer, the audio writer and the piano roll read only the piece, so they are the same
for a melody, a chorale or a string quartet. A part's events are ``(pitch or None, steps)`` from
the first bar line on or, where the piece has an anacrusis, from its first note: the score and
the piano roll put ``pickup_steps`` of silence before it, so that every bar line falls where it
belongs (a MIDI file starts on its first note, as the encoder reads one back).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from musiclstm.music.meter import bar_steps
from musiclstm.music.tokens import Event, events_to_tokens
from musiclstm.music.tonality import SongKey


@dataclass(frozen=True)
class Part:
    """One voice or instrument: its name (the staff's and the MIDI track's), its events, its
    General MIDI program and its clef (``auto``: the one with the fewest ledger lines)."""

    name: str
    events: tuple[Event, ...]
    program: int = 0
    clef: str = "auto"

    @property
    def pitches(self) -> list[int]:
        return [pitch for pitch, _ in self.events if pitch is not None]

    @property
    def tokens(self) -> list[str]:
        return events_to_tokens(list(self.events))


@dataclass(frozen=True)
class Piece:
    """Parts on one grid of ``time_step`` quarters, in ``time_signature`` at ``tempo_bpm``,
    written in ``key``; the first ``pickup_steps`` of its first bar are silent (an anacrusis);
    ``fermatas`` marks the steps under a fermata (empty: none); ``staves`` groups the parts that
    share a staff (empty: a staff per part), and ``texture`` says what wrote it."""

    parts: tuple[Part, ...]
    time_step: float
    time_signature: str
    tempo_bpm: float
    key: SongKey
    pickup_steps: int = 0
    fermatas: tuple[bool, ...] = ()
    staves: tuple[tuple[int, ...], ...] = field(default=())
    title: str = ""
    texture: str = ""

    def __post_init__(self):
        if not self.parts:
            raise ValueError("a piece has at least one part")
        lengths = {sum(steps for _, steps in part.events) for part in self.parts}
        if len(lengths) != 1:
            raise ValueError(f"the parts of a piece differ in length: {sorted(lengths)} steps")

    @property
    def steps(self) -> int:
        """The piece's length in steps, from its first note (the anacrusis not counted)."""
        return sum(steps for _, steps in self.parts[0].events)

    @property
    def bar(self) -> int:
        return bar_steps(self.time_signature, self.time_step)

    @property
    def pitches(self) -> list[int]:
        return [pitch for part in self.parts for pitch in part.pitches]

    @property
    def staff_groups(self) -> tuple[tuple[int, ...], ...]:
        """The parts of each staff, top to bottom."""
        return self.staves or tuple((index,) for index in range(len(self.parts)))


def outer_events(parts: tuple[Part, ...]) -> list[Event]:
    """The events of the top and bottom parts, which settle a piece's key (the tune and the
    bass's cadences); a piece of one part is that part."""
    top, bottom = parts[0], parts[-1]
    return list(top.events) + (list(bottom.events) if len(parts) > 1 else [])
