"""The per-step melody model: embedding -> stacked LSTM -> linear head on every step, with the
state carried along the whole song.

``cell: torch`` runs ``nn.LSTM``; ``cell: scratch`` runs the hand-written
:class:`~musiclstm.model.lstm_scratch.ScratchLSTM`, which has the same parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from musiclstm.model.base import LanguageModel, State, Step
from musiclstm.model.lstm_scratch import make_lstm
from musiclstm.model.reader import MelodyReader
from musiclstm.model.voice_leading import VoiceLeadingWeights
from musiclstm.music.meter import MAX_BAR
from musiclstm.representation.melody import (
    BARS_LEFT_UNKNOWN,
    COLUMN,
    MAX_BAR_NUMBER,
    METER_COLUMNS,
)


class StepLSTM(LanguageModel):
    """Predicts the next token at every step of a token sequence (batch first).

    It reads a representation's input columns: the meter columns first (with ``bar_position``
    the position in the bar, the bar's length and the beat's, with ``bar_number`` the bar's
    number in the song, with ``bars_left`` the bars until its end), then the token columns (one
    per entry of ``lookback``: a melody's lookback bars, a chorale's earlier frames and bars),
    then columns of categories, ``categories`` giving how many values each takes (a chorale's
    voice slot).

    With ``melody_reader`` (a size), a harmoniser also reads the whole given melody backwards
    (:class:`~musiclstm.model.reader.MelodyReader`, over frames of ``reader_frame_width``
    steps): its state then holds the reading and the steps fed so far, and a piece starts from
    :meth:`start` with the melody given.

    With ``voice_leading`` (the :class:`~musiclstm.model.voice_leading.VoiceLeadingWeights`'
    arguments, which the representation gives), each candidate's score also gets learned
    weights on how it moves against the notes sounding around it; with ``sounding_columns``
    ((start, stop) of those columns) the LSTM also reads each of those pitches, after the
    categories.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        cell: str = "torch",
        bar_position: bool = False,
        lookback: list[int] = (),
        bar_number: bool = False,
        categories: list[int] = (),
        bars_left: bool = False,
        melody_reader: int = 0,
        reader_frame_width: int = 0,
        voice_leading: dict | None = None,
        sounding_columns: list[int] | None = None,
    ):
        super().__init__()
        self.bar_position = bar_position
        self.bar_number = bar_number
        self.bars_left = bars_left
        self.lookbacks = len(lookback)
        self.lookback_names = [str(name) for name in lookback]
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        # The lookback tokens share the token embedding: a pitch means the same wherever it is.
        if bar_position:
            # The step's place in its bar, and the bar's and the beat's lengths: where notes may
            # start and end, and how they group (6/8 in threes, 3/4 in twos).
            self.position_embedding = nn.Embedding(MAX_BAR, embedding_size)
            self.meter_embedding = nn.Embedding(MAX_BAR + 1, embedding_size)
            self.beat_embedding = nn.Embedding(MAX_BAR + 1, embedding_size)
        if bar_number:
            # Which bar of the song: where phrases start and cadences fall.
            self.bar_number_embedding = nn.Embedding(MAX_BAR_NUMBER + 1, embedding_size)
        if bars_left:
            # How far the end is: where the song must close.
            self.bars_left_embedding = nn.Embedding(BARS_LEFT_UNKNOWN + 1, embedding_size)
        if categories:
            self.category_embeddings = nn.ModuleList(
                nn.Embedding(size, embedding_size) for size in categories
            )
        self.categories = len(categories)
        # The pitches sounding around the step (the voice-leading weights' columns), each
        # through the token embedding: the chord so far, holds resolved, as the LSTM's input.
        self.sounding = range(*sounding_columns) if sounding_columns else range(0)
        self.reader = None
        if melody_reader:
            self.reader = MelodyReader(embedding_size, melody_reader, reader_frame_width)
        self.input_dropout = nn.Dropout(dropout)
        # The first layer reads every block of input_blocks, one after another.
        input_size = sum(width for _, width in self.input_blocks())
        self.lstm = make_lstm(cell, input_size, hidden_size, num_layers, dropout)
        self.output_dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)
        self.voice_leading = VoiceLeadingWeights(**voice_leading) if voice_leading else None

    def scores(self, output: torch.Tensor, inputs: torch.Tensor | None) -> torch.Tensor:
        """The logits of the top layer's ``output``, with the voice-leading weights."""
        logits = self.head(self.output_dropout(output))
        return logits if self.voice_leading is None else logits + self.voice_leading(inputs)

    def input_blocks(self) -> list[tuple[str, int]]:
        """The first LSTM layer's input, part by part in order, as (name, width): what a model
        that reads more inputs keeps of one that reads fewer (a harmoniser started from the
        model that composes)."""
        width = self.embedding.embedding_dim
        names = ["token", *(f"lookback {name}" for name in self.lookback_names)]
        names += [
            name for name in ("bar_position", "bar_number", "bars_left") if getattr(self, name)
        ]
        names += [f"category {i}" for i in range(self.categories)]
        names += [f"sounding {i}" for i in range(len(self.sounding))]
        blocks = [(name, width) for name in names]
        return blocks + ([("melody_reader", self.reader.size)] if self.reader is not None else [])

    def embedded(self, tokens: torch.Tensor, inputs: torch.Tensor | None) -> torch.Tensor:
        """The LSTM's input: the token's embedding, then each part of ``inputs`` it reads."""
        first = len(METER_COLUMNS)
        parts = [self.embedding(tokens)]
        if inputs is None and (
            self.lookbacks
            or self.bar_position
            or self.bar_number
            or self.bars_left
            or self.categories
        ):
            raise ValueError("this model reads bar positions and lookbacks: pass their inputs")
        parts += [self.embedding(inputs[..., first + i]) for i in range(self.lookbacks)]
        if self.bar_position:
            position = self.position_embedding(inputs[..., COLUMN["position"]])
            position = position + self.meter_embedding(inputs[..., COLUMN["meter"]])
            parts.append(position + self.beat_embedding(inputs[..., COLUMN["beat"]]))
        if self.bar_number:
            parts.append(self.bar_number_embedding(inputs[..., COLUMN["bar_number"]]))
        if self.bars_left:
            parts.append(self.bars_left_embedding(inputs[..., COLUMN["bars_left"]]))
        after = first + self.lookbacks
        parts += [
            embedding(inputs[..., after + i])
            for i, embedding in enumerate(self.category_embeddings if self.categories else ())
        ]
        parts += [self.embedding(inputs[..., column]) for column in self.sounding]
        return torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]

    def forward(
        self, tokens: torch.Tensor, inputs: torch.Tensor | None, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """tokens: (batch, time) ids and inputs (batch, time, columns) -> logits (batch, time,
        vocab) and the final state."""
        embedded = self.embedded(tokens, inputs)
        if self.reader is None:
            output, state = self.lstm(self.input_dropout(embedded), state)
            return self.scores(output, inputs), state
        if state is None or len(state) != 4:
            raise ValueError("this model reads a given melody: start it with model.start(given)")
        hidden, cell, read, fed = state
        embedded = torch.cat([embedded, self.read_at(read, fed, tokens.shape[1])], dim=-1)
        output, (hidden, cell) = self.lstm(self.input_dropout(embedded), (hidden, cell))
        return self.scores(output, inputs), (hidden, cell, read, fed + tokens.shape[1])

    def read_at(self, read: torch.Tensor, fed: torch.Tensor, steps: int) -> torch.Tensor:
        """(rows, steps, size): the reading of the frame each of the next ``steps`` columns
        predicts a token of (column ``t`` predicts the piece's token ``t``), the end's past it."""
        columns = fed[0, :, None] + torch.arange(steps, device=fed.device)
        frames = (columns // self.reader.frame_width).clamp(max=read.shape[2] - 1)
        return read[0].gather(1, frames[..., None].expand(-1, -1, read.shape[3]))

    def start(self, given: torch.Tensor, state: State | None = None) -> State | None:
        """The state to feed a piece from, where ``given`` (rows, steps) holds the ids given at
        each step of the piece (-1 where none): with a melody reader, its reading of the given
        melody, with ``state``'s LSTM state and steps fed (from the start where None).
        Training calls it before every chunk, so the reader learns from every one."""
        if self.reader is None:
            return state
        read = self.reader(self.embedding, given)[None]
        if state is None:
            rows, lstm = given.shape[0], self.lstm
            zeros = read.new_zeros(lstm.num_layers, rows, lstm.hidden_size)
            return (
                zeros,
                zeros.clone(),
                read,
                torch.zeros(1, rows, dtype=torch.long, device=given.device),
            )
        return state[0], state[1], read, state[3]

    def stepper(self, fast: bool = True) -> Step:
        """The :class:`~musiclstm.model.step_kernel.StepKernel` where the cell is ``nn.LSTM``
        (it folds that module's weights), else the modules themselves."""
        from musiclstm.model.step_kernel import StepKernel

        if fast and isinstance(self.lstm, nn.LSTM):
            return StepKernel(self)
        return self.step
