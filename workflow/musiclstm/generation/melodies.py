"""Writing the melodies of `generate:`: the seed checked, the songs sampled, their endings and
key."""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np

from musiclstm.data.tensors import (
    load_meters,
    load_phrase_ends,
    load_songs,
    load_time_signatures,
)
from musiclstm.data.vocabulary import Vocabulary
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.seed_files import FileSeed, is_seed_file, read_seed_file
from musiclstm.generation.song_info import SongInfo
from musiclstm.generation.strategies import Sampling, SongRequest, sampling_record
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.form import NEW
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


class SongShape(NamedTuple):
    """The frame a song is sampled in: its time signature, whole bars (None: as long as the model
    goes on), the steps into its first bar at which it starts (an anacrusis), its form, one
    label per bar (:mod:`musiclstm.music.form`; empty: no plan), and the steps where its
    phrases end, the last one's excepted (those of the training song it takes its form from,
    where known: a harmonisation cadences there)."""

    time_signature: str
    bars: int | None
    pickup: int = 0
    form: tuple[int, ...] = ()
    phrases: tuple[int, ...] = ()


def song_request(
    song: SongSettings, seed: list[str], time_step: float, shape: SongShape
) -> SongRequest:
    """What to sample for ``song`` in ``shape``: with ``shape.bars``, exactly that many bars (the
    song cannot end sooner, and the model knows where it ends; an anacrusis and the short last
    bar make one bar together), else up to ``steps`` new tokens."""
    bar = bar_steps(shape.time_signature, time_step)
    steps, min_steps, length = song.steps, 0, 0
    if shape.bars:
        steps = min_steps = max(shape.bars * bar - len(seed), 0)
        length = len(seed) + steps
    meter = song_meter(shape.time_signature, time_step, length)._replace(
        pickup=shape.pickup, form=shape.form
    )
    return SongRequest(seed, steps, min_steps, meter)


def whole_bars(steps: int, bar: int) -> int:
    """A song of ``steps`` steps counted in whole bars of ``bar`` steps (at least one): an
    anacrusis and a short last bar make one bar together."""
    return max(1, round(steps / bar))


class TrainingSongs:
    """The training songs in a usable meter, whose meters, lengths, upbeats and forms the songs
    of `generate:` may take."""

    def __init__(self, train_path, trained: TrainedModel):
        self.trained = trained
        step = trained.time_step
        songs = zip(
            load_time_signatures(train_path),
            load_meters(train_path),
            load_songs(train_path),
            load_phrase_ends(train_path),
            strict=True,
        )
        # (time signature, bar steps, pickup, token ids, phrase ends) of each usable song
        self.entries = [
            (signature, bar, pickup, song, phrases)
            for signature, (bar, pickup, _), song, phrases in songs
            if bar and bar == bar_length(signature, step)
        ]

    def __len__(self) -> int:
        return len(self.entries)

    def bar_steps(self, index: int) -> int:
        """The steps in a bar of training song ``index``."""
        return self.entries[index][1]

    def bars(self, index: int) -> int:
        _, bar, _, song, _ = self.entries[index]
        # A piece of several voices has a frame of tokens per time step.
        return whole_bars(len(song) // self.trained.representation.frame_width, bar)

    def tokens(self, index: int) -> list[str]:
        """Training song ``index``'s tokens."""
        return self.trained.vocabulary.decode(self.entries[index][3].tolist())

    def shape(self, index: int, bars: int | None = None) -> SongShape:
        """The shape of training song ``index``, its form fitted to ``bars`` whole bars."""
        signature, bar, pickup, _, phrase_ends = self.entries[index]
        tokens = self.tokens(index)
        form = self.trained.representation.bar_form(tokens, bar, pickup)
        own = self.bars(index)
        bars = own if bars is None else bars
        if form:  # an anacrusis is a bar of its own in the form
            count = bars + (1 if pickup else 0)
            form = tuple(form[:count]) + (NEW,) * max(count - len(form), 0)
        length = bars * bar
        phrases = tuple(end for end in phrase_ends if end < length)
        return SongShape(signature, bars, pickup, form, phrases)

    def of_meter(self, time_signature: str) -> list[int]:
        """The songs in ``time_signature``."""
        return [i for i, entry in enumerate(self.entries) if entry[0] == time_signature]

    def closest(self, time_signature: str, bars: int | None, rng: np.random.Generator) -> int:
        """A song of ``time_signature`` with the number of bars nearest ``bars`` (any length
        where None), drawn at random among the nearest; -1 where none has the meter."""
        candidates = self.of_meter(time_signature)
        if not candidates:
            return -1
        if bars is not None:
            nearest = min(abs(self.bars(i) - bars) for i in candidates)
            candidates = [i for i in candidates if abs(self.bars(i) - bars) == nearest]
        return candidates[rng.integers(len(candidates))]


def upbeat_pickup(upbeat: float, time_signature: str, time_step: float) -> int:
    """The steps into its first bar at which a song with an anacrusis of ``upbeat`` quarter
    notes starts."""
    bar = bar_steps(time_signature, time_step)
    steps = round(upbeat / time_step)
    if not 0 <= steps < bar or abs(steps * time_step - upbeat) > 1e-9:
        raise ValueError(
            f"upbeat: {upbeat} quarter notes is not a whole number of time steps shorter than a "
            f"bar of {time_signature}; allowed: 0 to {(bar - 1) * time_step} in steps of "
            f"{time_step}, or auto"
        )
    return (bar - steps) % bar


def song_shapes(
    song: SongSettings, n_songs: int, time_step: float, train: TrainingSongs | None = None
) -> list[SongShape]:
    """The shape of each of the ``n_songs`` songs of ``song``: with ``time_signature: auto`` that
    of a training song drawn at random with ``song.random_seed``; else the song's own meter and
    bars, with the upbeat and form of a training song of that meter and length where ``upbeat``
    or ``form`` is ``auto``."""
    rng = np.random.default_rng(song.random_seed)
    auto = song.time_signature == "auto"
    if auto and not train:
        raise ValueError(
            "time_signature: auto draws from the training songs, and none has a usable meter"
        )
    # A song of its own meter takes a training song's upbeat and form where it asks for either.
    draws = bool(train) and song.bars is not None and "auto" in (song.form, song.upbeat)
    shapes = []
    for _ in range(n_songs):
        if auto:
            index = int(rng.integers(len(train)))
            shape = train.shape(index)
        else:
            shape = SongShape(song.time_signature, song.bars)
            drawn = train.closest(song.time_signature, song.bars, rng) if draws else -1
            if drawn >= 0:
                shape = train.shape(drawn, song.bars)
        shapes.append(chosen_shape(song, shape, time_step))
    return shapes


def chosen_shape(song: SongSettings, drawn: SongShape, time_step: float) -> SongShape:
    """``drawn`` with what ``song`` sets itself: a given upbeat, no form."""
    shape = drawn if song.form == "auto" else drawn._replace(form=())
    if song.upbeat != "auto":
        shape = with_pickup(
            shape, upbeat_pickup(float(song.upbeat), shape.time_signature, time_step)
        )
    return shape


def with_pickup(shape: SongShape, pickup: int) -> SongShape:
    """``shape`` starting ``pickup`` steps into its first bar, its form's bars kept where they
    were (an anacrusis is a bar of the form of its own)."""
    form = shape.form
    if form and bool(pickup) != bool(shape.pickup):
        form = (NEW, *form) if pickup else form[1:]
    # Phrase ends count steps from the song's start; another start moves them off the bar lines.
    phrases = shape.phrases if pickup == shape.pickup else ()
    return shape._replace(pickup=pickup, form=form, phrases=phrases)


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
    trained: TrainedModel, song: SongSettings, seed: list[str], shapes: list[SongShape]
) -> list[list[str]]:
    """The songs of ``shapes``: one batch where they share one, else one song at a time (song
    ``i`` with random seed ``song.random_seed + i``)."""
    sampling, step = Sampling.from_song(song), trained.time_step
    if len(set(shapes)) <= 1 and song.time_signature != "auto":
        request = song_request(song, seed, step, shapes[0])
        return sample_songs(trained, request, len(shapes), sampling, song.random_seed)
    return [
        sample_songs(trained, song_request(song, seed, step, shape), 1, sampling, seed_)[0]
        for seed_, shape in enumerate(shapes, start=song.random_seed)
    ]


def generate_melodies(request, texture=None) -> list[tuple[list[str], SongInfo]]:
    """The melodies that ``request.song`` (an entry of `generate:`) asks for, each as its tokens
    and what it is (:mod:`.song_info`); ``texture`` is the generators' common argument (a
    melody's is the checkpoint's, ``request.trained.texture``)."""
    trained, song = request.trained, request.song
    seed, song, pickup, restore = song_seed(
        song, trained.vocabulary, request.encoding, request.name
    )
    train = request.training
    if train is None and request.train_path:
        train = TrainingSongs(request.train_path, trained)
    shapes = song_shapes(song, request.count, trained.time_step, train)
    if seed:  # a seed starts where it was written: on a bar line, or a seed file's upbeat
        shapes = [with_pickup(shape, pickup) for shape in shapes]
    sampled = sample_each(trained, song, seed, shapes)
    written = []
    for tokens, shape in zip(sampled, shapes, strict=True):
        time_signature, pickup = shape.time_signature, shape.pickup
        tokens = finish_song(
            tokens, song, trained.vocabulary, trained.time_step, time_signature, shape.bars, pickup
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
            phrase_ends=[end for end in shape.phrases if end < len(tokens)],
        )
        written.append((tokens, info))
    return written
