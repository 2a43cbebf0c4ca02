"""The fast sampling step computes what the model computes, for every kind of input."""

import numpy as np
import pytest
import torch

from melodylstm.data.vocabulary import Vocabulary
from melodylstm.generation.stepper import Stepper
from melodylstm.model.lstm import MelodyLSTM
from melodylstm.model.step_kernel import StepKernel, kernel_supports
from melodylstm.representation.features import meter_columns, step_features

INPUTS = [
    {},
    {"lookback": [1]},
    {"bar_position": True},
    {"bar_position": True, "lookback": [1, 2, 4, 8], "bar_number": True},
]


@pytest.mark.parametrize("inputs", INPUTS, ids=lambda inputs: "+".join(inputs) or "plain")
@pytest.mark.parametrize("layers", [1, 3])
def test_kernel_steps_equal_the_whole_sequence(inputs, layers):
    torch.manual_seed(layers)
    model = MelodyLSTM(20, 8, 16, layers, 0.5, **inputs).eval()
    rows, bar, pickup = 3, 6, 2
    songs = torch.randint(0, 20, (rows, 60))
    features = torch.stack(
        [
            torch.as_tensor(step_features(song.numpy(), bar, pickup, 0, 61, model.lookback_bars))
            for song in songs
        ]
    )
    inputs_ = torch.cat([torch.zeros(rows, 1, dtype=torch.long), songs], dim=1)
    with torch.inference_mode():
        whole, _ = model(inputs_, None, features)
        kernel = StepKernel(model, banned=(5,))
        state = (torch.zeros(layers, rows, 16), torch.zeros(layers, rows, 16))
        for step in range(61):
            columns = features[:, step, 3:]
            meter = tuple(int(v) for v in meter_columns(np.int64(step), bar, pickup))
            lookbacks = [columns[:, i] for i in range(columns.shape[1])]
            logits, state = kernel(inputs_[:, step], lookbacks, meter, state)
            expected = whole[:, step].clone()
            expected[:, 5] = -torch.inf
            torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)


def test_the_stepper_uses_the_kernel_only_for_nn_lstm_models():
    vocabulary = Vocabulary(["/", "<unk>", "60", "_"])
    fast = MelodyLSTM(4, 4, 8, 1, 0.0)
    scratch = MelodyLSTM(4, 4, 8, 1, 0.0, cell="scratch")
    assert kernel_supports(fast) and not kernel_supports(scratch)
    assert Stepper(fast, vocabulary, ["60"], 1).kernel is not None
    assert Stepper(scratch, vocabulary, ["60"], 1).kernel is None
