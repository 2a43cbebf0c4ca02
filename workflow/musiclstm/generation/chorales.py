"""Writing chorales: composed from nothing or a seed, or harmonised under a given melody.

Both are sampling with the chorale representation (:mod:`musiclstm.representation.chorale`):

- *compose*: ``bars`` bars of frames; the last half bar is given as one chord under a fermata
  (fermata frames, every voice held after the first), so the model, which reads a frame's
  fermata before its voices, chooses the final chord of a cadence there;
- *harmonise*: every frame token and soprano token is given (the melody's notes and its fermatas),
  and the model writes alto, tenor and bass; a harmoniser trained with ``lookahead`` also sees
  where the melody goes. The given melody comes out note for note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from musiclstm.evaluation.voice_leading import chorale_tonic, sounding_pitches
from musiclstm.generation.sampling import sample_songs
from musiclstm.generation.song_info import SongInfo, write_song_info
from musiclstm.generation.songs import song_meter
from musiclstm.generation.strategies import Sampling, SongRequest
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.meter import bar_steps
from musiclstm.music.midi import write_chorale_midi
from musiclstm.music.tokens import HOLD
from musiclstm.music.tonality import key_shift
from musiclstm.music.voices import FERMATA_FRAME, FRAME, FRAME_WIDTH, Chorale, parse_chorale
from musiclstm.settings import EncodingSettings, SongSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GivenMelody:
    """A melody to harmonise, on the grid in C major / A minor: one token per frame, the frames
    under a fermata, its meter, and its tonic there (C, 0, for a major melody; A, 9, minor)."""

    tokens: list[str]
    fermatas: list[bool]
    time_signature: str
    pickup: int
    tonic: int | None = None


def check_chorale_seed(seed: str, trained: TrainedModel, song: str = "chorale") -> list[str]:
    """The seed's tokens, whole frames the model knows; a bad one is named with what is allowed."""
    tokens = seed.split()
    try:
        parse_chorale(tokens)
    except ValueError as error:
        raise ValueError(f"seed of {song!r}: {error}") from None
    known = set(trained.vocabulary.music_tokens())
    for position, token in enumerate(tokens):
        if token not in known:
            raise ValueError(
                f"seed of {song!r}: token {token!r} at position {position} is not in the model's "
                f"vocabulary; allowed tokens are: {' '.join(sorted(known))}"
            )
    return tokens


def final_chord_frames(bar: int, time_step: float) -> int:
    """Frames the final chord of a composed chorale lasts: half a bar, at least a quarter note."""
    quarter = int(Fraction(1) / Fraction(time_step).limit_denominator(10_000))
    return max(1, quarter, bar // 2)


def compose_request(song: SongSettings, seed: list[str], time_step: float) -> SongRequest:
    """``song.bars`` bars of frames (or ``steps`` tokens' worth) after the seed, ending on one
    chord held under a fermata; the chorale cannot end sooner."""
    if song.time_signature == "auto":
        raise ValueError("time_signature: auto draws melodies' meters; give a chorale its own")
    bar = bar_steps(song.time_signature, time_step)
    frames = song.bars * bar if song.bars else song.steps // FRAME_WIDTH
    seed_frames = len(seed) // FRAME_WIDTH
    if frames <= seed_frames:
        raise ValueError(f"the seed already has {seed_frames} frames of the {frames} asked for")
    given: list[str | None] = [None] * ((frames - seed_frames) * FRAME_WIDTH)
    first = max(frames - final_chord_frames(bar, time_step), seed_frames)
    for frame in range(first, frames):
        start = (frame - seed_frames) * FRAME_WIDTH
        given[start] = FERMATA_FRAME
        if frame > first:  # the chord struck at the first frame, held to the end
            given[start + 1 : start + FRAME_WIDTH] = [HOLD] * (FRAME_WIDTH - 1)
    steps = len(given)
    meter = song_meter(song.time_signature, time_step, len(seed) + steps)
    return SongRequest(seed, steps, steps, meter, tuple(given))


def harmonise_request(melody: GivenMelody, time_step: float) -> SongRequest:
    """Every frame's frame token and soprano given by ``melody``; alto, tenor and bass free."""
    given: list[str | None] = []
    for token, fermata in zip(melody.tokens, melody.fermatas, strict=True):
        given += [FERMATA_FRAME if fermata else FRAME, token, None, None, None]
    meter = song_meter(melody.time_signature, time_step, len(given))._replace(pickup=melody.pickup)
    return SongRequest([], len(given), len(given), meter, tuple(given))


def read_given_melody(path: str, encoding: EncodingSettings) -> GivenMelody:
    """The melody of a music file, as the encoder reads a song's melody (its part chosen by
    ``encoding.melody_part``), moved to C major / A minor; phrase ends where it marks fermatas,
    and always on its last note."""
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
    last_onset = max(i for i, token in enumerate(tokens) if token not in ("_",))
    fermatas[last_onset:] = [True] * (len(tokens) - last_onset)
    tonic = 9 if melody.key.endswith("minor") else 0
    return GivenMelody(tokens, fermatas, melody.time_signature or "4/4", melody.pickup_steps, tonic)


def finish_chorale(tokens: list[str], song: SongSettings, tonic: int | None = None) -> Chorale:
    """The sampled stream as a chorale, in the key ``song`` asks for (C major / A minor if
    none); its tonic ``tonic`` (a given melody's) or else decided by its bass."""
    chorale = parse_chorale(tokens)
    if song.key:
        tonic = chorale_tonic(sounding_pitches(chorale)) if tonic is None else tonic
        chorale = chorale.transposed(key_shift(song.key, tonic))
    return chorale


def generate_chorale(
    checkpoint_path,
    song: SongSettings,
    encoding: EncodingSettings,
    melody_path: str | None,
    midi_paths: list,
    tokens_paths: list,
    name: str = "chorale",
    info_paths: list | None = None,
) -> list[Chorale]:
    """Write the chorales that ``song`` (an entry of ``generate:``) asks for, as MIDI and tokens:
    harmonisations of the melody of ``melody_path`` (the file ``song.melody`` names), else
    composed chorales."""
    trained = TrainedModel.load(checkpoint_path)
    if melody_path:
        melody = read_given_melody(str(melody_path), encoding)
        request = harmonise_request(melody, trained.time_step)
        time_signature, tonic = melody.time_signature, melody.tonic
        log.info("%s: harmonising %s (%d frames)", name, melody_path, len(melody.tokens))
    else:
        seed = check_chorale_seed(song.seed, trained, name)
        request = compose_request(song, seed, trained.time_step)
        time_signature, tonic = song.time_signature, None
    sampled = sample_songs(
        trained, request, len(midi_paths), Sampling.from_song(song), song.random_seed
    )
    written = []
    info_paths = info_paths or [None] * len(midi_paths)
    for tokens, midi_path, tokens_path, info_path in zip(
        sampled, midi_paths, tokens_paths, info_paths, strict=True
    ):
        chorale = finish_chorale(tokens, song, tonic)
        Path(tokens_path).write_text(" ".join(chorale.tokens()) + "\n")
        write_chorale_midi(
            chorale,
            midi_path,
            step=trained.time_step,
            tempo_bpm=song.tempo_bpm,
            time_signature=time_signature,
        )
        if info_path:
            info = SongInfo(time_signature, song.tempo_bpm, len(chorale.tokens()))
            write_song_info(info, info_path)
        log.info("%s: %d frames: %s", Path(midi_path).name, chorale.frames, " ".join(tokens))
        written.append(chorale)
    return written
