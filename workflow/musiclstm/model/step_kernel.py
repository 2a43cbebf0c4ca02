"""One sampling step of a :class:`~musiclstm.model.lstm.StepLSTM` in a few large operations.

Sampling feeds one token at a time, so the time goes into the number of operations per step, not
into arithmetic. Run through the model's modules, a step costs several embedding lookups, a
concatenation, ``nn.LSTM``'s per-call set-up and the head. This kernel computes the same function
with far fewer calls:

- Everything the first layer reads besides its own hidden state is a table lookup: the token and
  lookback embeddings, the bar position, meter and bar number each pass through the first layer's
  input weights, which is linear, so each is folded once into a table of input-gate rows (with
  both biases in the token's table). A step sums its token and lookback rows with one
  ``embedding_bag`` and its rows for its place in the bar and the song with another (each row of
  the batch may be in a meter of its own), instead of several lookups, a concatenation and a
  matrix product.
- The pitches sounding around the step, where the model reads them, are token rows too.
- A harmoniser's reading of its given melody (the model's ``reader``) adds one product of the
  step's frame's reading and its block of the first layer's weights.
- A model's voice-leading weights are computed from the step's inputs as the model does.
- The first layer then needs one matrix product for its hidden state; each layer above, one for
  its input and hidden state together; the head, one ``addmm``. One sigmoid computes all four
  gates (tanh(x) = 2 sigmoid(2x) - 1, with the candidate's weights doubled once).

The results equal the model's to float rounding (tests compare them); the model must be in
evaluation mode, where dropout does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch.nn import functional

from musiclstm.representation.melody import COLUMN, METER_COLUMNS

if TYPE_CHECKING:
    from musiclstm.model.lstm import StepLSTM

# (layers, rows, hidden) each, as nn.LSTM's; a harmoniser's also holds its reading of the given
# melody and the steps fed (see StepLSTM.start).
State = tuple[torch.Tensor, ...]


class StepKernel:
    """Advances ``rows`` songs by one token each:
    ``logits, state = kernel(tokens, inputs, state)`` with the (rows,) tokens just chosen and
    the (rows, columns) inputs of the step they lead to (the melody representation's columns).
    """

    @torch.inference_mode()
    def __init__(self, model: StepLSTM):
        lstm = model.lstm
        blocks = self.fold_reader(model)
        bias = lstm.bias_ih_l0 + lstm.bias_hh_l0
        self.fold_tokens(model, blocks, bias)
        self.fold_meter(meter_tables(model, blocks), bias.device)
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
        self.double_candidate_gate()
        self.head_weight = model.head.weight.T.contiguous()
        self.head_bias = model.head.bias.clone()
        self.voice_leading = model.voice_leading

    def fold_reader(self, model: StepLSTM) -> tuple[torch.Tensor, ...]:
        """The first layer's weights for a harmoniser's reading of its melody, which comes last
        in its input (none without a reader); returns the blocks of the other inputs, one per
        embedding."""
        weight, reader = model.lstm.weight_ih_l0, model.reader
        embedded_size = weight.shape[1] - (reader.size if reader is not None else 0)
        self.reader_weight = weight[:, embedded_size:].T.contiguous()
        self.frame_width = reader.frame_width if reader is not None else 0
        return weight[:, :embedded_size].split(model.embedding.embedding_dim, dim=1)

    def fold_tokens(self, model: StepLSTM, blocks, bias: torch.Tensor) -> None:
        """The token's rows (with both biases), then each lookback's and each sounding pitch's
        (those come after the meter and category blocks): one embedding bag."""
        embedding, lookbacks = model.embedding, model.lookbacks
        tables = [embedding.weight @ blocks[0].T + bias]
        tables += [embedding.weight @ blocks[1 + i].T for i in range(lookbacks)]
        first_sounding = len(blocks) - len(model.sounding)
        tables += [embedding.weight @ block.T for block in blocks[first_sounding:]]
        self.token_table = torch.cat(tables).contiguous()
        vocab = embedding.num_embeddings
        self.token_offsets = (torch.arange(len(tables)) * vocab).view(1, -1).to(bias.device)
        # The columns as slices: a step reads them as views, without copying.
        self.lookback_columns = slice(len(METER_COLUMNS), len(METER_COLUMNS) + lookbacks)
        self.sounding_columns = slice(model.sounding.start, model.sounding.stop)

    def fold_meter(self, tables: list[tuple[int, torch.Tensor]], device) -> None:
        """The meter, position, bar number and category rows (``(column, table)`` each): a
        second embedding bag over their columns."""
        columns = [column for column, _ in tables]
        # A melody's meter columns are a run, read as a view; a chorale's skip its token columns.
        is_run = columns == list(range(columns[0], columns[0] + len(columns))) if columns else True
        if not columns:
            self.meter_columns = slice(0, 0)
        elif is_run:
            self.meter_columns = slice(columns[0], columns[-1] + 1)
        else:
            self.meter_columns = torch.tensor(columns, device=device)
        self.meter_table = torch.cat([table for _, table in tables]) if tables else None
        sizes = [0] + [len(table) for _, table in tables[:-1]]
        self.meter_offsets = torch.tensor(sizes).cumsum(0).view(1, -1).to(device)

    def double_candidate_gate(self) -> None:
        """tanh(x) = 2 sigmoid(2x) - 1, and torch's tanh costs several times its sigmoid: with
        the candidate gate's pre-activations doubled here, one sigmoid serves all four gates."""
        candidate = slice(2 * self.hidden_size, 3 * self.hidden_size)
        doubled = [self.token_table, self.weight_hh0, self.reader_weight]
        if self.meter_table is not None:
            doubled.append(self.meter_table)
        for weight, bias in self.upper:
            doubled += [weight, bias.view(1, -1)]
        for gates in doubled:
            gates[:, candidate] *= 2

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
        self, tokens: torch.Tensor, inputs: torch.Tensor, state: State
    ) -> tuple[torch.Tensor, State]:
        columns = [inputs[:, self.lookback_columns], inputs[:, self.sounding_columns]]
        indices = torch.cat([tokens.view(-1, 1), *columns], dim=1)
        gates = functional.embedding_bag(indices + self.token_offsets, self.token_table, mode="sum")
        if self.meter_table is not None:
            meter = inputs[:, self.meter_columns] + self.meter_offsets  # a view or a gather
            gates += functional.embedding_bag(meter, self.meter_table, mode="sum")
        hidden, cell = state[:2]
        if self.frame_width:  # the reading of this step's frame of the given melody
            read, fed = state[2][0], state[3][0]
            frames = (fed // self.frame_width).clamp(max=read.shape[1] - 1)
            gates.addmm_(read[torch.arange(len(frames)), frames], self.reader_weight)
        output, new_cell = self.cell(torch.addmm(gates, hidden[0], self.weight_hh0), cell[0])
        hiddens, cells = [output], [new_cell]
        for layer, (weight, bias) in enumerate(self.upper, start=1):
            joined = torch.cat([output, hidden[layer]], dim=1)
            output, new_cell = self.cell(torch.addmm(bias, joined, weight), cell[layer])
            hiddens.append(output)
            cells.append(new_cell)
        logits = torch.addmm(self.head_bias, output, self.head_weight)
        if self.voice_leading is not None:
            logits += self.voice_leading(inputs)
        if self.frame_width:
            return logits, (torch.stack(hiddens), torch.stack(cells), state[2], state[3] + 1)
        return logits, (torch.stack(hiddens), torch.stack(cells))


def meter_tables(model: StepLSTM, blocks) -> list[tuple[int, torch.Tensor]]:
    """``(input column, rows of first-layer gates)`` of each meter, position, bar number and
    category embedding the model reads, folded through its block of the input weights."""
    tables: list[tuple[int, torch.Tensor]] = []
    part = 1 + model.lookbacks
    if model.bar_position:
        for name in ("meter", "beat", "position"):
            weight = getattr(model, f"{name}_embedding").weight
            tables.append((COLUMN[name], weight @ blocks[part].T))
        part += 1
    if model.bar_number:
        tables.append((COLUMN["bar_number"], model.bar_number_embedding.weight @ blocks[part].T))
        part += 1
    if model.bars_left:
        tables.append((COLUMN["bars_left"], model.bars_left_embedding.weight @ blocks[part].T))
        part += 1
    after = len(METER_COLUMNS) + model.lookbacks
    for i in range(model.categories):
        weight = model.category_embeddings[i].weight
        tables.append((after + i, weight @ blocks[part + i].T))
    return tables
