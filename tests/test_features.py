"""The melody representation's inputs (bar position, meter, bar number, lookbacks): computed
alike for training, evaluation and sampling."""

import numpy as np
import pytest
import torch

from musiclstm.data.batches import SplitData, load_split
from musiclstm.data.tensors import (
    load_meters,
    load_time_signatures,
    save_arrays,
    songs_to_arrays,
    split_meters,
)
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.evaluation.metrics import evaluate_songs
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.stepper import Stepper, sequence_log_prob
from musiclstm.generation.strategies import Sampling, SongRequest
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.model.lstm import StepLSTM
from musiclstm.music.meter import bar_length, beat_length
from musiclstm.representation.base import Meter
from musiclstm.representation.melody import (
    BARS_LEFT_UNKNOWN,
    COLUMN,
    MAX_BAR_NUMBER,
    MAX_BARS_LEFT,
    METER_COLUMNS,
    MelodyRepresentation,
)
from musiclstm.settings import ModelSettings, settings

VOCABULARY = Vocabulary(["/", "<unk>", "60", "62", "64", "67", "r", "_"])


def step_features(song, bar, pickup, boundary, lookback_bars=(1, 2)):
    return MelodyRepresentation(lookback_bars).song_inputs(song, Meter(bar, pickup), boundary)


def test_bar_lengths_from_time_signatures():
    assert bar_length("4/4", 0.25) == 16
    assert bar_length("6/8", 0.25) == 12
    assert bar_length("3/2", 0.25) == 24
    assert bar_length("", 0.25) == 0  # no time signature
    assert bar_length("9/4", 0.125) == 0  # 72 steps: longer than the model's bars
    assert bar_length("4/4", 0.3) == 0  # not a whole number of steps


def column(features, name):
    return features[:, COLUMN[name]].tolist()


def test_positions_count_the_pickup_and_lookbacks_reach_the_bars_asked_for():
    song = np.arange(10, 20)  # ten steps of a 3/4 bar of 4 steps (pretend), pickup of 3
    features = step_features(song, bar=4, pickup=3, boundary=0, lookback_bars=(1, 2))
    assert features.shape == (11, 7)
    columns = MelodyRepresentation((1, 2)).input_columns
    assert columns == METER_COLUMNS + ("lookback_1", "lookback_2")
    assert column(features, "meter") == [4] * 11
    assert column(features, "position") == [3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert column(features, "bar_number") == [0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3]  # anacrusis: 0
    assert features[:, 5].tolist() == [0, 0, 0, 0, 10, 11, 12, 13, 14, 15, 16]
    assert features[:, 6].tolist() == [0] * 8 + [10, 11, 12]
    far = step_features(song, bar=2, pickup=0, boundary=0, lookback_bars=(4,))
    assert far.shape == (11, 6)
    assert column(far, "bar_number") == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]  # bar 1 first
    assert far[:, 5].tolist() == [0] * 8 + [10, 11, 12]


def test_beats_tell_meters_of_the_same_bar_apart():
    assert [beat_length(meter, 0.25) for meter in ("3/4", "6/8", "2/2", "4/4")] == [4, 6, 8, 4]
    assert [beat_length(meter, 0.25) for meter in ("6/4", "3/2", "9/8", "3/8")] == [12, 8, 6, 2]
    assert beat_length("", 0.25) == 0 and beat_length("4/4", 0.3) == 0
    song = np.arange(10, 34)
    in_6_8 = MelodyRepresentation().song_inputs(song, Meter(12, 0, 6), 0)
    in_3_4 = MelodyRepresentation().song_inputs(song, Meter(12, 0, 4), 0)
    assert column(in_6_8, "beat") == [6] * 25 and column(in_3_4, "beat") == [4] * 25
    assert column(in_6_8, "position") == column(in_3_4, "position")


def test_bars_left_count_down_to_the_last_bar_of_a_song_of_known_length():
    song = np.arange(10, 20)  # bars of 4 with 3 steps missing: steps 0 | 1-4 | 5-8 | 9
    features = MelodyRepresentation().song_inputs(song, Meter(4, 3, 1, len(song)), 0)
    assert column(features, "bars_left") == [3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0]
    unknown = MelodyRepresentation().song_inputs(song, Meter(4, 3, 1, 0), 0)
    assert column(unknown, "bars_left") == [BARS_LEFT_UNKNOWN] * 11
    long_song = MelodyRepresentation().song_inputs(np.zeros(200), Meter(4, 0, 1, 200), 0)
    assert column(long_song, "bars_left")[0] == MAX_BARS_LEFT  # 49 bars to go count as 16
    assert column(long_song, "bars_left")[-2] == 0


def test_bar_numbers_stop_at_the_last_one_the_model_tells_apart():
    features = step_features(np.zeros(200, dtype=np.int64), bar=4, pickup=0, boundary=0)
    assert max(column(features, "bar_number")) == MAX_BAR_NUMBER
    assert features[4 * (MAX_BAR_NUMBER - 1), COLUMN["bar_number"]] == MAX_BAR_NUMBER


def test_unknown_meter_has_position_zero_and_4_4_lookbacks():
    features = step_features(np.arange(1, 21), bar=0, pickup=0, boundary=0, lookback_bars=(1,))
    assert features[:, : COLUMN["bars_left"]].sum() == 0
    assert column(features, "bars_left") == [BARS_LEFT_UNKNOWN] * 21
    assert features[16, 5] == 1 and features[15, 5] == 0


def test_older_true_false_lookback_settings_still_mean_one_and_two_bars():
    assert settings(ModelSettings, lookback=True).lookback == (1, 2)
    assert settings(ModelSettings, lookback=False).lookback == ()
    assert settings(ModelSettings, lookback=[]).lookback == ()
    assert settings(ModelSettings).lookback == (1, 2, 4, 8)


def test_meters_travel_from_the_song_table_into_the_tensors(tmp_path):
    table = tmp_path / "songs.tsv"
    table.write_text(
        "song_id\ttime_signature\tpickup_steps\tsplit\tline\n"
        "b\t3/4\t10\ttrain\t2\na\t6/8\t0\ttrain\t1\nc\t\t0\ttrain\t3\nd\t2/4\t0\ttest\t1\n"
    )
    meters = split_meters(table, "train", 0.25)
    assert (meters["bar_steps"], meters["pickup_steps"]) == ([12, 12, 0], [0, 10, 0])
    assert meters["beat_steps"] == [6, 4, 0]
    arrays = songs_to_arrays([["60"], ["62"], ["64"]], VOCABULARY, meters)
    save_arrays(arrays, tmp_path / "train.npz")
    assert load_meters(tmp_path / "train.npz") == [(12, 0, 6), (12, 10, 4), (0, 0, 0)]
    assert load_time_signatures(tmp_path / "train.npz") == ["6/8", "3/4", ""]


@pytest.fixture
def feature_model():
    torch.manual_seed(0)
    model = StepLSTM(
        len(VOCABULARY),
        6,
        12,
        2,
        0.0,
        bar_position=True,
        lookback=[1, 2, 4],
        bar_number=True,
        bars_left=True,
    ).eval()
    return TrainedModel(model, VOCABULARY, MelodyRepresentation((1, 2, 4)), 0.25, 1)


def test_step_by_step_sampling_scores_like_the_whole_sequence(feature_model):
    tokens = "60 _ 62 _ 64 _ _ _ 67 _ 64 _ 62 _ 60 _ r _ 60 _".split() * 2
    meter = Meter(4, 2)  # short bars, so that the lookback four bars back comes into play
    stepper = Stepper(feature_model, tokens[:3], [meter], len(tokens))
    total = 0.0
    for token in tokens[3:]:
        index = VOCABULARY.index[token]
        total += float(stepper.log_probs[0, index])
        stepper.advance(torch.tensor([index]))
    whole = sequence_log_prob(feature_model, tokens, 3, meter)
    assert whole == pytest.approx(total, abs=1e-4)


def test_step_inputs_equal_the_whole_song_inputs_row_by_row():
    representation = MelodyRepresentation((1, 2, 4))
    song = [2, 7, 3, 7, 4, 7, 7, 7, 5, 7, 4, 7, 3, 7, 2, 7, 6, 7] * 2
    # Each row of the batch in a meter of its own, with and without a length.
    meters = [Meter(4, 2, 2, 36), Meter(12, 0, 6, 40), Meter(12, 0, 4), Meter(0, 0)]
    inputs = representation.step_inputs(song[:3], meters, 0, len(song))
    steps = [inputs.next(None)] + [inputs.next(np.array([t] * 4)) for t in song[3:]]
    for row, meter in enumerate(meters):
        # The whole song's inputs, of a song as long as the row's meter says.
        whole = representation.song_inputs(np.array(song), meter, 0)[3:]
        assert np.stack(steps)[:, row].tolist() == whole.tolist()


def test_feature_model_needs_features_and_uses_them(feature_model):
    model = feature_model.model
    songs = [np.array(VOCABULARY.encode("60 _ 62 _ 64 _ _ _".split()))]
    with pytest.raises(ValueError, match="inputs"):
        model(torch.tensor(np.stack(songs)), None)
    representation = feature_model.representation

    def split(meter):
        return SplitData(songs, [meter], representation.songs_inputs(songs, [meter], 0))

    in_4_4 = evaluate_songs(model, split(Meter(16, 0)), VOCABULARY)
    in_3_4 = evaluate_songs(model, split(Meter(12, 4)), VOCABULARY)
    assert in_4_4["bits_per_step"] != in_3_4["bits_per_step"]
    in_6_8 = evaluate_songs(model, split(Meter(12, 4, 6)), VOCABULARY)
    assert in_6_8["bits_per_step"] != in_3_4["bits_per_step"]
    request = SongRequest(["60"], 20, 20, Meter(12, 0))
    sampled = sample_songs(feature_model, request, 3, Sampling(), 1)
    assert all(len(song) == 21 for song in sampled)


def test_songs_in_6_8_and_3_4_differ_from_the_same_random_seed(feature_model):
    def sampled(beat):
        request = SongRequest([], 48, 48, Meter(12, 0, beat, 48))
        return sample_songs(feature_model, request, 4, Sampling(), 7)

    assert sampled(6) != sampled(4)


def test_training_hides_the_length_of_one_song_in_four(tmp_path):
    songs = [["60", "_", "62", "_"]] * 8
    meters = {"bar_steps": [4] * 8, "pickup_steps": [0] * 8, "beat_steps": [1] * 8}
    save_arrays(songs_to_arrays(songs, VOCABULARY, meters), tmp_path / "train.npz")
    representation = MelodyRepresentation()
    shown = load_split(tmp_path / "train.npz", representation, VOCABULARY)
    hidden = load_split(tmp_path / "train.npz", representation, VOCABULARY, hide=True)
    assert [meter.length for meter in shown.meters] == [4] * 8
    assert [meter.length for meter in hidden.meters] == [0, 4, 4, 4, 0, 4, 4, 4]
    assert column(hidden.inputs[0], "bars_left") == [BARS_LEFT_UNKNOWN] * 5
    assert column(hidden.inputs[1], "bars_left") == [0] * 5
