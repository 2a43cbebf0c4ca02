"""Each part's own figures in a set of pieces of several voices, pooled by voice name: how often
it rests and how long its notes last, to set generated parts beside held-out ones.

- ``rest_share``: the share of the part's frames in which it rests (a hold at a piece's start
  holds nothing, so it rests too);
- ``mean_note_frames``: the mean length of its notes in frames (a repeated pitch is a new note);
- ``note_length_shares``: its notes by length in frames, in the buckets of :data:`LENGTH_BUCKETS`,
  as shares of its notes.

A frame holds one token per part, so a part plays one note at a time: no double stops here.
Shares whose denominator is empty are ``None``.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from musiclstm.music.frames import Frames

# The upper bounds of the note-length buckets, in frames: 1 to 4 each on its own (on the default
# sixteenth grid, a sixteenth to a crotchet), then dotted and plain longer values grouped.
LENGTH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16)


def bucket_labels() -> list[str]:
    """The buckets' names, shortest first: ``1`` ... ``4``, ``5-6`` ... ``13-16``, ``>16``."""
    labels, lower = [], 1
    for upper in LENGTH_BUCKETS:
        labels.append(str(upper) if lower == upper else f"{lower}-{upper}")
        lower = upper + 1
    return labels + [f">{LENGTH_BUCKETS[-1]}"]


def length_bucket(frames: int) -> str:
    """The bucket of a note ``frames`` long."""
    for upper, label in zip(LENGTH_BUCKETS, bucket_labels(), strict=False):
        if frames <= upper:
            return label
    return bucket_labels()[-1]


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def figures(frames: int, rest_frames: int, note_lengths: list[int]) -> dict:
    """One part's figures from its frames, the frames it rests in and its notes' lengths."""
    buckets = Counter(length_bucket(length) for length in note_lengths)
    notes = len(note_lengths)
    return {
        "frames": frames,
        "notes": notes,
        "rest_share": ratio(rest_frames, frames),
        "mean_note_frames": ratio(sum(note_lengths), notes),
        "note_length_shares": {label: ratio(buckets[label], notes) for label in bucket_labels()},
    }


def part_figures(pieces: list[Frames]) -> dict[str, dict]:
    """Each part's :func:`figures`, by voice name in score order, pooled over ``pieces``."""
    frames: Counter = Counter()
    rest_frames: Counter = Counter()
    note_lengths: defaultdict[str, list[int]] = defaultdict(list)
    for piece in pieces:
        for name, events in zip(piece.names, piece.events(), strict=True):
            frames[name] += piece.frames
            rest_frames[name] += sum(steps for pitch, steps in events if pitch is None)
            note_lengths[name] += [steps for pitch, steps in events if pitch is not None]
    return {name: figures(frames[name], rest_frames[name], note_lengths[name]) for name in frames}
