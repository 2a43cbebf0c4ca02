"""The vocabulary: every token of the training split plus the special tokens, in a fixed order."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from musiclstm.music.tokens import BOUNDARY, SPECIAL_TOKENS, UNKNOWN
from musiclstm.representation.base import Representation


def build_vocabulary(songs: list[list[str]], representation: Representation) -> dict:
    """The vocabulary of a list of songs, with token counts, in the representation's order (its
    special tokens first); the same songs give the same dict."""
    counts = Counter(token for song in songs for token in song)
    specials = set(representation.special_tokens)
    tokens = sorted(specials | set(counts), key=representation.token_order)
    return {"tokens": tokens, "counts": {token: counts.get(token, 0) for token in tokens}}


def save_vocabulary(vocabulary: dict, path: Path) -> None:
    """Write the vocabulary as JSON; the token list's order is the index order."""
    Path(path).write_text(json.dumps(vocabulary, indent=1) + "\n")


def load_vocabulary(path: Path) -> list[str]:
    """The token list of a saved vocabulary."""
    return json.loads(Path(path).read_text())["tokens"]


class Vocabulary:
    """Maps tokens to indices and back; unknown tokens map to ``<unk>``."""

    def __init__(self, tokens: list[str]):
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}
        self.boundary = self.index[BOUNDARY]
        self.unknown = self.index[UNKNOWN]

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, song: list[str]) -> list[int]:
        return [self.index.get(token, self.unknown) for token in song]

    def decode(self, indices) -> list[str]:
        return [self.tokens[int(i)] for i in indices]

    def music_tokens(self) -> list[str]:
        """The tokens a melody may use (no specials)."""
        return [token for token in self.tokens if token not in SPECIAL_TOKENS]
