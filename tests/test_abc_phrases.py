"""Phrases of ABC tunes read from the text (one per line, as the Essen collection writes them),
and a harmonised ABC tune's cadences at its phrase ends."""

from fractions import Fraction
from pathlib import Path

import music21
import pytest

from musiclstm.data.abc_phrases import line_length, phrase_ends
from musiclstm.data.sources import read_abc_tune
from musiclstm.generation.ensembles import read_given_melody
from musiclstm.settings import EncodingSettings, settings

ERK = Path(music21.__file__).parent / "corpus/essenFolksong/erk10.abc"


@pytest.mark.parametrize(
    ("line", "units"),
    [
        ("C2 | F2F2F2G2 | A2G2F4", 18),
        ("c3BA2 z/ d//d//", 7),  # rests count, / halves, // quarters
        ("A>B c<d", 4),  # broken rhythm moves length between the two notes
        ("(3ABc d2", 4),  # three in the time of two
        ('{g}A2 "C"!trill!B2 [CEG]2 =c_d^e', 9),  # grace notes, annotations, a chord
        ("A2-|A2 :|[1 B2 :|[2 c2 |]", 8),  # ties and repeat marks take no time
    ],
)
def test_a_lines_length_is_the_sum_of_its_notes(line, units):
    assert line_length(line) == Fraction(units)


def test_the_lines_of_an_essen_tune_are_its_phrases_and_add_up_to_the_encoded_song():
    tune = read_abc_tune(ERK, 1)
    # "C2 | F2F2F2G2 | A2G2F4" and so on in sixteenths; the tune's final rest is not counted.
    ends = phrase_ends(tune, 0.25)
    assert ends[:3] == [18, 32, 48]
    assert len(ends) == 7 and ends[-1] == 110  # the length the encoder gives the tune


def test_a_harmonised_abc_tune_cadences_where_its_lines_end(tmp_path):
    path = tmp_path / "tune.abc"
    path.write_text(read_abc_tune(ERK, 1))
    melody = read_given_melody(str(path), settings(EncodingSettings))
    starts = [
        i for i, f in enumerate(melody.fermatas) if f and (i == 0 or not melody.fermatas[i - 1])
    ]
    ends = [
        i + 1
        for i, f in enumerate(melody.fermatas)
        if f and (i + 1 == len(melody.fermatas) or not melody.fermatas[i + 1])
    ]
    assert len(starts) == 7  # one fermata per line
    assert ends[:3] == [18, 32, 46]  # the third line ends on a rest: its last note carries it


def test_the_encoder_records_an_abc_tunes_phrase_ends_and_the_tensors_keep_them(tmp_path):
    from musiclstm.data.encode import iter_outcomes
    from musiclstm.data.sources import SongSource
    from musiclstm.data.tensors import load_phrase_ends, save_arrays, songs_to_arrays
    from musiclstm.data.vocabulary import Vocabulary
    from musiclstm.textures import texture_from

    source = SongSource("erk10#1", "essen", str(ERK), 1)
    encoding = settings(EncodingSettings)
    ((outcome, row),) = iter_outcomes([source], encoding, texture_from({}).representation())
    assert outcome == "encoded"
    ends = [int(end) for end in row["phrase_ends"].split()]
    assert ends == phrase_ends(read_abc_tune(ERK, 1), 0.25) and ends[-1] == row["n_steps"]
    tokens = row["tokens"].split()
    vocabulary = Vocabulary(["/", "<unk>", *sorted(set(tokens))])
    meters = {"phrase_ends": [tuple(ends), ()]}
    save_arrays(songs_to_arrays([tokens, tokens[:8]], vocabulary, meters), tmp_path / "a.npz")
    assert load_phrase_ends(tmp_path / "a.npz") == [tuple(ends), ()]


def test_a_generated_songs_phrase_ends_travel_with_it_to_its_harmonisation(tmp_path):
    from musiclstm.generation.ensembles import melody_phrase_ends
    from musiclstm.generation.song_info import SongInfo, write_song_info

    midi = tmp_path / "song.mid"
    midi.write_bytes(b"")  # only its .json is read here
    write_song_info(SongInfo("4/4", 100, 64, phrase_ends=[16, 32, 48]), tmp_path / "song.json")
    assert melody_phrase_ends(str(midi), 0.25, 64) == [16, 32, 48]
    assert melody_phrase_ends(str(midi), 0.25, 60) == []  # not the song the .json describes
