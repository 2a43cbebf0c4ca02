"""Phrases of an ABC tune, read from its text: in the Essen folk song collection each line of a
tune's body is one phrase, and music21's ABC parser drops the line breaks. A tune's phrase ends
are where folk-song form is built from and where a harmonisation cadences.

Each body line's length is summed from its notes' lengths (the unit ``L:``, a note's multiplier
and divisor, tuplets ``(3``; broken rhythm ``>`` and ``<`` moves length between two notes and
leaves the line's sum as it is; grace notes ``{...}`` take no time; a chord ``[CEG]`` lasts as its
first note). A tune is read only where the phrases add up to the song as the encoder wrote it;
the caller checks that (:func:`phrase_ends` returns every line's end).
"""

from __future__ import annotations

import re
from fractions import Fraction

HEADER = re.compile(r"^[A-Za-z]:")
LENGTH = re.compile(r"(\d*)(/*)(\d*)")
NOTE = re.compile(r"[_^=]*([A-Ga-gzx])[,']*")
SKIPPED = {'"': '"', "!": "!", "+": "+"}  # annotations and decorations, to their closing mark


def body_lines(tune: str) -> tuple[Fraction, list[str]]:
    """The unit note length (``L:``, as a fraction of a whole note; 1/8 by default) and the
    tune's body lines: those after its ``K:`` line, comments, fields and empty lines left out."""
    unit, body, started = Fraction(1, 8), [], False
    for line in tune.splitlines():
        line = line.split("%", 1)[0].rstrip()
        if HEADER.match(line):
            if line.startswith("L:"):
                unit = Fraction(line[2:].strip())
            started = started or line.startswith("K:")
            continue
        if started and line.strip():
            body.append(line)
    return unit, body


def note_length(text: str, position: int) -> tuple[Fraction, int]:
    """The multiplier written after a note at ``position`` (``2``, ``/``, ``3/2``, ``//``) and
    where it ends."""
    match = LENGTH.match(text, position)
    number, slashes, divisor = match.groups()
    length = Fraction(int(number) if number else 1)
    if slashes:
        length /= int(divisor) if divisor else 2 ** len(slashes)
    return length, match.end()


def line_length(line: str) -> Fraction:
    """The line's length in units of ``L:``."""
    total, position, tuplet = Fraction(0), 0, None  # tuplet: [notes left, ratio]
    while position < len(line):
        char = line[position]
        if char in SKIPPED:
            end = line.find(SKIPPED[char], position + 1)
            position = len(line) if end < 0 else end + 1
        elif char == "{":
            end = line.find("}", position)
            position = len(line) if end < 0 else end + 1
        elif char == "(" and position + 1 < len(line) and line[position + 1].isdigit():
            count = int(line[position + 1])
            # (3 is three in the time of two, (2 two in three, (4 four in three; others: two.
            in_time_of = {2: 3, 3: 2, 4: 3, 6: 2}.get(count, 2)
            tuplet = [count, Fraction(in_time_of, count)]
            position += 2
            while position < len(line) and line[position] in ":0123456789":
                position += 1
        elif char == "[" and position + 1 < len(line) and line[position + 1] in "KLMPQ":
            end = line.find("]", position)  # an inline field
            field = line[position + 1 : end if end > 0 else len(line)]
            if field.startswith("L:"):
                raise ValueError("a unit length changes within the tune")
            position = len(line) if end < 0 else end + 1
        elif char == "[" and position + 1 < len(line) and NOTE.match(line, position + 1):
            end = line.find("]", position)  # a chord: as long as its first note
            first = NOTE.match(line, position + 1)
            length, _ = note_length(line, first.end())
            after, position = note_length(line, end + 1)
            total, tuplet = add(total, length * after, tuplet)
        elif match := NOTE.match(line, position):
            length, position = note_length(line, match.end())
            total, tuplet = add(total, length, tuplet)
        else:
            position += 1  # bar lines, ties, broken rhythm, spaces
    return total


def add(total: Fraction, length: Fraction, tuplet):
    """``total`` with a note of ``length`` added, shortened if it is in a tuplet."""
    if tuplet is None:
        return total + length, None
    total += length * tuplet[1]
    tuplet[0] -= 1
    return total, tuplet if tuplet[0] > 0 else None


def song_phrase_ends(tune: str, time_step: float, length: int) -> list[int]:
    """:func:`phrase_ends` of ``tune`` where they add up to the song of ``length`` steps the
    encoder wrote from it, else [] (a tune it could not read, or whose repeats were written out)."""
    try:
        ends = phrase_ends(tune, time_step)
    except (ValueError, ZeroDivisionError):
        return []
    return ends if ends and ends[-1] == length else []


TRAILING_RESTS = re.compile(r"([zx][\d/]*|[\s|:\]])*$")


def phrase_ends(tune: str, time_step: float) -> list[int]:
    """The step (of ``time_step`` quarter notes) at which each body line of the ABC ``tune``
    ends, in order, the rests that end the tune left out (the encoder drops them); raises
    ValueError where a line's length is not a whole number of steps."""
    unit, lines = body_lines(tune)
    if lines:
        lines[-1] = TRAILING_RESTS.sub("", lines[-1])
    ends, total = [], Fraction(0)
    step = Fraction(time_step).limit_denominator(1000) / 4  # of a whole note
    for line in lines:
        total += line_length(line) * unit
        steps = total / step
        if steps.denominator != 1:
            raise ValueError(f"the line {line!r} does not end on a step of the grid")
        if not ends or int(steps) > ends[-1]:
            ends.append(int(steps))
    return ends
