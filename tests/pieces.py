"""Pieces for the writers' tests, decoded by their textures as generated pieces are."""

from __future__ import annotations

from dataclasses import replace

from musiclstm.generation.song_info import SongInfo
from musiclstm.music.frames import Frames
from musiclstm.music.piece import Piece
from musiclstm.textures import texture_from


def melody_piece(
    tokens: list[str],
    time_step: float = 0.25,
    time_signature: str = "4/4",
    tempo_bpm: float = 100.0,
    key: str | None = None,
    pickup: int = 0,
    title: str = "",
) -> Piece:
    """A melody of ``tokens``; ``key`` as a generated song's .json names it (``F major``; None:
    found from the notes among C major and A minor)."""
    return piece_of("melody", tokens, time_step, time_signature, tempo_bpm, key, pickup, title)


def chorale_piece(
    chorale: Frames,
    time_step: float = 0.25,
    time_signature: str = "4/4",
    tempo_bpm: float = 100.0,
    key: str | None = None,
    pickup: int = 0,
    title: str = "",
) -> Piece:
    """A chorale (SATB, the chorale texture's own voices) of ``chorale``'s frames."""
    return piece_of(
        "chorale", chorale.tokens(), time_step, time_signature, tempo_bpm, key, pickup, title
    )


def piece_of(texture, tokens, time_step, time_signature, tempo_bpm, key, pickup, title) -> Piece:
    info = SongInfo(
        time_signature,
        tempo_bpm,
        len(tokens),
        pickup,
        key=key,
        texture=texture_from({"name": texture}).describe(),
        time_step=time_step,
    )
    return replace(texture_from(info.texture).piece(tokens, info), title=title)
