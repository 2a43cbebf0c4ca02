"""Writing the melodies of `generate:`: the seed checked, the songs sampled, their endings and
key."""

from __future__ import annotations

import logging

import numpy as np

from musiclstm.data.tensors import load_time_signatures
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.seed_files import FileSeed, is_seed_file, read_seed_file
from musiclstm.generation.song_info import SongInfo
from musiclstm.generation.strategies import Sampling, SongRequest, sampling_record
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.meter import bar_length, bar_steps, beat_length
from musiclstm.music.tokens import HOLD, is_pitch, parse_token_string, transpose_tokens
from musiclstm.music.tonality import key_shift, song_tonic
from musiclstm.representation.base import Meter
from musiclstm.settings import EncodingSettings, SongSettings

log = logging.getLogger(__name__)


def check_seed(seed: str, vocabulary: Vocabulary, song: str = "song") -> list[str]:
    """The seed melody's tokens; a token the model does not know is named with what is allowed."""
    tokens = parse_token_string(seed, what=f"seed of {song!r}")
    return known_tokens(tokens, vocabulary, f"seed of {song!r}")


def known_tokens(tokens: list[str], vocabulary: Vocabulary, what: str) -> list[str]:
    """``tokens``, every one of which the model knows; one it does not is named, in ``what``,
    with what is allowed."""
    allowed = vocabulary.music_tokens()
    for position, token in enumerate(tokens):
        if token not in allowed:
            raise ValueError(
                f"{what}: token {token!r} at position {position} is not in the model's "
                f"vocabulary; allowed tokens are: {' '.join(allowed)}"
            )
    return tokens


def song_seed(
    song: SongSettings,
    vocabulary: Vocabulary,
    encoding: EncodingSettings | None,
    name: str = "song",
) -> tuple[list[str], SongSettings, int, FileSeed | None]:
    """The seed's tokens, ``song``, the steps into its bar at which the seed starts, and the
    seed file whose key the song is written back in (None: the song's own key). A seed file
    (:mod:`.seed_files`, read with ``encoding``) gives its opening bars, its key (with its mode,
    and the very transposition undone) where the song names none, and its place in its bar where
    the song keeps the file's time signature; tokens are the seed as written, from a bar line."""
    if not is_seed_file(song.seed):
        return check_seed(song.seed, vocabulary, name), song, 0, None
    if encoding is None:
        raise ValueError(f"seed of {name!r}: {song.seed} is read with the encoding settings")
    try:
        opening = read_seed_file(song.seed, song.seed_bars, encoding, song.time_signature)
    except ValueError as error:
        raise ValueError(f"seed of {name!r}: {error}") from None
    bars = "first bar" if song.seed_bars == 1 else f"first {song.seed_bars} bars"
    what = f"seed of {name!r} ({song.seed}, its {bars}, as encoded)"
    tokens = known_tokens(opening.tokens, vocabulary, what)
    pickup = opening.pickup if song.time_signature == opening.time_signature else 0
    restore = opening if song.key is None and opening.key is not None else None
    return tokens, song, pickup, restore


def end_on_tonic(
    tokens: list[str],
    vocabulary: Vocabulary,
    bar: int,
    bars: int | None,
    tonic: int | None = None,
    pickup: int = 0,
) -> list[str]:
    """Make the song end on its tonic, struck on a bar line and held to the end.

    With ``bars`` the song's last bar becomes the tonic's (a song that starts ``pickup`` steps
    into its bar ends that many steps short of a bar line, the anacrusis and the last bar making
    one bar together); otherwise the song is completed to the next bar line by holding its last
    note (or rest) and a whole bar of the tonic is added.
    """
    tonic = song_tonic(tokens) if tonic is None else tonic
    pitches = [int(t) for t in tokens if is_pitch(t)]
    last = pitches[-1] if pitches else 60
    choices = [int(t) for t in vocabulary.music_tokens() if is_pitch(t) and int(t) % 12 == tonic]
    if not choices:
        return tokens
    final = min(choices, key=lambda p: abs(p - last))
    if not bars:
        body = tokens + [HOLD] * (-(pickup + len(tokens)) % bar)
        return body + [str(final)] + [HOLD] * (bar - 1)
    length = bars * bar
    last_bar_line = (pickup + length - 1) // bar * bar - pickup  # in steps of the song
    return tokens[:last_bar_line] + [str(final)] + [HOLD] * (length - last_bar_line - 1)


def song_meter(time_signature: str, time_step: float, length: int = 0) -> Meter:
    """The meter of a song sampled in ``time_signature``, starting on a bar line, ``length``
    steps long (0: unknown)."""
    return Meter(
        bar_length(time_signature, time_step), 0, beat_length(time_signature, time_step), length
    )


def song_request(
    song: SongSettings,
    seed: list[str],
    time_step: float,
    time_signature: str,
    bars: int | None,
    pickup: int = 0,
) -> SongRequest:
    """What to sample for ``song``: with ``bars``, exactly that many bars of ``time_signature``
    (the song cannot end sooner, and the model knows where it ends), else up to ``steps`` new
    tokens; the seed starts ``pickup`` steps into its bar (a seed file's anacrusis)."""
    bar = bar_steps(time_signature, time_step)
    steps, min_steps, length = song.steps, 0, 0
    if bars:
        steps = min_steps = max(bars * bar - len(seed), 0)
        length = len(seed) + steps
    meter = song_meter(time_signature, time_step, length)._replace(pickup=pickup)
    return SongRequest(seed, steps, min_steps, meter)


def training_meters(train_path, time_step: float) -> list[tuple[str, int]]:
    """``(time signature, bars)`` of every training song (of the split at ``train_path``) in a
    usable meter, a song of any length counted in whole bars."""
    with np.load(train_path) as split:
        lengths = np.diff(split["offsets"])
    return [
        (signature, max(1, round(length / bar)))
        for signature, length in zip(load_time_signatures(train_path), lengths, strict=True)
        if (bar := bar_length(signature, time_step))
    ]


def song_meters(
    song: SongSettings, n_songs: int, time_step: float, train_path=None
) -> list[tuple[str, int | None]]:
    """``(time signature, bars)`` of each of the ``n_songs`` songs of ``song``: its own, or with
    ``time_signature: auto`` those of training songs drawn at random with ``song.random_seed``."""
    if song.time_signature != "auto":
        return [(song.time_signature, song.bars)] * n_songs
    if train_path is None:
        raise ValueError("time_signature: auto draws from the training songs: pass their split")
    meters = training_meters(train_path, time_step)
    if not meters:
        raise ValueError("time_signature: auto, but no training song has a usable time signature")
    drawn = np.random.default_rng(song.random_seed).integers(len(meters), size=n_songs)
    return [meters[i] for i in drawn]


def finish_song(
    tokens: list[str],
    song: SongSettings,
    vocabulary: Vocabulary,
    time_step: float,
    time_signature: str,
    bars: int | None,
    pickup: int = 0,
) -> list[str]:
    """The sampled tokens with the ending and in the key that ``song`` asks for; the song starts
    ``pickup`` steps into its bar."""
    tonic = song_tonic(tokens)  # decided once, so the last bar and the key agree
    if song.end_on_tonic:
        bar = bar_steps(time_signature, time_step)
        tokens = end_on_tonic(tokens, vocabulary, bar, bars, tonic, pickup)
    if song.key:
        tokens = transpose_tokens(tokens, key_shift(song.key, tonic))
    return tokens


def sample_each(
    trained: TrainedModel,
    song: SongSettings,
    seed: list[str],
    meters: list[tuple[str, int | None]],
    pickup: int = 0,
) -> list[list[str]]:
    """The songs of ``meters``: one batch where they share a meter, else one song at a time
    (song ``i`` with random seed ``song.random_seed + i``); the seed starts ``pickup`` steps
    into its bar where the song keeps a seed file's meter."""
    sampling, step = Sampling.from_song(song), trained.time_step
    if len(set(meters)) <= 1 and song.time_signature != "auto":
        request = song_request(song, seed, step, *meters[0], pickup=pickup)
        return sample_songs(trained, request, len(meters), sampling, song.random_seed)
    return [
        sample_songs(trained, song_request(song, seed, step, *meter), 1, sampling, seed_)[0]
        for seed_, meter in enumerate(meters, start=song.random_seed)
    ]


def generate_melodies(request, texture=None) -> list[tuple[list[str], SongInfo]]:
    """The melodies that ``request.song`` (an entry of `generate:`) asks for, each as its tokens
    and what it is (:mod:`.song_info`); ``texture`` is the generators' common argument (a
    melody's is the checkpoint's, ``request.trained.texture``)."""
    trained, song = request.trained, request.song
    seed, song, pickup, restore = song_seed(
        song, trained.vocabulary, request.encoding, request.name
    )
    meters = song_meters(song, request.count, trained.time_step, request.train_path)
    sampled = sample_each(trained, song, seed, meters, pickup)
    written = []
    for tokens, (time_signature, bars) in zip(sampled, meters, strict=True):
        tokens = finish_song(
            tokens, song, trained.vocabulary, trained.time_step, time_signature, bars, pickup
        )
        key = None
        if restore is not None:  # a seed file's key, its transposition undone exactly
            tokens, key = transpose_tokens(tokens, -restore.transposition), restore.key
        info = SongInfo(
            time_signature,
            song.tempo_bpm,
            len(tokens),
            pickup,
            key=key,
            tonic=song.key,
            texture=trained.texture.describe(),
            time_step=trained.time_step,
            sampling=sampling_record(song),
        )
        written.append((tokens, info))
    return written
