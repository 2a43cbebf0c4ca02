"""The LSTM written out by hand: the standard equations, vectorised over the batch.

For every layer and every time step ``t``, from the layer's input ``x_t`` and the previous
output ``h_{t-1}`` (each gate has its own weight matrix for each of the two and its own biases):

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)    input gate: how much new to write
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)    forget gate: how much old memory to keep
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)       candidate content
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)    output gate: how much memory to show
    c_t = f_t * c_{t-1} + i_t * g_t                         the new cell state (the memory)
    h_t = o_t * tanh(c_t)                                   the output, from the *new* cell state

The parameters have ``nn.LSTM``'s names, shapes and gate order (i, f, g, o stacked in one matrix
per layer), so the two modules load each other's state dicts and one replaces the other. It runs
about as many small matrix products per step as ``nn.LSTM`` does, but through Python and autograd
one step at a time, so it is slower; ``docs/lstm.md`` walks through it.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

State = tuple[torch.Tensor, torch.Tensor]


class ScratchLSTM(nn.Module):
    """A multi-layer LSTM with ``nn.LSTM``'s interface (no projections, not bidirectional).

    ``forward(input, state)`` takes ``input`` of shape (time, batch, features), or (batch, time,
    features) with ``batch_first``, and an optional ``state = (h_0, c_0)``, each (layers, batch,
    hidden); it returns the last layer's outputs at every step and the final ``(h_n, c_n)``.
    Dropout is applied to the outputs of every layer but the last, in training mode only.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        batch_first: bool = False,
    ):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, not {num_layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {dropout}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.batch_first = batch_first
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size
            # Rows 0:H, H:2H, 2H:3H, 3H:4H hold the i, f, g, o gates, as in nn.LSTM.
            weights = {
                f"weight_ih_l{layer}": (4 * hidden_size, layer_input),
                f"weight_hh_l{layer}": (4 * hidden_size, hidden_size),
                f"bias_ih_l{layer}": (4 * hidden_size,),
                f"bias_hh_l{layer}": (4 * hidden_size,),
            }
            for name, shape in weights.items():
                self.register_parameter(name, nn.Parameter(torch.empty(shape)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in +-1/sqrt(hidden), nn.LSTM's initialisation."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def layer_weights(self, layer: int) -> tuple[torch.Tensor, ...]:
        return tuple(
            getattr(self, f"{name}_l{layer}")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def forward(
        self, input: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        if input.dim() != 3 or input.shape[-1] != self.input_size:
            raise ValueError(
                f"input must be 3-dimensional with {self.input_size} features, "
                f"not of shape {tuple(input.shape)}"
            )
        # Time-major inside, so that each step is one slice and the dropout masks between layers
        # are drawn in the same order as nn.LSTM draws them.
        x = input.transpose(0, 1) if self.batch_first else input
        steps, batch = x.shape[0], x.shape[1]
        if state is None:
            zeros = x.new_zeros(self.num_layers, batch, self.hidden_size)
            state = (zeros, zeros)
        expected = (self.num_layers, batch, self.hidden_size)
        if tuple(state[0].shape) != expected or tuple(state[1].shape) != expected:
            raise ValueError(
                f"state (h, c) must both be of shape {expected}, not "
                f"{tuple(state[0].shape)} and {tuple(state[1].shape)}"
            )
        final_h, final_c = [], []
        for layer in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self.layer_weights(layer)
            # The input's share of all four gates at every step does not depend on h_{t-1}:
            # one matrix product for the whole sequence, (time, batch, 4 * hidden).
            from_input = F.linear(x, w_ih, b_ih + b_hh)
            w_hh_t = w_hh.t()
            h, c = state[0][layer], state[1][layer]
            outputs = []
            for t in range(steps):
                gates = from_input[t] + h @ w_hh_t
                i, f, g, o = gates.chunk(4, dim=-1)
                i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                c = f * c + i * g
                h = o * torch.tanh(c)  # the new cell state c_t, not c_{t-1}
                outputs.append(h)
            final_h.append(h)
            final_c.append(c)
            x = torch.stack(outputs) if outputs else x.new_zeros(0, batch, self.hidden_size)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        output = x.transpose(0, 1) if self.batch_first else x
        return output, (torch.stack(final_h), torch.stack(final_c))


CELLS = ("torch", "scratch")


def make_lstm(
    cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float
) -> nn.Module:
    """A batch-first LSTM: ``torch`` is ``nn.LSTM``, ``scratch`` is :class:`ScratchLSTM`."""
    # nn.LSTM warns about dropout with a single layer, where there is nothing between layers.
    between_layers = dropout if num_layers > 1 else 0.0
    if cell == "torch":
        return nn.LSTM(
            input_size, hidden_size, num_layers, batch_first=True, dropout=between_layers
        )
    if cell == "scratch":
        return ScratchLSTM(input_size, hidden_size, num_layers, between_layers, batch_first=True)
    raise ValueError(f"model.cell must be one of {', '.join(CELLS)}, not {cell!r}")
