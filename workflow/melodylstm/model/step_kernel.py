"""One sampling step of a :class:`~melodylstm.model.MelodyLSTM` in a few large operations.

Sampling feeds one token at a time, so the time goes into the number of operations per step, not
into arithmetic. Run through the model's modules, a step costs several embedding lookups, a
concatenation, ``nn.LSTM``'s per-call set-up and the head. This kernel computes the same function
with far fewer calls:

- Everything the first layer reads besides its own hidden state is a table lookup: the token and
  lookback embeddings, the bar position, meter and bar number each pass through the first layer's
  input weights, which is linear, so each is folded once into a table of input-gate rows (with
  both biases in the token's table). A step sums its token and lookback rows with one
  ``embedding_bag`` and adds one cached row for its place in the bar and the song, instead of
  several lookups, a concatenation and a matrix product.
- The first layer then needs one matrix product for its hidden state; each layer above, one for
  its input and hidden state together; the head, one ``addmm``. One sigmoid computes all four
  gates (tanh(x) = 2 sigmoid(2x) - 1, with the candidate's weights doubled once).

The results equal the model's to float rounding (tests compare them); the model must be in
evaluation mode, where dropout does nothing.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional

State = tuple[torch.Tensor, torch.Tensor]  # (layers, rows, hidden) each, as nn.LSTM's


def kernel_supports(model: nn.Module) -> bool:
    """Whether :class:`StepKernel` can run ``model`` (a MelodyLSTM on ``nn.LSTM``)."""
    return hasattr(model, "lookback_bars") and isinstance(getattr(model, "lstm", None), nn.LSTM)


class StepKernel:
    """Advances ``rows`` songs by one token each.

    ``logits, state = kernel(tokens, lookbacks, meter, state)``: ``tokens`` (rows,) are the tokens
    just chosen, ``lookbacks`` one (rows,) tensor per entry of the model's ``lookback_bars``, and
    ``meter`` the ``(meter, position, bar_number)`` of the step they lead to, the same for every
    row (see :mod:`melodylstm.representation.features`). Tokens in ``banned`` get a logit of -inf.
    """

    @torch.inference_mode()
    def __init__(self, model: nn.Module, banned: tuple[int, ...] = ()):
        lstm, embedding = model.lstm, model.embedding
        blocks = lstm.weight_ih_l0.split(embedding.embedding_dim, dim=1)  # one per input part
        bias = lstm.bias_ih_l0 + lstm.bias_hh_l0
        lookbacks = len(model.lookback_bars)
        # The token's rows (with both biases), then each lookback's: indexed by one embedding bag.
        tables = [embedding.weight @ blocks[0].T + bias]
        tables += [embedding.weight @ blocks[1 + i].T for i in range(lookbacks)]
        self.token_table = torch.cat(tables).contiguous()
        vocab = embedding.num_embeddings
        self.offsets = (torch.arange(1 + lookbacks) * vocab).view(1, -1).to(bias.device)
        # The meter, position and bar number are the same for every row: one cached row of gates.
        self.meter_tables: list[tuple[int, torch.Tensor]] = []
        part = 1 + lookbacks
        if model.bar_position:
            self.meter_tables.append((0, model.meter_embedding.weight @ blocks[part].T))
            self.meter_tables.append((1, model.position_embedding.weight @ blocks[part].T))
            part += 1
        if model.bar_number:
            self.meter_tables.append((2, model.bar_number_embedding.weight @ blocks[part].T))
        self.meter_rows: dict[tuple[int, ...], torch.Tensor] = {}
        self.hidden_size = lstm.hidden_size
        self.weight_hh0 = lstm.weight_hh_l0.T.contiguous()
        # Each upper layer's input and hidden weights as one matrix: one product per layer.
        self.upper = [
            (
                torch.cat(
                    [getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}")], 1
                ).T.contiguous(),
                getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}"),
            )
            for layer in range(1, lstm.num_layers)
        ]
        # tanh(x) = 2 sigmoid(2x) - 1, and torch's tanh costs several times its sigmoid: with the
        # candidate gate's pre-activations doubled here, one sigmoid serves all four gates.
        candidate = slice(2 * lstm.hidden_size, 3 * lstm.hidden_size)
        doubled = [self.token_table, self.weight_hh0, *(table for _, table in self.meter_tables)]
        for weight, bias in self.upper:
            doubled += [weight, bias.view(1, -1)]
        for gates in doubled:
            gates[:, candidate] *= 2
        self.head_weight = model.head.weight.T.contiguous()
        self.head_bias = model.head.bias.clone()
        self.head_bias[list(banned)] = -math.inf

    def meter_row(self, meter: tuple[int, int, int]) -> torch.Tensor | None:
        if not self.meter_tables:
            return None
        row = self.meter_rows.get(meter)
        if row is None:
            row = sum(table[meter[column]] for column, table in self.meter_tables)
            self.meter_rows[meter] = row
        return row

    def cell(self, gates: torch.Tensor, cell: torch.Tensor) -> State:
        """The LSTM cell's update from its gates' pre-activations (i, f, g, o, as nn.LSTM)."""
        size = self.hidden_size
        gates = gates.sigmoid_()
        candidate = gates[:, 2 * size : 3 * size].mul(2).sub_(1)  # tanh of the undoubled value
        new_cell = cell * gates[:, size : 2 * size]
        new_cell.addcmul_(gates[:, :size], candidate)
        return new_cell.tanh().mul_(gates[:, 3 * size :]), new_cell

    @torch.inference_mode()
    def __call__(
        self,
        tokens: torch.Tensor,
        lookbacks: list[torch.Tensor],
        meter: tuple[int, int, int],
        state: State,
    ) -> tuple[torch.Tensor, State]:
        indices = torch.stack([tokens, *lookbacks], dim=1) if lookbacks else tokens.view(-1, 1)
        gates = functional.embedding_bag(indices + self.offsets, self.token_table, mode="sum")
        row = self.meter_row(meter)
        if row is not None:
            gates += row
        hidden, cell = state
        output, new_cell = self.cell(torch.addmm(gates, hidden[0], self.weight_hh0), cell[0])
        hiddens, cells = [output], [new_cell]
        for layer, (weight, bias) in enumerate(self.upper, start=1):
            joined = torch.cat([output, hidden[layer]], dim=1)
            output, new_cell = self.cell(torch.addmm(bias, joined, weight), cell[layer])
            hiddens.append(output)
            cells.append(new_cell)
        logits = torch.addmm(self.head_bias, output, self.head_weight)
        return logits, (torch.stack(hiddens), torch.stack(cells))
