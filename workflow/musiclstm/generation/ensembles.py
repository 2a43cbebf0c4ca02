"""Writing pieces of N voices (chorales): composed from nothing or a seed, or harmonised under
a given melody.

Both are sampling with the frames representation (:mod:`musiclstm.representation.chorale`):

- *compose*: ``bars`` bars of frames; the end (from the last strong beat a quarter note or more
  before it) is given as one chord under a fermata (fermata frames, every voice held after the
  first), so the model, which reads a frame's fermata before its voices, chooses the final
  chord of a cadence there. A piece may open with
  an upbeat (``upbeat``: quarter notes, or ``auto``, that of a training chorale of its meter),
  its last bar then short by as much, as Bach's are;
- *harmonise*: every frame token and soprano token is given (the melody's notes and its fermatas),
  and the model writes the other voices (alto, tenor and bass); a harmoniser trained with
  ``lookahead`` also sees where the melody goes. The given melody comes out note for note, in
  its own key and meter, its anacrusis included, unless the entry names another key.

Either way each voice keeps within a compass (``compass``: semitones, or ``auto``, its span in a
training piece of the piece's meter and length, drawn as the upbeat is), so that it spans what a
voice of the corpus spans rather than drifting as the piece goes on.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from musiclstm.evaluation.chords import chorale_tonic
from musiclstm.evaluation.voice_leading import sounding_pitches
from musiclstm.generation.melodies import (
    TrainingSongs,
    known_tokens,
    song_meter,
    upbeat_pickup,
    whole_bars,
    with_pickup,
)
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.song_info import SongInfo
from musiclstm.generation.strategies import Sampling, SongRequest, sampling_record
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.frames import FERMATA_FRAME, FRAME, Frames, parse_frames
from musiclstm.music.meter import bar_length, bar_steps
from musiclstm.music.tokens import HOLD, REST
from musiclstm.music.tonality import key_shift
from musiclstm.representation.base import Meter
from musiclstm.settings import EncodingSettings, SongSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GivenMelody:
    """A melody to harmonise, on the grid in C major / A minor: one token per frame, the frames
    under a fermata, its meter and anacrusis, its tonic there (C, 0, for a major melody; A, 9,
    minor), and the file's own key with the ``transposition`` that moved it to C or A."""

    tokens: list[str]
    fermatas: list[bool]
    time_signature: str
    pickup: int
    tonic: int | None = None
    key: str | None = None
    transposition: int = 0


def check_frames_seed(seed: str, trained: TrainedModel, names, song: str) -> list[str]:
    """The seed's tokens, whole frames the model knows; a bad one is named with what is allowed."""
    tokens = seed.split()
    try:
        parse_frames(tokens, names)
    except ValueError as error:
        raise ValueError(f"seed of {song!r}: {error}") from None
    return known_tokens(tokens, trained.vocabulary, f"seed of {song!r}")


def final_chord_frame(frames: int, meter: Meter, time_step: float) -> int:
    """The frame where the final chord of a composed piece of ``frames`` frames is struck, as in
    Bach's chorales: on the last strong beat at least a quarter note before the end (the bar's
    middle where it falls on a beat, as in 4/4, else its first beat, as in 3/4), counted from
    the bar lines of the ``meter`` (after its anacrusis)."""
    quarter = max(1, int(Fraction(1) / Fraction(time_step).limit_denominator(10_000)))
    bar = meter.bar
    strong = bar // 2 if bar % 2 == 0 and meter.beat and (bar // 2) % meter.beat == 0 else bar
    end = frames + meter.pickup  # in frames from the first bar line, the anacrusis's bar's
    return max((end - quarter) // strong * strong - meter.pickup, 0)


def composed_pickup(song: SongSettings, time_step: float, training=None, seeded=False) -> int:
    """The frames into its first bar at which a composed piece starts: ``song.upbeat`` quarter
    notes before a bar line, or with ``auto`` the anacrusis of a training piece of its meter and
    nearest length (``training``: :class:`~musiclstm.generation.melodies.TrainingSongs`) drawn
    with ``random_seed``, as a melody's is; on the bar line where there are no training pieces
    or a seed (``seeded``) makes the start."""
    if song.upbeat != "auto":
        return upbeat_pickup(float(song.upbeat), song.time_signature, time_step)
    if seeded or training is None:
        return 0
    drawn = drawn_piece(song, training, song.time_signature, song.bars)
    return training.shape(drawn).pickup if drawn >= 0 else 0


def composed_form(
    song: SongSettings, training, pickup: int, seeded: bool = False
) -> tuple[int, ...]:
    """The form a composed piece follows, bar by bar (:mod:`musiclstm.music.form`): with
    ``form: auto`` that of the training piece its upbeat is drawn from, fitted to its bars and
    its anacrusis (``pickup`` frames); none with ``form: none``, for a model that reads no form,
    where no training piece has the meter, or after a seed."""
    if song.form != "auto" or training is None or seeded or not song.bars:
        return ()
    drawn = drawn_piece(song, training, song.time_signature, song.bars)
    if drawn < 0:
        return ()
    shape = training.shape(drawn, song.bars)
    return with_pickup(shape, pickup).form if shape.form else ()


def composed_ending(song: SongSettings, training, names, seeded: bool = False) -> int | None:
    """The frames a composed piece's final chord lasts: with ``upbeat: auto``, as long as the
    last chord of the training piece the upbeat is drawn from (from where its last fermata
    begins to its end, at most a bar), so that the short last bar is filled as that piece fills
    it; None (the last strong beat, :func:`final_chord_frame`) with a given upbeat, after a
    seed, where no training piece has the meter or the drawn one does not end under a fermata."""
    if song.upbeat != "auto" or seeded or training is None:
        return None
    drawn = drawn_piece(song, training, song.time_signature, song.bars)
    if drawn < 0:
        return None
    fermatas = parse_frames(training.tokens(drawn), names).fermatas
    start = final_chord_start(fermatas)
    return None if start is None else min(len(fermatas) - start, training.bar_steps(drawn))


def given_form(request: SongRequest, representation) -> tuple[int, ...]:
    """The form of a given melody's bars, as the ``representation`` reads it (() where it
    reads none): the top voice of the request's given frames."""
    meter = request.meter
    stream = [HOLD if token is None else token for token in request.given]
    return representation.bar_form(stream, meter.bar, meter.pickup)


def drawn_piece(song: SongSettings, training, time_signature: str, bars: int | None) -> int:
    """The training piece whose upbeat and compass ``auto`` takes: one of ``time_signature``
    and the nearest length, drawn with the entry's ``random_seed`` (-1: none of its meter)."""
    return training.closest(time_signature, bars, np.random.default_rng(song.random_seed))


def piece_compass(
    song: SongSettings, training, time_signature: str, bars: int | None, names
) -> tuple[float | None, ...]:
    """The widest span each voice of a piece may take, as ``song.compass`` says: () for none
    (also with ``auto`` where no training piece has the meter)."""
    if song.compass == "none":
        return ()
    if song.compass != "auto":
        return (float(song.compass),) * len(names)
    drawn = -1 if training is None else drawn_piece(song, training, time_signature, bars)
    if drawn < 0:
        return ()
    return voice_spans(parse_frames(training.tokens(drawn), names))


def voice_spans(frames: Frames) -> tuple[int | None, ...]:
    """The semitones between each voice's lowest and highest note (None: a silent voice)."""
    spans = []
    for pitches in sounding_pitches(frames).T:
        notes = [p for p in pitches if p is not None]
        spans.append(max(notes) - min(notes) if notes else None)
    return tuple(spans)


def compose_request(
    song: SongSettings,
    seed: list[str],
    time_step: float,
    width: int,
    pickup: int = 0,
    form: tuple[int, ...] = (),
    final_frames: int | None = None,
) -> SongRequest:
    """``song.bars`` bars of frames of ``width`` tokens (or ``steps`` tokens' worth) after the
    seed, ending on one chord held under a fermata for ``final_frames`` frames (None: from the
    last strong beat); the piece cannot end sooner. A piece that starts ``pickup`` frames into
    its first bar (an upbeat) ends as far into its last; ``form`` is its plan, one label per
    bar (none: no plan)."""
    if song.time_signature == "auto":
        raise ValueError("time_signature: auto draws melodies' meters; give a chorale its own")
    bar = bar_steps(song.time_signature, time_step)
    frames = song.bars * bar if song.bars else song.steps // width
    seed_frames = len(seed) // width
    if frames <= seed_frames:
        raise ValueError(f"the seed already has {seed_frames} frames of the {frames} asked for")
    given: list[str | None] = [None] * ((frames - seed_frames) * width)
    steps = len(given)
    meter = song_meter(song.time_signature, time_step, len(seed) + steps)._replace(
        pickup=pickup, form=form
    )
    if final_frames is None:
        first = final_chord_frame(frames, meter, time_step)
    else:
        first = frames - min(max(final_frames, 1), frames)
    first = max(first, seed_frames)
    for frame in range(first, frames):
        start = (frame - seed_frames) * width
        given[start] = FERMATA_FRAME
        if frame > first:  # the chord struck at the first frame, held to the end
            given[start + 1 : start + width] = [HOLD] * (width - 1)
    return SongRequest(seed, steps, steps, meter, tuple(given))


def harmonise_request(melody: GivenMelody, time_step: float, width: int) -> SongRequest:
    """Every frame's frame token and top voice given by ``melody``; the other voices free, but
    for the final chord: struck where the last fermata begins, held while the melody holds."""
    given: list[str | None] = []
    final = final_chord_start(melody.fermatas)
    held = False
    for frame, (token, fermata) in enumerate(zip(melody.tokens, melody.fermatas, strict=True)):
        held = (
            final is not None and frame > final and token == HOLD and (held or frame == final + 1)
        )
        below = [HOLD if held else None] * (width - 2)
        given += [FERMATA_FRAME if fermata else FRAME, token, *below]
    meter = song_meter(melody.time_signature, time_step, len(given))._replace(pickup=melody.pickup)
    return SongRequest([], len(given), len(given), meter, tuple(given), melody.tonic)


def final_chord_start(fermatas: list[bool]) -> int | None:
    """The frame where the last run of fermatas begins, if the melody ends under one."""
    if not fermatas or not fermatas[-1]:
        return None
    start = len(fermatas) - 1
    while start > 0 and fermatas[start - 1]:
        start -= 1
    return start


def melody_phrase_ends(path: str, time_step: float, length: int) -> list[int]:
    """Where the phrases of the melody file at ``path`` end, before its last: the ends of the
    lines of an ABC tune (:mod:`musiclstm.data.abc_phrases`), or those a generated song's .json
    beside it records (:class:`~musiclstm.generation.song_info.SongInfo`), where they fit the
    melody's ``length`` steps; none for other files."""
    from musiclstm.data.abc_phrases import song_phrase_ends
    from musiclstm.data.sources import read_abc_tune
    from musiclstm.generation.song_info import read_song_info

    path = Path(path)
    if path.suffix.lower() == ".abc":
        return song_phrase_ends(read_abc_tune(path, 1), time_step, length)[:-1]
    info_path = path.with_suffix(".json")
    if not info_path.is_file():
        return []
    try:
        info = read_song_info(info_path)
    except (ValueError, KeyError, TypeError):
        return []  # a .json of something else
    fits = info.steps == length and info.time_step == time_step
    return [end for end in info.phrase_ends if 0 < end < length] if fits else []


def mark_phrase_end(fermatas: list[bool], tokens: list[str], end: int) -> None:
    """Put a fermata on the last note that starts before step ``end``, for as long as it
    sounds (a rest after it takes none)."""
    onset = max((i for i in range(end) if tokens[i] not in (HOLD, REST)), default=None)
    if onset is None:
        return
    note_end = next((i for i in range(onset + 1, end) if tokens[i] != HOLD), end)
    fermatas[onset:note_end] = [True] * (note_end - onset)


def read_given_melody(path: str, encoding: EncodingSettings) -> GivenMelody:
    """The melody of a music file, as the encoder reads a song's melody (its part chosen by
    ``encoding.melody_part``), moved to C major / A minor; phrase ends where it marks fermatas
    or, in an ABC tune, where its lines end, and always on its last note."""
    from musiclstm.data.chorale import fermata_frames
    from musiclstm.data.grid import exact
    from musiclstm.data.melody import song_to_melody
    from musiclstm.data.melody_part import pick_melody_part
    from musiclstm.data.parsing import MidiSong, parse_music_file
    from musiclstm.data.rejects import Rejected
    from musiclstm.music.tokens import events_to_tokens

    try:
        song = parse_music_file(Path(path))
        melody = song_to_melody(song, encoding)
    except Rejected as rejected:
        raise ValueError(f"{path}: cannot read its melody: {rejected}") from None
    tokens = events_to_tokens(melody.events)
    fermatas = [False] * len(tokens)
    if not isinstance(song, MidiSong):
        part = pick_melody_part(song, encoding)
        fermatas = fermata_frames([part], exact(encoding.time_step), len(tokens))
    for end in [*melody_phrase_ends(path, encoding.time_step, len(tokens)), len(tokens)]:
        mark_phrase_end(fermatas, tokens, end)
    tonic = 9 if melody.key.endswith("minor") else 0
    key = melody.key if encoding.transpose else None
    return GivenMelody(
        tokens,
        fermatas,
        melody.time_signature or "4/4",
        melody.pickup_steps,
        tonic,
        key,
        melody.transposition,
    )


def finish_chorale(
    frames: Frames, song: SongSettings, melody: GivenMelody | None = None
) -> tuple[Frames, str | None]:
    """The sampled frames in the key ``song`` asks for, else a given melody's own (its
    transposition undone exactly), else C major / A minor; and the key where it is known."""
    if song.key:
        tonic = melody.tonic if melody else chorale_tonic(sounding_pitches(frames))
        return frames.transposed(key_shift(song.key, tonic)), None
    if melody and melody.key:
        return frames.transposed(-melody.transposition), melody.key
    return frames, None


def training_pieces(request):
    """The training pieces a composed piece may take its upbeat from: the request's, read once
    by its caller, else read from its ``train_path`` (None: none given)."""
    if request.training is not None or not request.train_path:
        return request.training
    return TrainingSongs(request.train_path, request.trained)


def generate_ensemble(request, texture) -> list:
    """The pieces of several voices that ``request.song`` asks for, each as its tokens and what
    it is: harmonisations of the melody of ``request.melody_path`` (the file ``song.melody``
    names) as the top voice, else pieces composed from the seed."""
    trained, song, names = request.trained, request.song, texture.voice_names
    width = trained.representation.frame_width
    training = training_pieces(request)
    melody = None
    if request.melody_path:
        melody = read_given_melody(str(request.melody_path), request.encoding)
        sampled_request = harmonise_request(melody, trained.time_step, width)
        form = given_form(sampled_request, trained.representation)
        sampled_request = dataclasses.replace(
            sampled_request, meter=sampled_request.meter._replace(form=form)
        )
        time_signature, pickup = melody.time_signature, melody.pickup
        bar = bar_length(time_signature, trained.time_step)  # 0: a meter no piece has
        bars = whole_bars(len(melody.tokens), bar) if bar else None
        log.info(
            "%s: harmonising %s (%d frames)", request.name, request.melody_path, len(melody.tokens)
        )
    else:
        seed = check_frames_seed(song.seed, trained, names, request.name)
        pickup = composed_pickup(song, trained.time_step, training, bool(seed))
        form = composed_form(song, training, pickup, bool(seed))
        ending = composed_ending(song, training, names, bool(seed))
        sampled_request = compose_request(
            song, seed, trained.time_step, width, pickup, form, ending
        )
        time_signature, bars = song.time_signature, song.bars
    compass = piece_compass(song, training, time_signature, bars, names)
    sampled_request = dataclasses.replace(sampled_request, compass=compass)
    sampled = sample_songs(
        trained, sampled_request, request.count, Sampling.from_song(song), song.random_seed
    )
    written = []
    for tokens in sampled:
        frames, key = finish_chorale(parse_frames(tokens, names), song, melody)
        stream = frames.tokens()
        info = SongInfo(
            time_signature,
            song.tempo_bpm,
            len(stream),
            pickup,
            key=key,
            tonic=song.key,
            texture=texture.describe(),
            time_step=trained.time_step,
            sampling=sampling_record(song) | {"compass": list(compass)},
        )
        written.append((stream, info))
    return written
