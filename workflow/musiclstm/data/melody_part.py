"""Choosing the melody: which part of a score, or which track and channel of a MIDI file.

``encoding.melody_part`` decides among the parts that have pitched notes, in the same way for both
formats (:func:`choose_part`): drum parts, unpitched percussion and chord symbols never count.
"""

from __future__ import annotations

from operator import attrgetter

import music21

from musiclstm.data.rejects import DRUMS_ONLY, NO_MELODY_PART, NO_NOTES, Rejected
from musiclstm.music.midi_file import MidiPart
from musiclstm.settings import EncodingSettings


def is_pitched(element: music21.base.Music21Object) -> bool:
    """A note or chord with pitches: not a chord symbol, not unpitched percussion."""
    return isinstance(element, (music21.note.Note, music21.chord.Chord)) and not isinstance(
        element, music21.harmony.Harmony
    )


def pitched_notes(part: music21.stream.Stream) -> list[music21.note.NotRest]:
    """The notes and chords of a part that have pitches."""
    return [element for element in part.recurse().notes if is_pitched(element)]


def part_names(part: music21.stream.Stream) -> list[str]:
    """The names a part goes by: its name, abbreviation and id, and its instrument's names."""
    names = [getattr(part, "partName", None), getattr(part, "partAbbreviation", None), part.id]
    instrument = part.getInstrument(returnDefault=False) if hasattr(part, "getInstrument") else None
    if instrument is not None:
        names += [instrument.partName, instrument.instrumentName]
    return list(dict.fromkeys(str(name) for name in names if name))


def choose_part(candidates: list, encoding: EncodingSettings, names_of, mean_pitch_of, describe):
    """The melody among ``candidates`` (parts with pitched notes, in score order), as
    ``encoding.melody_part`` asks; the three functions give a candidate's names, mean pitch and
    description, so that score parts and MIDI parts are chosen alike.

    ``first`` takes the first; ``highest`` the one with the highest mean pitch; ``named`` the first
    whose name contains ``melody_part_name``, ignoring case.
    """
    choice, name = encoding.melody_part, encoding.melody_part_name
    if choice == "first":
        return candidates[0]
    if choice == "highest":
        return max(candidates, key=mean_pitch_of)
    if choice == "named":
        wanted = name.casefold()
        for candidate in candidates:
            if any(wanted in found.casefold() for found in names_of(candidate)):
                return candidate
        raise Rejected(
            NO_MELODY_PART,
            f"no part is named like {name!r}; the parts with notes are "
            + ", ".join(describe(candidate) for candidate in candidates),
        )
    raise ValueError(f"melody_part must be 'first', 'highest' or 'named', not {choice!r}")


def pick_melody_part(
    score: music21.stream.Score, encoding: EncodingSettings
) -> music21.stream.Stream:
    """The part of a score that holds the melody (drum parts and chord symbols never count)."""
    parts = list(score.parts) or [score]
    candidates = [part for part in parts if pitched_notes(part)]
    if not candidates:
        if any(part.recurse().notes for part in parts):
            raise Rejected(DRUMS_ONLY, "the song's only notes are unpitched percussion")
        raise Rejected(NO_NOTES, "the song has no notes")
    return choose_part(candidates, encoding, part_names, mean_pitch, describe_part)


def pick_midi_part(parts: list[MidiPart], encoding: EncodingSettings) -> MidiPart:
    """The track and channel of a MIDI song that holds the melody; the drum channel never does."""
    candidates = [part for part in parts if part.notes and not part.is_drums]
    if not candidates:
        if any(part.is_drums for part in parts):
            raise Rejected(DRUMS_ONLY, "the only notes are drums (MIDI channel 10)")
        raise Rejected(NO_NOTES, "the file has no notes")
    return choose_part(
        candidates, encoding, attrgetter("names"), attrgetter("mean_pitch"), MidiPart.describe
    )


def describe_part(part: music21.stream.Stream) -> str:
    """A part as a reject detail lists it: its first two names, quoted."""
    return repr(" / ".join(part_names(part)[:2]) or "unnamed")


def mean_pitch(part: music21.stream.Stream) -> float:
    """Mean MIDI pitch of a part's notes (a chord counts with its top note)."""
    pitches = [top_pitch(note) for note in pitched_notes(part)]
    return sum(pitches) / len(pitches)


def top_pitch(note: music21.note.GeneralNote) -> int:
    """MIDI pitch of a note, or of the highest note of a chord."""
    return max(pitch.midi for pitch in note.pitches)
