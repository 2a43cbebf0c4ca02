"""Transposition augmentation: each epoch, every training song is moved by a random number of
semitones, so the model sees each melody in several keys.

Songs are encoded in C major / A minor, and evaluation and generation stay there; the moved copies
only give the model more examples of the same intervals and rhythms. A song is moved only as far
as its pitches stay inside the vocabulary. Moving a song maps its token ids through a table, and
the lookback inputs (token ids too) through the same table, so the song's step features need not
be computed again.
"""

from __future__ import annotations

import numpy as np

from musiclstm.data.vocabulary import Vocabulary
from musiclstm.music.tokens import is_pitch


class Transposer:
    """Moves ``songs`` (token-id arrays of ``vocabulary``) by up to ``max_shift`` semitones."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        max_shift: int,
        songs: list[np.ndarray],
        token_columns: slice | list[int],
    ):
        self.token_columns = token_columns  # the input columns that hold token ids
        self.shifts = list(range(-max_shift, max_shift + 1))
        pitches = {int(token): i for i, token in enumerate(vocabulary.tokens) if is_pitch(token)}
        identity = np.arange(len(vocabulary), dtype=np.int64)
        # tables[shift][id]: the id moved by shift; -1 where the moved pitch is not a token
        self.tables = {}
        for shift in self.shifts:
            table = identity.copy()
            for pitch, index in pitches.items():
                table[index] = pitches.get(pitch + shift, -1)
            self.tables[shift] = table
        # The songs do not change between epochs, so neither do the shifts each one allows.
        self.allowed = [self.allowed_shifts(song) for song in songs]

    def allowed_shifts(self, song: np.ndarray) -> list[int]:
        """The shifts that keep every pitch of ``song`` inside the vocabulary (0 always)."""
        return [s for s in self.shifts if (self.tables[s][song] >= 0).all()]

    def epoch(
        self,
        songs: list[np.ndarray],
        inputs: list[np.ndarray],
        rng: np.random.Generator,
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every song (those given at construction) moved by a shift drawn from its allowed ones,
        the tokens among its inputs (a melody's lookbacks) moved alike."""
        moved_songs, moved_inputs = [], []
        for i, song in enumerate(songs):
            allowed = self.allowed[i]
            table = self.tables[allowed[rng.integers(len(allowed))]]
            moved_songs.append(table[song])
            moved = inputs[i].copy()
            moved[:, self.token_columns] = table[moved[:, self.token_columns]]
            moved_inputs.append(moved)
        return moved_songs, moved_inputs
