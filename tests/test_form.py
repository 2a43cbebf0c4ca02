"""A melody's form bar by bar, the model's form input, songs drawn in the shape of a training
song (upbeat and form), and the classifier test that tells generated songs from held-out ones."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from musiclstm.data.batches import load_split
from musiclstm.data.tensors import save_arrays, songs_to_arrays
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.evaluation.distinguishability import distinguishability, z_against_chance
from musiclstm.evaluation.melody_features import melody_features, motif_reuse
from musiclstm.evaluation.music_stats import bar_repetition
from musiclstm.generation.ensembles import composed_form, composed_pickup
from musiclstm.generation.melodies import (
    SongShape,
    TrainingSongs,
    song_shapes,
    upbeat_pickup,
    with_pickup,
)
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.model.lstm import StepLSTM
from musiclstm.music.form import (
    NEW,
    UNKNOWN,
    bar_relations,
    echo_labels,
    form_label,
    form_labels,
)
from musiclstm.representation.base import Meter
from musiclstm.representation.chorale import ChoraleRepresentation
from musiclstm.representation.melody import FORM_DISTANCES, MelodyRepresentation
from musiclstm.representation.registry import representation_from
from musiclstm.settings import SongSettings, settings

A = "60 _ 62 _".split()
A_UP = "62 _ 64 _".split()  # A moved up a tone
A_RHYTHM = "67 _ 65 _".split()  # A's rhythm, other intervals
B = "64 _ _ _".split()
VOCABULARY = Vocabulary(["/", "<unk>", "60", "62", "64", "65", "67", "r", "_"])


def test_each_bar_is_labelled_by_the_first_relation_to_an_earlier_bar():
    tokens = A + A_UP + A + B + A_RHYTHM
    kinds = [(r.kind, r.distance) for r in bar_relations(tokens, 4, 0)]
    assert kinds == [("new", 0), ("moved", 1), ("exact", 2), ("new", 0), ("rhythm", 2)]
    labels = form_labels(tokens, 4, 0, FORM_DISTANCES)
    exact, moved, rhythm = (NEW + 1 + kind * len(FORM_DISTANCES) for kind in range(3))
    assert labels == [NEW, moved, exact + 1, NEW, rhythm + 1]  # distances 1, 2: indices 0, 1
    assert form_label(bar_relations(tokens, 4, 0)[2], FORM_DISTANCES) == exact + 1
    assert len(set(labels)) == 4  # new, moved 1, exact 2, rhythm 2: all told apart


def test_an_anacrusis_is_a_bar_of_its_own_never_compared_with_whole_bars():
    # One step of upbeat (the song starts 3 steps into its first bar), then A B A.
    tokens = ["60"] + A + B + A[:3]
    relations = bar_relations(tokens, 4, 3)
    assert [r.kind for r in relations] == ["new", "new", "new", "exact"]
    assert relations[3].distance == 2  # the short last bar against the same steps of bar 1
    assert bar_repetition(tokens, 4, 3) == (1, 0, 0)  # only whole bars are counted


def test_the_form_column_reads_each_steps_bar_and_training_hides_one_form_in_four(tmp_path):
    songs = [A + A + B + A] * 8
    meters = {"bar_steps": [4] * 8, "pickup_steps": [0] * 8, "beat_steps": [2] * 8}
    save_arrays(songs_to_arrays(songs, VOCABULARY, meters), tmp_path / "train.npz")
    representation = MelodyRepresentation((1, 2), form=True)
    hidden = load_split(tmp_path / "train.npz", representation, VOCABULARY, hide=True)
    exact_1, exact_2 = NEW + 1, NEW + 2
    assert hidden.meters[1].form == (NEW, exact_1, NEW, exact_2)
    assert hidden.inputs[1][:, -2].tolist() == [NEW] * 4 + [exact_1] * 4 + [NEW] * 4 + [exact_2] * 5
    # The first bar comes back exactly one bar later, the second two bars later: both know it.
    echo_1, echo_2 = exact_1, exact_2  # echo labels count like the form's exact ones
    assert hidden.inputs[1][:, -1].tolist() == [echo_1] * 4 + [echo_2] * 4 + [NEW] * 9
    assert [bool(meter.form) for meter in hidden.meters] == [True, True, False, True] * 2
    assert (hidden.inputs[2][:, -2:] == UNKNOWN).all()
    # Sampling lays out the same column from a plan as training reads from a song.
    inputs = representation.step_inputs([], [hidden.meters[1]], VOCABULARY.boundary, 16)
    ids = VOCABULARY.encode(songs[1])
    steps = [inputs.next(None)] + [inputs.next(np.array([i])) for i in ids]
    assert np.stack(steps)[:, 0].tolist() == hidden.inputs[1].tolist()


def test_melody_features_see_repeats_motifs_and_the_upbeat():
    tokens = ["67"] + A + A + B + A + ["60", "_", "_"]
    features = melody_features(tokens, 4, 3, 2)
    assert features["upbeat"] == 1.0 and features["upbeat_length"] == 0.25
    assert features["exact_repeats"] == pytest.approx(2 / 4)
    assert features["last_on_tonic"] == 1.0
    assert motif_reuse([60, 62, 64, 60, 62, 64, 60, 62]) > motif_reuse([60, 62, 64, 65, 67, 69])
    assert sum(v for k, v in features.items() if k.startswith("note_length_")) == pytest.approx(1)


def test_the_classifier_tells_apart_only_what_differs():
    rng = np.random.default_rng(0)

    def group(mean, n=120):
        return [{"a": float(x), "b": float(y)} for x, y in rng.normal([mean, 0], 1, (n, 2))]

    same = distinguishability(group(0.0), group(0.0))
    apart = distinguishability(group(3.0), group(0.0))
    assert same["accuracy"] < 0.62 and abs(same["z"]) < 3
    assert apart["accuracy"] > 0.9 and apart["z"] > 10
    assert apart["separating_features"][0]["feature"] == "a"
    assert z_against_chance(0.5, 100) == 0


@pytest.fixture(scope="module")
def form_model():
    representation = MelodyRepresentation((1, 2), form=True)
    model = StepLSTM(
        len(VOCABULARY), 8, 16, 1, 0.0, bar_position=True, lookback=[1, 2],
        categories=representation.model_inputs()["categories"],
    ).eval()  # fmt: skip
    return TrainedModel(model, VOCABULARY, representation, 0.25, 1)


UPBEAT_SONG = ["67", "_", "_", "_"] + A + A + B + B + A + A + A


def training_songs(tmp_path, trained):
    # 2/4 bars of 8 sixteenths: one song of 4 bars with a quarter's upbeat, one of 6 without.
    songs = [UPBEAT_SONG, (A + A) * 6]
    meters = {
        "bar_steps": [8, 8],
        "pickup_steps": [4, 0],
        "beat_steps": [4, 4],
        "time_signature": ["2/4", "2/4"],
        "phrase_ends": [(12, 20, 32), ()],
    }
    save_arrays(songs_to_arrays(songs, VOCABULARY, meters), tmp_path / "train.npz")
    return TrainingSongs(tmp_path / "train.npz", trained)


def test_a_song_takes_the_upbeat_and_form_of_the_training_song_nearest_its_length(
    tmp_path, form_model
):
    train = training_songs(tmp_path, form_model)
    song = settings(SongSettings, time_signature="2/4", bars=4)
    (shape,) = song_shapes(song, 1, 0.25, train)
    assert shape.pickup == 4 and shape.bars == 4
    assert shape.form == form_model.representation.bar_form(UPBEAT_SONG, 8, 4)
    assert len(shape.form) == 5 and shape.form[3] == NEW + 2  # AA BB AA: two bars back
    assert shape.phrases == (12, 20)  # its phrase ends, the song's own end left out
    longer = song_shapes(settings(SongSettings, time_signature="2/4", bars=7), 1, 0.25, train)
    assert longer[0].pickup == 0 and len(longer[0].form) == 7  # six bars' form and one new
    plain = song_shapes(
        settings(SongSettings, time_signature="2/4", bars=4, form="none", upbeat=0), 1, 0.25, train
    )
    assert plain == [SongShape("2/4", 4, 0, ())]


def test_an_upbeat_is_given_in_quarter_notes_and_a_wrong_one_is_named():
    assert upbeat_pickup(1, "4/4", 0.25) == 12  # a quarter's upbeat starts 12 steps into a bar
    assert upbeat_pickup(0, "3/4", 0.25) == 0
    with pytest.raises(ValueError, match="upbeat: 4.0 quarter notes .* allowed: 0 to 3.75"):
        upbeat_pickup(4.0, "4/4", 0.25)
    shape = SongShape("4/4", 4, 12, (NEW, NEW, NEW + 1, NEW, NEW))
    assert with_pickup(shape, 0).form == (NEW, NEW + 1, NEW, NEW)  # the anacrusis bar dropped
    assert with_pickup(with_pickup(shape, 0), 12).form[1:] == shape.form[1:]


def test_a_form_model_reads_the_plan(form_model):
    representation = form_model.representation
    song = np.array(VOCABULARY.encode(A + A + B + A))
    planned = Meter(4, 0, 2, 16, (NEW, NEW + 1, NEW, NEW + 2))
    unplanned = Meter(4, 0, 2, 16)
    with_plan = representation.song_inputs(song, planned, 0)
    without = representation.song_inputs(song, unplanned, 0)
    assert (with_plan[:, :-2] == without[:, :-2]).all()  # only the form columns differ

    def logits(inputs):
        tokens = torch.as_tensor(np.concatenate([[0], song]))[None]
        return form_model.model(tokens, torch.as_tensor(inputs)[None])[0]

    # The model's predictions depend on the plan it is told.
    with torch.no_grad():
        assert not torch.allclose(logits(with_plan), logits(without))


def test_a_bar_knows_the_last_later_bar_that_repeats_it():
    distances = (1, 2, 4, 8)
    exact, moved = NEW + 1, NEW + 1 + len(distances)
    # Bar 0 comes back moved one bar later and exactly four bars later; bar 2 never.
    labels = (NEW, moved, NEW, NEW, exact + 2, NEW + 1 + 2 * len(distances))  # ... rhythm 1
    assert echo_labels(labels, distances) == (exact + 2, NEW, NEW, NEW, NEW, NEW)
    assert echo_labels((UNKNOWN, UNKNOWN), distances) == (UNKNOWN, UNKNOWN)


FRAME_VOCABULARY = Vocabulary(
    ["/", "<unk>", "|", "|F", "48", "60", "62", "64", "65", "67", "r", "_"]
)


def frames_of(top: list[str]) -> list[str]:
    """Two-voice frames: ``top`` over a held C."""
    return [token for i, note in enumerate(top) for token in ("|", note, "48" if i == 0 else "_")]


def test_frames_read_the_form_of_their_top_voice_at_every_step_of_a_frame(tmp_path):
    representation = ChoraleRepresentation((1, 2), (), ("top", "bass"), form=True)
    top = A + A + B + A
    piece = frames_of(top)
    form = representation.bar_form(piece, 4, 0)
    assert form == tuple(form_labels(top, 4, 0, FORM_DISTANCES)) == (NEW, NEW + 1, NEW, NEW + 2)
    meters = {"bar_steps": [4] * 4, "pickup_steps": [0] * 4, "beat_steps": [2] * 4}
    save_arrays(songs_to_arrays([piece] * 4, FRAME_VOCABULARY, meters), tmp_path / "train.npz")
    data = load_split(tmp_path / "train.npz", representation, FRAME_VOCABULARY, hide=True)
    column = representation.input_columns.index("form")
    # Each frame's three steps read the label of its bar; the end reads the last bar's.
    assert data.inputs[1][:, column].tolist() == [label for label in form for _ in range(12)] + [
        form[-1]
    ]
    assert (data.inputs[2][:, column] == UNKNOWN).all()  # one piece in four is shown no form
    # Sampling lays out the same columns from a plan as training reads from a piece.
    inputs = representation.step_inputs([], [data.meters[1]], FRAME_VOCABULARY.boundary, 48)
    ids = FRAME_VOCABULARY.encode(piece)
    steps = [inputs.next(None)] + [inputs.next(np.array([i])) for i in ids]
    assert np.stack(steps)[:, 0].tolist() == data.inputs[1].tolist()
    assert representation_from(representation.describe()).form
    # A harmoniser reads the composing model's categories first, so it can start from one.
    harmoniser = ChoraleRepresentation((1, 2), (1, 2), ("top", "bass"), form=True)
    assert list(harmoniser.category_columns)[:3] == list(representation.category_columns)


def test_a_composed_piece_follows_the_form_of_the_training_piece_it_takes_its_upbeat_from(
    tmp_path,
):
    representation = ChoraleRepresentation((1,), (), ("top", "bass"), form=True)
    pieces = [frames_of(["67", "_", "_", "_"] + A + A + A + A), frames_of((A + B) * 3)]
    meters = {
        "bar_steps": [8, 8],
        "pickup_steps": [4, 0],
        "beat_steps": [4, 4],
        "time_signature": ["2/4", "2/4"],
    }
    save_arrays(songs_to_arrays(pieces, FRAME_VOCABULARY, meters), tmp_path / "train.npz")
    trained = SimpleNamespace(
        vocabulary=FRAME_VOCABULARY, representation=representation, time_step=0.25
    )
    training = TrainingSongs(tmp_path / "train.npz", trained)
    song = settings(SongSettings, time_signature="2/4", bars=2, seed="")
    pickup = composed_pickup(song, 0.25, training)
    assert pickup == 4  # the two-bar piece with its quarter's upbeat is the nearest
    form = composed_form(song, training, pickup)
    assert form == representation.bar_form(pieces[0], 8, 4) == (NEW, NEW, NEW + 1)
    assert composed_form(dataclasses.replace(song, form="none"), training, pickup) == ()
    assert composed_form(song, training, pickup, seeded=True) == ()


def test_a_note_the_vocabulary_lacks_leaves_the_form_readable():
    representation = ChoraleRepresentation((1,), (), ("top", "bass"), form=True)
    piece = frames_of(A + A)
    piece[5] = "<unk>"  # the bass of the second frame: a note the vocabulary does not know
    assert representation.bar_form(piece, 4, 0) == (NEW, NEW + 1)
