"""The textures of music the workflow knows, by name: the one place a name becomes a texture.

A new texture is a module of this package and one line in :data:`TEXTURES`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from musiclstm.generation.song_info import read_song_info
from musiclstm.music.piece import Piece
from musiclstm.textures.base import Texture, Voice
from musiclstm.textures.ensemble import EnsembleTexture
from musiclstm.textures.melody import MelodyTexture

# Each builds its texture from (name, voices); voices None: the texture's own.
TEXTURES = {
    "melody": MelodyTexture,
    "chorale": EnsembleTexture,
    "ensemble": EnsembleTexture,
}


def texture_from(description: dict) -> Texture:
    """The texture that :meth:`Texture.describe` (or a config's `texture` and `voices`)
    described."""
    name = description.get("name", "melody")
    if name not in TEXTURES:
        raise ValueError(f"unknown texture {name!r}; known: {', '.join(TEXTURES)}")
    voices = description.get("voices")
    return TEXTURES[name](name, tuple(Voice.of(v) for v in voices) if voices else None)


def config_texture(config: dict) -> Texture:
    """The texture a workflow config names, with its `voices`."""
    return texture_from({"name": config.get("texture", "melody"), "voices": config.get("voices")})


__all__ = ["TEXTURES", "Texture", "Voice", "config_texture", "texture_from"]


def read_piece(tokens_path, info_path, title: str = "") -> Piece:
    """The piece of a generated song's tokens and .json, decoded by the texture that wrote it."""
    info = read_song_info(info_path)
    tokens = Path(tokens_path).read_text().split()
    return replace(texture_from(info.texture).piece(tokens, info), title=title)


__all__ += ["read_piece"]
