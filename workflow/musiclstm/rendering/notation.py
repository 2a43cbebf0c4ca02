"""A piece as a score: MusicXML written with music21, engraved as SVG with verovio.

The score has the piece's time signature, bar lines, its key signature (C major / A minor unless
it was written in another key), notes spelled in that key (:mod:`.spelling`), ties across bar
lines, a tempo mark, a rest before an anacrusis so that its bar lines fall in place, and a
fermata where a phrase ends.

A piece of one part (a melody) gets the clef that needs the fewest ledger lines: treble, bass,
treble with an 8 below (a low melody read an octave up, as tenors and guitarists do), or a grand
staff (treble and bass joined by a brace, the notes from middle C up on the treble staff) for a
melody too wide for one staff. A piece of several parts gets the staves its texture lays out: a
staff per part in the part's clef with its name (a string quartet, the viola in alto clef), each
a part of the MusicXML score and the staves joined by a bracket, or two parts to a staff, the
upper one's stems up and the lower one's down, as hymnals print a chorale, the staves joined by a
brace.
"""

from __future__ import annotations

from pathlib import Path

import music21

from musiclstm.music.piece import Piece
from musiclstm.rendering.spelling import (
    key_name,
    key_of,
    note_name,
)
from musiclstm.rendering.staves import ensemble_staves, fermata_ends, melody_staves

# verovio's page: 21 cm wide at the default 100 units/mm scaled by `scale` %; one tall page so
# that the whole song is one SVG.
VEROVIO_OPTIONS = {
    "pageWidth": 2100,
    "pageHeight": 60000,
    "adjustPageHeight": True,
    "scale": 45,
    "breaks": "auto",
    "footer": "none",
    "header": "auto",
}
COMPOSER = "music LSTM"


def piece_score(piece: Piece, clef: str = "auto") -> tuple[music21.stream.Score, str]:
    """The piece as a music21 score, and its clef or clefs as the facts name them; ``clef``
    (``auto``, or one of :data:`~.spelling.CLEFS`) places a piece of one part."""
    if not piece.steps:
        raise ValueError("the piece is empty: there is nothing to write as a score")
    key = key_of(piece.key)
    score = music21.stream.Score()
    score.metadata = music21.metadata.Metadata(title=piece.title, composer=COMPOSER)
    if len(piece.parts) == 1:
        staves, chosen = melody_staves(piece, clef, key)
    else:
        staves, clefs = ensemble_staves(piece, key)
        chosen = ", ".join(clefs)
    if len(staves) == 1:
        score.insert(0, staves[0])
    else:
        shared = all(isinstance(staff, music21.stream.PartStaff) for staff in staves)
        add_staff_group(score, staves, "brace" if shared else "bracket")
    return score, chosen


def add_staff_group(score: music21.stream.Score, staves: list, symbol: str = "brace") -> None:
    """Put the staves into the score, joined by a brace (one instrument's staves, which MusicXML
    writes as one part) or a bracket (an ensemble's), and bar lines drawn through them."""
    for staff in staves:
        score.insert(0, staff)
    group = music21.layout.StaffGroup(staves, symbol=symbol, barTogether=True)
    score.insert(0, group)


def musicxml_text(score: music21.stream.Score) -> str:
    """The score as a MusicXML document."""
    exporter = music21.musicxml.m21ToXml.GeneralObjectExporter(score)
    return exporter.parse().decode("utf-8")


def engrave_svg(musicxml: str) -> str:
    """Engrave a MusicXML document with verovio as one SVG page."""
    import verovio

    verovio.enableLog(verovio.LOG_WARNING)
    toolkit = verovio.toolkit()
    toolkit.setOptions(VEROVIO_OPTIONS)
    if not toolkit.loadData(musicxml):
        raise ValueError("verovio could not read the MusicXML score")
    if toolkit.getPageCount() != 1:
        raise ValueError(f"the score took {toolkit.getPageCount()} pages instead of one")
    return toolkit.renderToSVG(1)


def write_score(piece: Piece, musicxml_path: Path, svg_path: Path, clef: str = "auto") -> dict:
    """Write a piece as MusicXML and as an engraved SVG score, and return what a reader of the
    score wants to know: key, meter, tempo, clef, bars, notes and range, and for a piece of
    several parts the fermatas and each part's notes and range."""
    score, chosen = piece_score(piece, clef)
    xml = musicxml_text(score)
    Path(musicxml_path).write_text(xml)
    Path(svg_path).write_text(engrave_svg(xml))
    key = key_of(piece.key)
    facts = {
        "key": key_name(key),
        "time_signature": piece.time_signature,
        "tempo_bpm": piece.tempo_bpm,
        "clef": chosen,
        "bars": len(score.parts[0].getElementsByClass(music21.stream.Measure)),
        **range_facts(piece.pitches, key),
    }
    if len(piece.parts) > 1:
        facts["fermatas"] = len(fermata_ends(list(piece.fermatas)))
        facts["voices"] = {part.name: range_facts(part.pitches, key) for part in piece.parts}
    return facts


def range_facts(pitches: list[int], key: music21.key.Key) -> dict:
    """How many notes, and the lowest and highest named in the key (None without notes)."""
    return {
        "notes": len(pitches),
        "lowest": note_name(min(pitches), key) if pitches else None,
        "highest": note_name(max(pitches), key) if pitches else None,
    }
