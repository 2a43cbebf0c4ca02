"""The frame model of chorales: one LSTM step per frame, the frame's tokens predicted in order.

The chorale stream has five tokens a frame (the frame token, then soprano, alto, tenor and bass;
:mod:`melodylstm.music.voices`). The per-step LSTM runs one step per token. This model runs the
LSTM once per frame, on the whole previous frame (its five token embeddings) and the new frame's
place in its bar and in the piece; each token of the frame is then predicted from that state and
the embeddings of the frame's tokens chosen so far, by a small layer of its own slot:

    h_f = LSTM(h_{f-1}, [frame f-1's five tokens, meter and bar of frame f])
    p(slot k of frame f) = softmax(W tanh(U_k [h_f, tokens 0..k-1 of frame f] + b_k))

so the alto is chosen given the soprano, the bass given the three voices above it, as in the
per-step model, with a fifth of its LSTM steps. It reads the stream one token at a time like
every model (``logits, state = model(tokens, inputs, state)``): the state holds the LSTM's and
the frame's tokens so far, and the ``voice`` input column says which slot comes next.
"""

from __future__ import annotations

import torch
from torch import nn

from melodylstm.model.base import LanguageModel, State
from melodylstm.music.meter import MAX_BAR
from melodylstm.music.voices import FRAME_WIDTH
from melodylstm.representation.melody import MAX_BAR_NUMBER


class FrameLSTM(LanguageModel):
    """``voice_column`` is the index of the ``voice`` input column (the slot of the step)."""

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        voice_column: int,
    ):
        super().__init__()
        self.voice_column = voice_column
        self.embedding_size = embedding_size
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.position_embedding = nn.Embedding(MAX_BAR, embedding_size)
        self.meter_embedding = nn.Embedding(MAX_BAR + 1, embedding_size)
        self.bar_number_embedding = nn.Embedding(MAX_BAR_NUMBER + 1, embedding_size)
        frame_input = embedding_size * (FRAME_WIDTH + 2)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(
            frame_input, hidden_size, num_layers, batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )  # fmt: skip
        # One layer per slot over the frame state and the tokens of the frame chosen so far.
        slot_input = hidden_size + embedding_size * FRAME_WIDTH
        self.slot_weight = nn.Parameter(torch.empty(FRAME_WIDTH, slot_input, hidden_size))
        self.slot_bias = nn.Parameter(torch.zeros(FRAME_WIDTH, hidden_size))
        nn.init.xavier_uniform_(self.slot_weight)
        self.head = nn.Linear(hidden_size, vocab_size)

    def initial_state(self, rows: int, device) -> State:
        layers, hidden = self.lstm.num_layers, self.lstm.hidden_size
        zeros = torch.zeros(layers, rows, hidden, device=device)
        # The frame being written: its tokens' embeddings so far, (1, rows, slots * embedding).
        frame = torch.zeros(1, rows, FRAME_WIDTH * self.embedding_size, device=device)
        return zeros, zeros.clone(), frame

    def frame_input(self, frame: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """The LSTM's input at a new frame: the finished frame and where the new one lies."""
        place = self.position_embedding(inputs[:, 1]) + self.meter_embedding(inputs[:, 0])
        return torch.cat([frame, place, self.bar_number_embedding(inputs[:, 2])], dim=-1)

    def forward(
        self, tokens: torch.Tensor, inputs: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens (batch, time): the stream shifted by one (the boundary first); inputs (batch,
        time, columns) of the step each token leads to -> logits (batch, time, vocab)."""
        rows, steps = tokens.shape
        hidden, cell, frame = (
            state if state is not None else self.initial_state(rows, tokens.device)
        )
        frame = frame[0]
        slots = inputs[..., self.voice_column]
        embedded = self.dropout(self.embedding(tokens))
        width = self.embedding_size
        outputs = []
        for step in range(steps):
            slot = slots[:, step]
            # The token read now is the previous slot's: the bass of the frame before a new frame.
            written = (slot - 1) % FRAME_WIDTH
            columns = torch.arange(FRAME_WIDTH * width, device=tokens.device) // width
            place = (columns[None, :] == written[:, None]).to(frame.dtype)
            frame = frame * (1 - place) + embedded[:, step].repeat(1, FRAME_WIDTH) * place
            starts = (slot == 0)[:, None]
            step_input = self.dropout(self.frame_input(frame, inputs[:, step]))
            output, (new_hidden, new_cell) = self.lstm(step_input[:, None], (hidden, cell))
            keep = starts[None].to(hidden.dtype)
            hidden = new_hidden * keep + hidden * (1 - keep)
            cell = new_cell * keep + cell * (1 - keep)
            frame = frame * (~starts).to(frame.dtype)  # a new frame has no tokens yet
            joined = torch.cat([self.dropout(hidden[-1]), frame], dim=-1)
            slot_hidden = torch.tanh(
                torch.bmm(joined[:, None], self.slot_weight[slot])[:, 0] + self.slot_bias[slot]
            )
            outputs.append(self.head(self.dropout(slot_hidden)))
        return torch.stack(outputs, dim=1), (hidden, cell, frame[None])
