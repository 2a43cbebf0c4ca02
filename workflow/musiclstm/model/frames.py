"""The frame model of chorales: one LSTM step per frame, the frame's tokens predicted in order.

The chorale stream has five tokens a frame (the frame token, then soprano, alto, tenor and bass;
:mod:`musiclstm.music.frames`). The per-step LSTM runs one step per token. This model runs the
LSTM once per frame, on the whole previous frame (its five token embeddings) and the new frame's
place in its bar and in the piece; each token of the frame is then predicted from that state and
the embeddings of the frame's tokens chosen so far, by a small layer of its own slot:

    h_f = LSTM(h_{f-1}, [frame f-1's five tokens, meter and bar of frame f])
    p(slot k of frame f) = softmax(W tanh(U_k [h_f, tokens 0..k-1 of frame f] + b_k))

so the alto is chosen given the soprano, the bass given the three voices above it, as in the
per-step model, with a fifth of its LSTM steps. It reads the stream one token at a time like
every model (``logits, state = model(tokens, inputs, state)``): the state holds the LSTM's, the
frame's tokens so far and the position reached, and a piece of the stream runs the LSTM once over
the frames it opens.
"""

from __future__ import annotations

import torch
from torch import nn

from musiclstm.model.base import LanguageModel, State
from musiclstm.music.meter import MAX_BAR
from musiclstm.representation.melody import COLUMN, MAX_BAR_NUMBER


class FrameLSTM(LanguageModel):
    """``frame_width`` is the tokens per frame of the stream it reads (five: a frame token and
    four voices)."""

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        frame_width: int = 5,
    ):
        super().__init__()
        self.frame_width = frame_width
        self.embedding_size = embedding_size
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.position_embedding = nn.Embedding(MAX_BAR, embedding_size)
        self.meter_embedding = nn.Embedding(MAX_BAR + 1, embedding_size)
        self.bar_number_embedding = nn.Embedding(MAX_BAR_NUMBER + 1, embedding_size)
        frame_input = embedding_size * (self.frame_width + 2)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(
            frame_input, hidden_size, num_layers, batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )  # fmt: skip
        # One layer per slot over the frame state and the tokens of the frame chosen so far.
        slot_input = hidden_size + embedding_size * self.frame_width
        self.slot_weight = nn.Parameter(torch.empty(self.frame_width, slot_input, hidden_size))
        self.slot_bias = nn.Parameter(torch.zeros(self.frame_width, hidden_size))
        nn.init.xavier_uniform_(self.slot_weight)
        self.head = nn.Linear(hidden_size, vocab_size)

    def initial_state(self, rows: int, device) -> State:
        layers, hidden = self.lstm.num_layers, self.lstm.hidden_size
        zeros = torch.zeros(layers, rows, hidden, device=device)
        # The frame being written: its tokens' embeddings so far, (1, rows, slots, embedding),
        # and the stream position reached, (1, rows, 1): every row is at the same one.
        frame = torch.zeros(1, rows, self.frame_width, self.embedding_size, device=device)
        return zeros, zeros.clone(), frame, torch.zeros(1, rows, 1, device=device)

    def frame_inputs(self, frames: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """The LSTM's inputs at new frames: each finished frame (rows, n, slots, embedding) and
        where the next one lies (the inputs of its first step, (rows, n, columns))."""
        place = self.position_embedding(inputs[..., COLUMN["position"]])
        place = place + self.meter_embedding(inputs[..., COLUMN["meter"]])
        number = self.bar_number_embedding(inputs[..., COLUMN["bar_number"]])
        return torch.cat([frames.flatten(start_dim=2), place, number], dim=-1)

    def forward(
        self, tokens: torch.Tensor, inputs: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens (batch, time): the stream shifted by one (the boundary first); inputs (batch,
        time, columns) of the step each token leads to -> logits (batch, time, vocab).

        Token ``k`` of the shifted stream is slot ``(k - 1) % 5`` of frame ``(k - 1) // 5`` (the
        leading boundary the last slot of a frame before the first); the step that predicts
        stream token ``k`` opens frame ``k // 5`` when ``k % 5 == 0``, which runs the LSTM on
        the frame just finished."""
        rows, steps = tokens.shape
        device = tokens.device
        hidden, cell, frame, reached = (
            state if state is not None else self.initial_state(rows, device)
        )
        first = int(reached[0, 0, 0].item())
        positions = first + torch.arange(steps, device=device)
        written_frame = torch.div(positions - 1, self.frame_width, rounding_mode="floor")
        written_slot = (positions - 1) % self.frame_width
        slots = positions % self.frame_width
        base = int(written_frame[0])  # the frame the first token is written into
        count = int(written_frame[-1]) - base + 2  # and one more: the frame the last step opens
        frames = torch.zeros(rows, count, self.frame_width, self.embedding_size, device=device)
        frames[:, 0] = frame[0]  # that frame's tokens written before this piece
        embedded = self.dropout(self.embedding(tokens))
        frames[:, written_frame - base, written_slot] = embedded
        # The LSTM runs once per frame opened here, on the frame before it.
        opens = (slots == 0).nonzero().view(-1)
        opened = torch.div(positions[opens], self.frame_width, rounding_mode="floor") - base
        if len(opens):
            lstm_in = self.dropout(self.frame_inputs(frames[:, opened - 1], inputs[:, opens]))
            outputs, (hidden, cell) = self.lstm(lstm_in, (hidden, cell))
            states = torch.cat([state_top(state, rows, self.lstm), outputs], dim=1)
        else:
            states = state_top(state, rows, self.lstm)
        # Each step reads the state of its frame: the last one opened at or before it.
        which = torch.cumsum((slots == 0).long(), dim=0)
        frame_state = states[:, which]
        # ... and the tokens of its frame chosen before it (the slots below its own).
        own = torch.div(positions, self.frame_width, rounding_mode="floor") - base
        so_far = (
            frames[:, own]
            * (torch.arange(self.frame_width, device=device)[None, :] < slots[:, None])[
                None, :, :, None
            ]
        )
        joined = torch.cat([self.dropout(frame_state), so_far.flatten(start_dim=2)], dim=-1)
        slot_hidden = joined.new_empty(rows, steps, self.slot_bias.shape[1])
        for slot in range(self.frame_width):  # each slot's steps through its own layer
            here = (slots == slot).nonzero().view(-1)
            slot_hidden[:, here] = torch.tanh(
                joined[:, here] @ self.slot_weight[slot] + self.slot_bias[slot]
            )
        logits = self.head(self.dropout(slot_hidden))
        last = frames[:, int(written_frame[-1]) - base][None]
        return logits, (hidden, cell, last, reached + steps)


def state_top(state: State | None, rows: int, lstm: nn.LSTM) -> torch.Tensor:
    """The top layer's hidden state (rows, 1, hidden) the piece starts from: zeros at the start."""
    if state is None:
        return torch.zeros(rows, 1, lstm.hidden_size, device=lstm.weight_hh_l0.device)
    return state[0][-1][:, None]
