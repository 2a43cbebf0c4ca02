"""Writing the songs of `generate:`: the seed checked, the songs sampled, their endings and key,
and the MIDI and token files."""

from __future__ import annotations

import logging

from melodylstm.data.vocabulary import Vocabulary
from melodylstm.generation.sampling import sample_melodies
from melodylstm.generation.strategies import Sampling
from melodylstm.music.tokens import HOLD, is_pitch, parse_token_string, transpose_tokens
from melodylstm.music.tonality import key_shift, song_tonic
from melodylstm.representation.features import (
    bar_length,
    steps_per_bar,
)

log = logging.getLogger(__name__)

STRATEGIES = ("temperature", "top_k", "top_p", "beam")


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


def bar_steps(time_signature: str, time_step: float) -> int:
    """Steps in one bar of ``time_signature`` (e.g. 12 for 3/4 in sixteenths); raises if none."""
    steps = steps_per_bar(time_signature, time_step)
    if steps is None:
        raise ValueError(f"a bar of {time_signature} is not a whole number of {time_step} steps")
    return steps


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


def generate_song(
    checkpoint_path, song: dict, midi_paths: list, tokens_paths: list, name: str = "song"
) -> list[list[str]]:
    """Write the songs that ``song`` (an entry of ``generate:``) asks for, as MIDI and tokens."""
    from pathlib import Path

    from melodylstm.model.lstm import load_checkpoint
    from melodylstm.music.midi import write_midi

    model, checkpoint = load_checkpoint(checkpoint_path)
    vocabulary = Vocabulary(checkpoint["vocabulary"])
    seed = check_seed(song["seed"], vocabulary, name)
    time_step = checkpoint["config"]["encoding"]["time_step"]
    bar = bar_steps(song["time_signature"], time_step)
    steps = song["steps"]
    min_steps = 0
    if song["bars"]:
        steps = max(song["bars"] * bar - len(seed), 0)
        min_steps = steps
    songs = sample_melodies(
        model,
        vocabulary,
        seed,
        len(midi_paths),
        steps,
        Sampling.from_song(song),
        song["random_seed"],
        min_steps,
        meter=(bar_length(song["time_signature"], time_step), 0),
    )
    written = []
    for tokens, midi_path, tokens_path in zip(songs, midi_paths, tokens_paths, strict=True):
        tonic = song_tonic(tokens)  # decided once, so the last bar and the key agree
        if song["end_on_tonic"]:
            tokens = end_on_tonic(tokens, vocabulary, bar, song["bars"], tonic)
        if song["key"]:
            tokens = transpose_tokens(tokens, key_shift(song["key"], tonic))
        Path(tokens_path).write_text(" ".join(tokens) + "\n")
        write_midi(
            tokens,
            midi_path,
            step=time_step,
            tempo_bpm=song["tempo_bpm"],
            time_signature=song["time_signature"],
        )
        log.info("%s: %d steps: %s", Path(midi_path).name, len(tokens), " ".join(tokens))
        written.append(tokens)
    return written
