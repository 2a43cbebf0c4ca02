"""A parsed score as the songs the encoding takes from it: its repeats played out or as written
(``encoding.repeats``), and cut at its meter changes (``encoding.meter_changes``).

A string quartet in one file changes meter between movements, and often inside one; the model
counts bars in one meter per song, so ``split`` makes each stretch of one meter a song of its
own, named by the measures it spans (``...#bars12-40``, by position, from 1), so that every
section is accounted for as encoded or rejected like any song.
"""

from __future__ import annotations

import music21

from musiclstm.data.parsing import MidiSong
from musiclstm.data.rejects import METER_CHANGE, REPEATS, Rejected
from musiclstm.settings import EncodingSettings

SECTION_MARK = "#bars"  # what a section's id adds to its song's


def song_sections(
    song_id: str, song: music21.stream.Score | MidiSong, encoding: EncodingSettings
) -> list[tuple[str, music21.stream.Score | MidiSong]]:
    """``(song_id, song)`` pairs of a parsed song as the encoding's repeat and meter policies
    ask: the song itself, or its sections. MIDI songs are taken as they are."""
    if isinstance(song, MidiSong):
        return [(song_id, song)]
    if encoding.repeats == "expand":
        song = expanded(song)
    elif encoding.repeats != "as_written":
        raise ValueError(f"repeats must be 'as_written' or 'expand', not {encoding.repeats!r}")
    return meter_sections(song_id, song, encoding.meter_changes)


def expanded(score: music21.stream.Score) -> music21.stream.Score:
    """The score with its repeats and endings played out; rejects one music21 cannot expand."""
    try:
        return score.expandRepeats()
    except Exception as error:  # music21 raises several kinds on inconsistent repeat marks
        raise Rejected(
            REPEATS,
            f"the repeats do not expand ({type(error).__name__}: {error}); set "
            "encoding.repeats to as_written to encode the score as printed",
        ) from error


def meter_changes(score: music21.stream.Score) -> list[tuple[int, str]]:
    """``(measure position from 0, n/d)`` of every new time signature of the score's first part
    after its first measure (every part of a score changes meter together)."""
    if not score.parts:
        return []
    measures = score.parts[0].getElementsByClass(music21.stream.Measure)
    changes, current = [], None
    for position, measure in enumerate(measures):
        signature = measure.timeSignature
        if signature is None:
            continue
        if current is not None and signature.ratioString != current:
            changes.append((position, signature.ratioString))
        current = signature.ratioString
    return changes


def meter_sections(
    song_id: str, score: music21.stream.Score, policy: str
) -> list[tuple[str, music21.stream.Score]]:
    """The score whole (``first``), or one section per meter (``split``); ``reject`` rejects a
    score whose meter changes."""
    if policy not in ("first", "split", "reject"):
        raise ValueError(f"meter_changes must be 'first', 'split' or 'reject', not {policy!r}")
    changes = meter_changes(score) if policy != "first" else []
    if not changes:
        return [(song_id, score)]
    if policy == "reject":
        position, signature = changes[0]
        raise Rejected(
            METER_CHANGE,
            f"the meter changes to {signature} at measure {position + 1} ({len(changes)} "
            "changes); set encoding.meter_changes to split to encode each meter as a song, or "
            "to first to count bars in the first meter throughout",
        )
    n_measures = len(score.parts[0].getElementsByClass(music21.stream.Measure))
    starts = [0] + [position for position, _ in changes]
    ends = [position - 1 for position, _ in changes] + [n_measures - 1]
    return [
        (
            f"{song_id}{SECTION_MARK}{first + 1}-{last + 1}",
            score.measures(first, last + 1, indicesNotNumbers=True),  # by index: end excluded
        )
        for first, last in zip(starts, ends, strict=True)
    ]


def unsectioned(song_id: str) -> str:
    """The id of the song a section was cut from (a song's own id if it is not a section)."""
    return song_id.split(SECTION_MARK, 1)[0]
