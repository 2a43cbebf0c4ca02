"""Plain musical features of one melody, the ones a listener or a folk-song scholar would name:
note lengths, intervals, pitch classes, range, rests, contour, repeats, motifs, the opening and
the ending. A classifier reads them to tell generated songs from a corpus
(:mod:`.distinguishability`), so each is a number per song, and shares rather than counts where
songs differ in length.

Songs are moved to C major / A minor by their own key first, so that a pitch class means the same
degree of the scale in every song.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from musiclstm.music.form import bar_relations
from musiclstm.music.tokens import REST, is_pitch, tokens_to_events, transpose_events
from musiclstm.music.tonality import C_MAJOR_OR_A_MINOR, song_key

NOTE_LENGTHS = (1, 2, 3, 4, 6, 8, 12, 16)  # in sixteenths; longer or other lengths: "other"
INTERVALS = tuple(range(-7, 8))  # semitones; wider leaps counted apart, up and down
MOTIF = 4  # intervals in a motif


def motif_reuse(pitches: list[int], size: int = MOTIF) -> float:
    """The share of the song's ``size``-interval motifs (intervals between successive notes) that
    occur more than once in it (0 where it has none)."""
    intervals = [b - a for a, b in zip(pitches, pitches[1:], strict=False)]
    motifs = [tuple(intervals[i : i + size]) for i in range(len(intervals) - size + 1)]
    if not motifs:
        return 0.0
    counts = Counter(motifs)
    return sum(counts[motif] > 1 for motif in motifs) / len(motifs)


def repeat_shares(tokens: list[str], bar: int, pickup: int) -> dict[str, float]:
    """The shares of bars that repeat one 1, 2, 4 or 8 bars back exactly, moved to another pitch,
    or in rhythm only (:mod:`musiclstm.music.form`), over the bars after the first whole one."""
    if bar <= 0:
        return {"exact_repeats": 0.0, "moved_repeats": 0.0, "rhythm_repeats": 0.0}
    first_whole = 2 if pickup % bar else 1  # an anacrusis, then the first whole bar
    relations = bar_relations(tokens, bar, pickup)[first_whole:]
    counts = Counter(relation.kind for relation in relations)
    total = max(len(relations), 1)
    return {f"{kind}_repeats": counts[kind] / total for kind in ("exact", "moved", "rhythm")}


def melody_features(
    tokens: list[str], bar: int, pickup: int, beat: int = 4, allowed=C_MAJOR_OR_A_MINOR
) -> dict[str, float]:
    """The features of one melody of ``tokens`` in bars of ``bar`` steps (0: unknown) and beats
    of ``beat`` steps, starting ``pickup`` steps into its first bar; ``allowed`` are the keys it
    may be in."""
    events = tokens_to_events(tokens)
    key = song_key(events, allowed)
    events = transpose_events(events, key.shift_to_c)
    tonic = (key.tonic + key.shift_to_c) % 12
    notes = [(pitch, steps) for pitch, steps in events if pitch is not None]
    pitches = [pitch for pitch, _ in notes]
    lengths = [steps for _, steps in notes]
    intervals = [b - a for a, b in zip(pitches, pitches[1:], strict=False)]
    bars = max(len(tokens) / bar, 1.0) if bar > 0 else max(len(tokens) / 16, 1.0)
    features = {}
    length_counts = Counter(steps if steps in NOTE_LENGTHS else "other" for steps in lengths)
    for steps in (*NOTE_LENGTHS, "other"):
        features[f"note_length_{steps}"] = share(length_counts[steps], len(lengths))
    interval_counts = Counter(
        i if i in INTERVALS else ("leap_up" if i > 0 else "leap_down") for i in intervals
    )
    for interval in (*INTERVALS, "leap_up", "leap_down"):
        features[f"interval_{interval}"] = share(interval_counts[interval], len(intervals))
    degree_counts = Counter((pitch - tonic) % 12 for pitch in pitches)
    for degree in range(12):
        features[f"pitch_class_{degree}"] = share(degree_counts[degree], len(pitches))
    features |= {
        "minor": float(key.mode == "minor"),
        "range": float(max(pitches) - min(pitches)) if pitches else 0.0,
        "pitch_spread": float(np.std(pitches)) if pitches else 0.0,
        "mean_pitch_over_tonic": float(np.mean(pitches)) - (60 + tonic) if pitches else 0.0,
        "notes_per_bar": len(pitches) / bars,
        "rest_share": share(sum(t == REST for t in tokens), len(tokens)),
        "mean_note_length": float(np.mean(lengths)) if lengths else 0.0,
        "direction_changes": direction_changes(intervals),
        "motif_reuse": motif_reuse(pitches),
        **repeat_shares(tokens, bar, pickup),
        "off_beat_onsets": off_beat_onsets(tokens, beat or 4, pickup),
        "upbeat": float(bar > 0 and pickup % bar != 0),
        "upbeat_length": ((bar - pickup) % bar) / bar if bar > 0 else 0.0,
        "first_on_tonic": float(bool(pitches) and (pitches[0] - tonic) % 12 == 0),
        "last_on_tonic": float(bool(pitches) and (pitches[-1] - tonic) % 12 == 0),
        "last_note_bars": lengths[-1] / bar if lengths and bar > 0 else 0.0,
    }
    return features


def share(count: int, total: int) -> float:
    return count / total if total else 0.0


def direction_changes(intervals: list[int]) -> float:
    """The share of moves (repeated notes skipped) that turn against the one before."""
    moves = [np.sign(i) for i in intervals if i]
    return share(sum(a != b for a, b in zip(moves, moves[1:], strict=False)), len(moves) - 1)


def off_beat_onsets(tokens: list[str], beat: int, pickup: int) -> float:
    """The share of notes that start off a beat of ``beat`` steps."""
    onsets = [i for i, token in enumerate(tokens) if is_pitch(token)]
    return share(sum((i + pickup) % beat != 0 for i in onsets), len(onsets))


def feature_names() -> list[str]:
    """The features' names, in the order :func:`melody_features` gives them."""
    return list(melody_features(["60", "_", "_", "_"], 16, 0, 4))


__all__ = ["feature_names", "melody_features", "motif_reuse", "repeat_shares"]
