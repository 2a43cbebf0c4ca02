"""Writing the songs of `generate:`: the seed checked, the songs sampled, their endings and key,
and the MIDI and token files."""

from __future__ import annotations

import logging
from pathlib import Path

from melodylstm.data.vocabulary import Vocabulary
from melodylstm.generation.sampling import sample_songs
from melodylstm.generation.strategies import Sampling, SongRequest
from melodylstm.model.checkpoint import TrainedModel
from melodylstm.music.meter import bar_length, bar_steps
from melodylstm.music.midi import write_midi
from melodylstm.music.tokens import HOLD, is_pitch, parse_token_string, transpose_tokens
from melodylstm.music.tonality import key_shift, song_tonic
from melodylstm.representation.base import Meter
from melodylstm.settings import SongSettings

log = logging.getLogger(__name__)


def check_seed(seed: str, vocabulary: Vocabulary, song: str = "song") -> list[str]:
    """The seed melody's tokens; a token the model does not know is named with what is allowed."""
    tokens = parse_token_string(seed, what=f"seed of {song!r}")
    allowed = vocabulary.music_tokens()
    for position, token in enumerate(tokens):
        if token not in allowed:
            raise ValueError(
                f"seed of {song!r}: token {token!r} at position {position} is not in the model's "
                f"vocabulary; allowed tokens are: {' '.join(allowed)}"
            )
    return tokens


def end_on_tonic(
    tokens: list[str], vocabulary: Vocabulary, bar: int, bars: int | None, tonic: int | None = None
) -> list[str]:
    """Make the song end with a whole bar of its tonic, starting on a bar line.

    With ``bars`` the last of those bars becomes the tonic bar; otherwise the song is completed to
    the next bar line by holding its last note (or rest) and the tonic bar is added.
    """
    tonic = song_tonic(tokens) if tonic is None else tonic
    pitches = [int(t) for t in tokens if is_pitch(t)]
    last = pitches[-1] if pitches else 60
    choices = [int(t) for t in vocabulary.music_tokens() if is_pitch(t) and int(t) % 12 == tonic]
    if not choices:
        return tokens
    final = min(choices, key=lambda p: abs(p - last))
    body = tokens[: (bars - 1) * bar] if bars else tokens + [HOLD] * (-len(tokens) % bar)
    return body + [str(final)] + [HOLD] * (bar - 1)


def song_request(song: SongSettings, seed: list[str], time_step: float) -> SongRequest:
    """What to sample for ``song``: with ``bars``, exactly that many bars (the song cannot end
    sooner), else up to ``steps`` new tokens; in the song's written meter."""
    bar = bar_steps(song.time_signature, time_step)
    steps, min_steps = song.steps, 0
    if song.bars:
        steps = min_steps = max(song.bars * bar - len(seed), 0)
    return SongRequest(seed, steps, min_steps, Meter(bar_length(song.time_signature, time_step), 0))


def finish_song(
    tokens: list[str], song: SongSettings, vocabulary: Vocabulary, time_step: float
) -> list[str]:
    """The sampled tokens with the ending and in the key that ``song`` asks for."""
    tonic = song_tonic(tokens)  # decided once, so the last bar and the key agree
    if song.end_on_tonic:
        bar = bar_steps(song.time_signature, time_step)
        tokens = end_on_tonic(tokens, vocabulary, bar, song.bars, tonic)
    if song.key:
        tokens = transpose_tokens(tokens, key_shift(song.key, tonic))
    return tokens


def generate_song(
    checkpoint_path, song: SongSettings, midi_paths: list, tokens_paths: list, name: str = "song"
) -> list[list[str]]:
    """Write the songs that ``song`` (an entry of ``generate:``) asks for, as MIDI and tokens."""
    trained = TrainedModel.load(checkpoint_path)
    seed = check_seed(song.seed, trained.vocabulary, name)
    request = song_request(song, seed, trained.time_step)
    sampled = sample_songs(
        trained, request, len(midi_paths), Sampling.from_song(song), song.random_seed
    )
    written = []
    for tokens, midi_path, tokens_path in zip(sampled, midi_paths, tokens_paths, strict=True):
        tokens = finish_song(tokens, song, trained.vocabulary, trained.time_step)
        Path(tokens_path).write_text(" ".join(tokens) + "\n")
        write_midi(
            tokens,
            midi_path,
            step=trained.time_step,
            tempo_bpm=song.tempo_bpm,
            time_signature=song.time_signature,
        )
        log.info("%s: %d steps: %s", Path(midi_path).name, len(tokens), " ".join(tokens))
        written.append(tokens)
    return written
