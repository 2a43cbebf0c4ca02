"""The key a generated piece is written in, from what its .json records."""

from __future__ import annotations

from musiclstm.music.tokens import Event
from musiclstm.music.tonality import SongKey, allowed_keys, parse_key, song_key


def written_key(events: list[Event], info) -> SongKey:
    """The key the piece's .json names, else the one its notes fit best among the keys of its
    tonic (its `generate:` entry's ``key``) or C major and A minor."""
    if info.key:
        return parse_key(info.key)
    return song_key(events, allowed_keys(info.tonic))
