"""The hand-written LSTM equals nn.LSTM: outputs, final states and gradients, in float64."""

import pytest
import torch
from torch import nn

from musiclstm.model.lstm import StepLSTM
from musiclstm.model.lstm_scratch import ScratchLSTM

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def twins(input_size, hidden_size, num_layers, dropout=0.0, batch_first=True, seed=0):
    """An nn.LSTM and a ScratchLSTM with the same float64 weights."""
    torch.manual_seed(seed)
    reference = nn.LSTM(
        input_size, hidden_size, num_layers, dropout=dropout, batch_first=batch_first
    ).double()
    scratch = ScratchLSTM(input_size, hidden_size, num_layers, dropout, batch_first).double()
    scratch.load_state_dict(reference.state_dict())
    return reference, scratch


def run(lstm, inputs, state, weights):
    """Outputs, final states and the gradients of a fixed random mix of all three."""
    inputs = inputs.clone().requires_grad_(True)
    state = None if state is None else tuple(s.clone().requires_grad_(True) for s in state)
    lstm.zero_grad()
    output, (h, c) = lstm(inputs, state)
    loss = (output * weights[0]).sum() + (h * weights[1]).sum() + (c * weights[2]).sum()
    loss.backward()
    gradients = {"input": inputs.grad}
    if state is not None:
        gradients |= {"h_0": state[0].grad, "c_0": state[1].grad}
    gradients |= {name: p.grad for name, p in lstm.named_parameters()}
    return {"output": output, "h_n": h, "c_n": c}, gradients


def assert_same(reference, scratch, inputs, state):
    batch_first = reference.batch_first
    batch = inputs.shape[0] if batch_first else inputs.shape[1]
    steps = inputs.shape[1] if batch_first else inputs.shape[0]
    out_shape = (batch, steps) if batch_first else (steps, batch)
    hidden, layers = reference.hidden_size, reference.num_layers
    weights = (
        torch.randn(*out_shape, hidden, dtype=torch.float64),
        torch.randn(layers, batch, hidden, dtype=torch.float64),
        torch.randn(layers, batch, hidden, dtype=torch.float64),
    )
    values, gradients = run(reference, inputs, state, weights)
    scratch_values, scratch_gradients = run(scratch, inputs, state, weights)
    assert values.keys() == scratch_values.keys()
    assert gradients.keys() == scratch_gradients.keys()
    for name, value in {**values, **gradients}.items():
        mine = {**scratch_values, **scratch_gradients}[name]
        assert mine.shape == value.shape, name
        torch.testing.assert_close(mine, value, **TOLERANCE, msg=name)


@pytest.mark.parametrize(
    "num_layers, batch, steps, input_size, hidden_size, batch_first, with_state",
    [
        (1, 3, 7, 5, 4, True, False),
        (1, 1, 1, 2, 3, True, True),
        (3, 2, 11, 6, 8, True, True),
        (3, 4, 5, 3, 2, False, False),
        (2, 5, 9, 4, 6, False, True),
    ],
)
def test_equals_nn_lstm(num_layers, batch, steps, input_size, hidden_size, batch_first, with_state):
    reference, scratch = twins(input_size, hidden_size, num_layers, batch_first=batch_first)
    shape = (batch, steps) if batch_first else (steps, batch)
    inputs = torch.randn(*shape, input_size, dtype=torch.float64)
    state = None
    if with_state:
        state = tuple(
            torch.randn(num_layers, batch, hidden_size, dtype=torch.float64) for _ in range(2)
        )
    assert_same(reference, scratch, inputs, state)


@pytest.mark.parametrize("num_layers", [2, 3])
def test_dropout_between_layers_equals_nn_lstm_with_the_same_random_seed(num_layers):
    reference, scratch = twins(3, 5, num_layers, dropout=0.4)
    inputs = torch.randn(4, 6, 3, dtype=torch.float64)
    weights = tuple(
        torch.randn(s, dtype=torch.float64) for s in [(4, 6, 5), *[(num_layers, 4, 5)] * 2]
    )
    torch.manual_seed(7)
    values, gradients = run(reference, inputs, None, weights)
    torch.manual_seed(7)
    scratch_values, scratch_gradients = run(scratch, inputs, None, weights)
    for name, value in {**values, **gradients}.items():
        mine = {**scratch_values, **scratch_gradients}[name]
        torch.testing.assert_close(mine, value, **TOLERANCE, msg=name)
    # Dropout really acted: without it the outputs differ.
    scratch.eval()
    assert not torch.allclose(scratch(inputs)[0], values["output"])


def test_dropout_is_off_in_eval_mode():
    reference, scratch = twins(3, 5, 3, dropout=0.5)
    reference.eval()
    scratch.eval()
    inputs = torch.randn(2, 8, 3, dtype=torch.float64)
    assert_same(reference, scratch, inputs, None)
    torch.testing.assert_close(scratch(inputs)[0], scratch(inputs)[0], rtol=0, atol=0)


def test_carried_state_continues_the_sequence():
    reference, scratch = twins(4, 6, 2)
    inputs = torch.randn(3, 10, 4, dtype=torch.float64)
    whole, (h, c) = scratch(inputs)
    first, state = scratch(inputs[:, :4])
    second, (h2, c2) = scratch(inputs[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole, rtol=0, atol=1e-12)
    torch.testing.assert_close((h2, c2), (h, c), rtol=0, atol=1e-12)
    ref_first, ref_state = reference(inputs[:, :4])
    ref_second, _ = reference(inputs[:, 4:], ref_state)
    torch.testing.assert_close(second, ref_second, **TOLERANCE)


def test_state_dicts_are_interchangeable_with_nn_lstm():
    scratch = ScratchLSTM(7, 9, 3)
    reference = nn.LSTM(7, 9, 3)
    assert {k: v.shape for k, v in scratch.state_dict().items()} == {
        k: v.shape for k, v in reference.state_dict().items()
    }
    reference.load_state_dict(scratch.state_dict())


def test_bad_input_and_state_shapes_are_named():
    scratch = ScratchLSTM(4, 3, 2, batch_first=True)
    with pytest.raises(ValueError, match=r"4 features, not of shape \(2, 5, 3\)"):
        scratch(torch.randn(2, 5, 3))
    with pytest.raises(ValueError, match=r"\(2, 2, 3\)"):
        scratch(torch.randn(2, 5, 4), (torch.zeros(1, 2, 3), torch.zeros(1, 2, 3)))


def test_melody_model_with_the_scratch_cell_equals_the_torch_cell():
    torch.manual_seed(0)
    reference = StepLSTM(11, 4, 6, 2, 0.2, cell="torch").double().eval()
    scratch = StepLSTM(11, 4, 6, 2, 0.2, cell="scratch").double().eval()
    scratch.load_state_dict(reference.state_dict())
    tokens = torch.randint(0, 11, (3, 9))
    logits, state = reference(tokens, None)
    scratch_logits, scratch_state = scratch(tokens, None)
    torch.testing.assert_close(scratch_logits, logits, **TOLERANCE)
    torch.testing.assert_close(scratch_state, state, **TOLERANCE)
    with pytest.raises(ValueError, match="'gru'"):
        StepLSTM(11, 4, 6, 2, 0.2, cell="gru")
