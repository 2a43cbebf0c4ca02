"""What a rule asks a texture to write, and writing what it wrote: results/generated/{name}.txt
(the tokens), .json (:mod:`.song_info`) and .mid, the same for every texture."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from musiclstm.generation.song_info import SongInfo, write_song_info
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.model.recall import RecallWeights, with_recall
from musiclstm.music.midi import write_midi
from musiclstm.settings import EncodingSettings, SongSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerateRequest:
    """An entry of `generate:` (``song``, named ``name``) to write ``count`` pieces of with the
    model ``trained``; ``encoding`` reads a seed or melody file, ``melody_path`` is the file
    whose melody is harmonised (None: compose), ``train_path`` the training split that
    ``time_signature: auto`` draws meters from (and a melody its upbeat and form), ``training``
    that split already read (:class:`~musiclstm.generation.melodies.TrainingSongs`) by a caller
    that asks for many pieces, so that it is read once."""

    trained: TrainedModel
    song: SongSettings
    name: str
    count: int
    encoding: EncodingSettings | None = None
    melody_path: str | None = None
    train_path: str | None = None
    training: object | None = None


def generate_pieces(
    checkpoint_path,
    song: SongSettings,
    name: str,
    files: dict[str, list],
    encoding: EncodingSettings | None = None,
    melody_path: str | None = None,
    train_path: str | None = None,
    recall_path: str | None = None,
) -> list[tuple[list[str], SongInfo]]:
    """Write the pieces that ``song`` asks for with the checkpoint's texture (as its checkpoint
    records it) to ``files`` (``midi``, ``tokens`` and ``info`` paths, one per piece); with
    ``song.recall``, the model mixed with each piece's recall, its weights read from
    ``recall_path``."""
    trained = recalling(TrainedModel.load(checkpoint_path), song, recall_path)
    request = GenerateRequest(
        trained, song, name, len(files["midi"]), encoding, melody_path, train_path
    )
    written = trained.texture.generate(request)
    for (tokens, info), midi, tokens_path, info_path in zip(
        written, files["midi"], files["tokens"], files["info"], strict=True
    ):
        write_piece_files(trained.texture, tokens, info, Path(midi), Path(tokens_path))
        write_song_info(info, info_path)
        log.info(
            "%s: %s, %d steps: %s",
            Path(midi).name,
            info.time_signature,
            len(tokens),
            " ".join(tokens),
        )
    return written


def recalling(trained: TrainedModel, song: SongSettings, recall_path) -> TrainedModel:
    """``trained`` mixed with each piece's recall where ``song`` asks for it."""
    if not song.recall:
        return trained
    if recall_path is None:
        raise ValueError("recall: true needs the model's recall weights (its recall.json)")
    return with_recall(trained, RecallWeights.read(recall_path))


def files_of(output) -> dict[str, list]:
    """The ``midi``, ``tokens`` and ``info`` paths of a generate rule's output, by kind."""
    return {kind: list(getattr(output, kind)) for kind in PIECE_KINDS}


PIECE_KINDS = ("midi", "tokens", "info")


def write_piece_files(texture, tokens: list[str], info: SongInfo, midi: Path, tokens_path: Path):
    """The tokens as text and the piece they decode to as MIDI."""
    tokens_path.write_text(" ".join(tokens) + "\n")
    write_midi(texture.piece(tokens, info), midi)
