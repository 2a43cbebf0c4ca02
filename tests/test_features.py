"""The melody representation's inputs (bar position, meter, bar number, lookbacks): computed
alike for training, evaluation and sampling."""

import numpy as np
import pytest
import torch

from melodylstm.data.batches import SplitData
from melodylstm.data.tensors import load_meters, save_arrays, songs_to_arrays, split_meters
from melodylstm.data.vocabulary import Vocabulary
from melodylstm.evaluation.metrics import evaluate_songs
from melodylstm.generation.sampling import sample_songs
from melodylstm.generation.stepper import Stepper, sequence_log_prob
from melodylstm.generation.strategies import Sampling, SongRequest
from melodylstm.model.checkpoint import TrainedModel
from melodylstm.model.lstm import MelodyLSTM
from melodylstm.music.meter import bar_length
from melodylstm.representation.base import Meter
from melodylstm.representation.melody import MAX_BAR_NUMBER, MelodyRepresentation
from melodylstm.settings import ModelSettings, settings

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


def test_positions_count_the_pickup_and_lookbacks_reach_the_bars_asked_for():
    song = np.arange(10, 20)  # ten steps of a 3/4 bar of 4 steps (pretend), pickup of 3
    features = step_features(song, bar=4, pickup=3, boundary=0, lookback_bars=(1, 2))
    assert features.shape == (11, 5)
    columns = MelodyRepresentation((1, 2)).input_columns
    assert columns == ("meter", "position", "bar_number", "lookback_1", "lookback_2")
    assert features[:, 0].tolist() == [4] * 11
    assert features[:, 1].tolist() == [3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert features[:, 2].tolist() == [0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3]  # anacrusis is bar 0
    assert features[:, 3].tolist() == [0, 0, 0, 0, 10, 11, 12, 13, 14, 15, 16]
    assert features[:, 4].tolist() == [0] * 8 + [10, 11, 12]
    far = step_features(song, bar=2, pickup=0, boundary=0, lookback_bars=(4,))
    assert far.shape == (11, 4)
    assert far[:, 2].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]  # no anacrusis: bar 1 first
    assert far[:, 3].tolist() == [0] * 8 + [10, 11, 12]


def test_bar_numbers_stop_at_the_last_one_the_model_tells_apart():
    features = step_features(np.zeros(200, dtype=np.int64), bar=4, pickup=0, boundary=0)
    assert features[:, 2].max() == MAX_BAR_NUMBER
    assert features[4 * (MAX_BAR_NUMBER - 1), 2] == MAX_BAR_NUMBER


def test_unknown_meter_has_position_zero_and_4_4_lookbacks():
    features = step_features(np.arange(1, 21), bar=0, pickup=0, boundary=0, lookback_bars=(1,))
    assert features[:, :3].sum() == 0
    assert features[16, 3] == 1 and features[15, 3] == 0


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
    bars, pickups = split_meters(table, "train", 0.25)
    assert (bars, pickups) == ([12, 12, 0], [0, 10, 0])
    arrays = songs_to_arrays([["60"], ["62"], ["64"]], VOCABULARY, bars, pickups)
    save_arrays(arrays, tmp_path / "train.npz")
    assert load_meters(tmp_path / "train.npz") == [(12, 0), (12, 10), (0, 0)]


@pytest.fixture
def feature_model():
    torch.manual_seed(0)
    model = MelodyLSTM(
        len(VOCABULARY), 6, 12, 2, 0.0, bar_position=True, lookback=[1, 2, 4], bar_number=True
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
    meters = [Meter(4, 2), Meter(12, 0), Meter(0, 0)]  # each row of the batch in its own meter
    inputs = representation.step_inputs(song[:3], meters, 0, len(song))
    steps = [inputs.next(None)] + [inputs.next(np.array([t] * 3)) for t in song[3:]]
    for row, meter in enumerate(meters):
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
    request = SongRequest(["60"], 20, 20, Meter(12, 0))
    sampled = sample_songs(feature_model, request, 3, Sampling(), 1)
    assert all(len(song) == 21 for song in sampled)
