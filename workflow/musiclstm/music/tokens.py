"""The token codec: one token per time step.

A melody is a list of events ``(pitch, steps)`` where ``pitch`` is a MIDI pitch number or
``None`` for a rest and ``steps`` is the length in time steps (a sixteenth note by default). Each
event becomes its onset token (the pitch as a decimal number, or ``r`` for a rest) followed by
``steps - 1`` hold tokens ``_``:

    [(62, 4), (None, 4), (64, 2), (67, 2)]  <->  62 _ _ _ r _ _ _ 64 _ 67 _

The song boundary ``/`` and the unknown token ``<unk>`` only appear in the vocabulary and the
tensors; text files hold one song per line instead.
"""

from __future__ import annotations

REST = "r"
HOLD = "_"
BOUNDARY = "/"
UNKNOWN = "<unk>"
SPECIAL_TOKENS = (BOUNDARY, UNKNOWN)

Event = tuple[int | None, int]


def is_pitch(token: str) -> bool:
    """True for a MIDI pitch token (``0`` to ``127``, no sign, no leading zeros)."""
    return token.isdigit() and str(int(token)) == token and 0 <= int(token) <= 127


def is_onset(token: str) -> bool:
    """True for a token that starts a note or a rest."""
    return token == REST or is_pitch(token)


def is_music_token(token: str) -> bool:
    """True for any token that may appear in a song: a pitch, a rest or a hold."""
    return token == HOLD or is_onset(token)


def events_to_tokens(events: list[Event]) -> list[str]:
    """Encode ``(pitch or None, steps)`` events as tokens; every event lasts at least one step."""
    tokens: list[str] = []
    for pitch, steps in events:
        if steps < 1:
            raise ValueError(f"event ({pitch}, {steps}) lasts less than one time step")
        tokens.append(REST if pitch is None else str(pitch))
        tokens.extend([HOLD] * (steps - 1))
    return tokens


def tokens_to_events(tokens: list[str]) -> list[Event]:
    """Decode tokens into ``(pitch or None, steps)`` events.

    A hold at the very start has nothing to hold and counts as a rest. Consecutive rests are merged,
    since ``r _`` and ``r r`` sound the same.
    """
    events: list[Event] = []
    for position, token in enumerate(tokens):
        if token == HOLD:
            if events:
                pitch, steps = events[-1]
                events[-1] = (pitch, steps + 1)
            else:
                events.append((None, 1))
        elif token == REST:
            if events and events[-1][0] is None:
                events[-1] = (None, events[-1][1] + 1)
            else:
                events.append((None, 1))
        elif is_pitch(token):
            events.append((int(token), 1))
        else:
            raise ValueError(
                f"token {token!r} at position {position} is not a MIDI pitch (0-127), "
                f"{REST!r} (rest) or {HOLD!r} (hold)"
            )
    return events


def notes_to_events(notes: list[tuple[int, int, int]], length: int = 0) -> list[Event]:
    """``(first step, end step, pitch)`` notes, in onset order, as events with rests in the gaps
    and, up to ``length`` steps, after the last note.

    A note ends where the next one starts at the latest (a melody plays one note at a time); a
    note left without a step by that (two onsets on one step) gives way to the later note.
    """
    events: list[Event] = []
    position = 0
    for index, (first, last, pitch) in enumerate(notes):
        if index + 1 < len(notes):
            last = min(last, notes[index + 1][0])
        if last <= first:
            continue
        if first > position:
            events.append((None, first - position))
        events.append((pitch, last - first))
        position = last
    if length > position:
        events.append((None, length - position))
    return events


def transpose_events(events: list[Event], semitones: int) -> list[Event]:
    """The events with every pitch moved by ``semitones`` (rests stay rests)."""
    return [(None if pitch is None else pitch + semitones, steps) for pitch, steps in events]


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


def parse_token_string(text: str, what: str = "melody") -> list[str]:
    """Split a space-separated token string and check every token, naming the first bad one."""
    tokens = text.split()
    for position, token in enumerate(tokens):
        if not is_music_token(token):
            raise ValueError(
                f"{what}: token {token!r} at position {position} is not allowed; a token is a "
                f"MIDI pitch 0-127 (e.g. 60), {REST!r} for a rest or {HOLD!r} to hold"
            )
    return tokens


def count_onsets(tokens: list[str]) -> int:
    """Number of note and rest onsets."""
    return sum(1 for token in tokens if is_onset(token))
