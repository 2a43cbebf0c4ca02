"""Transposition augmentation moves pitches only, stays in the vocabulary, and keeps lookbacks."""

import numpy as np

from musiclstm.data.vocabulary import Vocabulary
from musiclstm.representation.base import Meter
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.training.augmentation import Transposer

REPRESENTATION = MelodyRepresentation((1, 2))

VOCABULARY = Vocabulary(["/", "<unk>", "60", "62", "64", "65", "67", "r", "_"])


def test_shifts_keep_every_pitch_in_the_vocabulary():
    transposer = Transposer(VOCABULARY, 5, [], REPRESENTATION.token_columns)
    song = np.array(VOCABULARY.encode("60 _ 64 r 67 _".split()))
    allowed = transposer.allowed_shifts(song)
    assert allowed == [0]  # any other shift moves 60, 64 or 67 to a pitch the vocabulary lacks
    narrow = np.array(VOCABULARY.encode("60 _ 62 r _".split()))
    assert transposer.allowed_shifts(narrow) == [0, 2, 5]  # to 62/64 and to 65/67
    moved = transposer.tables[2][narrow]
    assert VOCABULARY.decode(moved) == "62 _ 64 r _".split()


def test_moved_lookbacks_equal_the_lookbacks_of_the_moved_song():
    rng = np.random.default_rng(0)
    songs = [np.array(VOCABULARY.encode("60 _ 62 _ 60 r 62 _ 60 _ _ _".split()))] * 20
    transposer = Transposer(VOCABULARY, 2, songs, REPRESENTATION.token_columns)
    meter = Meter(4, 1)
    features = [REPRESENTATION.song_inputs(song, meter, VOCABULARY.boundary) for song in songs]
    moved_songs, moved_features = transposer.epoch(songs, features, rng)
    shifts = set()
    for song, song_features in zip(moved_songs, moved_features, strict=True):
        expected = REPRESENTATION.song_inputs(song, meter, VOCABULARY.boundary)
        assert (song_features == expected).all()
        shifts.add(VOCABULARY.decode(song[:1])[0])
    assert shifts == {"60", "62"}  # both allowed shifts were drawn
