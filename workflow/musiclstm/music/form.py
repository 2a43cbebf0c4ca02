"""A melody's form, bar by bar: which earlier bar each bar repeats, and how.

Folk tunes are built from repeats: a phrase is said again exactly (AABB), moved to another pitch (a
sequence) or with its rhythm kept and new pitches (a varied repeat). Each bar is compared with the
bars ``distances`` bars earlier (1, 2, 4 and 8 by default: the bars a melody model looks back at)
and labelled by the first relation found, in this order of preference:

- ``exact``: the same tokens;
- ``moved``: the same rhythm and intervals at another pitch;
- ``rhythm``: the same rhythm (notes, rests and holds at the same steps), other pitches;
- ``new``: none of these.

Bars are counted from the song's first bar line; an anacrusis is bar 0 of a song that has one
(and is always ``new``), and the last bar may be short (it is compared with as many steps of the
earlier bar). The labels are small integers (:func:`form_label`) so that a model can read them and
a plan can be drawn from a training song and given to the sampler.
"""

from __future__ import annotations

from typing import NamedTuple

from musiclstm.music.tokens import HOLD, REST, is_pitch

RELATIONS = ("exact", "moved", "rhythm")
UNKNOWN = 0  # no plan: the model is not told the bar's form
NEW = 1  # repeats none of the earlier bars looked at


class BarRelation(NamedTuple):
    """How a bar relates to an earlier one: ``kind`` one of :data:`RELATIONS` or ``new``, and
    how many bars back (0 for ``new``)."""

    kind: str
    distance: int


def bar_starts(length: int, bar: int, pickup: int) -> list[int]:
    """The first step of every bar of a song of ``length`` steps in bars of ``bar`` steps that
    starts ``pickup`` steps into its first bar: 0 first, then each bar line."""
    first_line = (bar - pickup) % bar
    starts = list(range(first_line, length, bar))
    return starts if starts and starts[0] == 0 else [0, *starts]


def rhythm(tokens: list[str]) -> tuple:
    """Where notes start, rests start and notes are held, pitches left out."""
    return tuple("n" if is_pitch(t) else t if t in (REST, HOLD) else "?" for t in tokens)


def shape(tokens: list[str]) -> tuple | None:
    """Rhythm and intervals: the same for the tokens moved to any pitch (None: no note)."""
    pitches = [int(t) for t in tokens if is_pitch(t)]
    if not pitches:
        return None
    return tuple(int(t) - pitches[0] if is_pitch(t) else t for t in tokens)


def bar_relations(
    tokens: list[str], bar: int, pickup: int, distances: tuple[int, ...] = (1, 2, 4, 8)
) -> list[BarRelation]:
    """How each bar of ``tokens`` relates to the bars ``distances`` back (see the module)."""
    relations = []
    for start in bar_starts(len(tokens), bar, pickup):
        piece = tokens[start : start + bar]
        # Bars are whole from the first bar line, so a bar is never compared with an anacrusis.
        earlier = [
            (distance, tokens[start - distance * bar : start - distance * bar + len(piece)])
            for distance in distances
            if start - distance * bar >= 0
        ]
        relations.append(relation(piece, earlier))
    return relations


def relation(piece: list[str], earlier: list[tuple[int, list[str]]]) -> BarRelation:
    """The first relation, in :data:`RELATIONS` order, of ``piece`` to one of ``earlier``."""
    tests = (
        lambda other: other == piece,
        lambda other: shape(piece) is not None and shape(other) == shape(piece),
        lambda other: rhythm(other) == rhythm(piece),
    )
    for kind, same in zip(RELATIONS, tests, strict=True):
        for distance, other in earlier:
            if same(other):
                return BarRelation(kind, distance)
    return BarRelation("new", 0)


def form_label(relation_: BarRelation, distances: tuple[int, ...]) -> int:
    """The integer a model reads: :data:`NEW`, or one per relation and distance after it."""
    if relation_.kind == "new":
        return NEW
    return (
        NEW
        + 1
        + RELATIONS.index(relation_.kind) * len(distances)
        + distances.index(relation_.distance)
    )


def form_labels(tokens: list[str], bar: int, pickup: int, distances: tuple[int, ...]) -> list[int]:
    """The label of every bar of ``tokens`` (:func:`bar_relations`); [] where the meter is
    unknown."""
    if bar <= 0:
        return []
    return [form_label(r, distances) for r in bar_relations(tokens, bar, pickup, distances)]


def label_count(distances: tuple[int, ...]) -> int:
    """How many labels there are: unknown, new, and one per relation and distance."""
    return NEW + 1 + len(RELATIONS) * len(distances)


ECHOED = RELATIONS[:2]  # the relations a bar is told it will come back in


def echo_labels(labels: tuple[int, ...], distances: tuple[int, ...]) -> tuple[int, ...]:
    """For each bar, whether a later bar repeats it exactly or moved, and how many bars later
    (the last such bar; :data:`NEW` where none does, :data:`UNKNOWN` where ``labels`` are): so
    that a phrase the song will end with is written as an ending the first time too."""
    echoes = [UNKNOWN if label == UNKNOWN else NEW for label in labels]
    for later, label in enumerate(labels):
        index = label - NEW - 1
        if label <= NEW or index >= len(ECHOED) * len(distances):
            continue  # new, unknown, or a rhythm only
        kind, which = divmod(index, len(distances))
        earlier = later - distances[which]
        if earlier >= 0:
            echoes[earlier] = NEW + 1 + kind * len(distances) + which
    return tuple(echoes)


def echo_count(distances: tuple[int, ...]) -> int:
    """How many echo labels there are: unknown, none, one per echoed relation and distance."""
    return NEW + 1 + len(ECHOED) * len(distances)
