"""The fast sampling step computes what the model computes, for every kind of input."""

import pytest
import torch

from musiclstm.data.vocabulary import Vocabulary
from musiclstm.model.lstm import StepLSTM
from musiclstm.model.step_kernel import StepKernel
from musiclstm.representation.base import Meter
from musiclstm.representation.melody import MelodyRepresentation

INPUTS = [
    {},
    {"lookback": [1]},
    {"bar_position": True},
    {"bar_position": True, "lookback": [1, 2, 4, 8], "bar_number": True},
    {"bar_position": True, "lookback": [1, 2], "bar_number": True, "bars_left": True},
    {"lookback": [1], "bars_left": True},  # the meter columns read are not a run
]


@pytest.mark.parametrize("inputs", INPUTS, ids=lambda inputs: "+".join(inputs) or "plain")
@pytest.mark.parametrize("layers", [1, 3])
def test_kernel_steps_equal_the_whole_sequence(inputs, layers):
    torch.manual_seed(layers)
    model = StepLSTM(20, 8, 16, layers, 0.5, **inputs).eval()
    representation = MelodyRepresentation(inputs.get("lookback", ()))
    rows = 3
    meters = [Meter(6, 2, 3, 60), Meter(4, 0, 4, 0), Meter(0, 0)]  # each row in its own meter
    songs = torch.randint(0, 20, (rows, 60))
    features = torch.stack(
        [
            torch.as_tensor(representation.song_inputs(song.numpy(), meter, 0))
            for song, meter in zip(songs, meters, strict=True)
        ]
    )
    tokens = torch.cat([torch.zeros(rows, 1, dtype=torch.long), songs], dim=1)
    with torch.inference_mode():
        whole, _ = model(tokens, features)
        kernel = StepKernel(model)
        state = (torch.zeros(layers, rows, 16), torch.zeros(layers, rows, 16))
        for step in range(61):
            logits, state = kernel(tokens[:, step], features[:, step], state)
            torch.testing.assert_close(logits, whole[:, step], rtol=1e-5, atol=1e-5)


def test_only_nn_lstm_models_step_through_the_kernel():
    fast = StepLSTM(4, 4, 8, 1, 0.0)
    scratch = StepLSTM(4, 4, 8, 1, 0.0, cell="scratch")
    assert isinstance(fast.stepper(), StepKernel)
    assert not isinstance(fast.stepper(fast=False), StepKernel)
    assert not isinstance(scratch.stepper(), StepKernel)


def test_module_steps_equal_the_kernel_steps():
    torch.manual_seed(0)
    vocabulary = Vocabulary(["/", "<unk>", "60", "62", "_"])
    model = StepLSTM(len(vocabulary), 4, 8, 2, 0.0, bar_position=True, lookback=[1]).eval()
    inputs = MelodyRepresentation((1,)).song_inputs([2, 4, 3, 4, 2], Meter(4, 1), 0)
    inputs = torch.as_tensor(inputs)[:, None].expand(-1, 2, -1)
    state = (torch.zeros(2, 2, 8), torch.zeros(2, 2, 8))
    fast_state = state
    with torch.inference_mode():
        for step, token in enumerate([0, 2, 4, 3, 4, 2]):
            tokens = torch.tensor([token, token])
            logits, state = model.stepper(fast=False)(tokens, inputs[step], state)
            fast, fast_state = model.stepper()(tokens, inputs[step], fast_state)
            torch.testing.assert_close(fast, logits, rtol=1e-5, atol=1e-5)
