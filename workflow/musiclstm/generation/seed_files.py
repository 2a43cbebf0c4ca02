"""Seeds from music files: a song's opening bars, read and encoded as the training songs were.

An entry of `generate:` takes its seed from a file when its ``seed`` names one
(:func:`is_seed_file`): a single word that starts with ``corpus:`` (a file inside music21's
corpus) or holds a ``/`` or a ``.`` (a path), which no token string does. The file is parsed as
a song of the training set is (its first tune, for an ABC file), its melody encoded by the melody
representation with the encoding settings (the part ``melody_part`` chooses, on the grid, moved
to C major / A minor), and its first ``seed_bars`` bars, after any anacrusis, are the seed. The
song is written back in the file's key, and sampled in the file's time signature from where the
file starts in its bar, unless its entry gives its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from musiclstm.data.rejects import Rejected
from musiclstm.data.sources import CORPUS_PREFIX, corpus_root, music_file
from musiclstm.music.meter import bar_steps
from musiclstm.representation.base import EncodedSong
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.settings import EncodingSettings


@dataclass(frozen=True)
class FileSeed:
    """The opening of the song in a file: its ``tokens`` (in C major / A minor where songs are
    transposed), the ``key`` to write the song back in (the file's, with its mode, e.g.
    ``F major`` or ``B- minor``; None where songs are not transposed) and the ``transposition``
    (semitones) that moved the file to C major / A minor, the ``time_signature`` its bars were
    counted in (the file's own, else the song's) and ``pickup``, the steps into its first bar at
    which the file starts (0 on a bar line; an anacrusis of a quarter in 4/4 starts 12 sixteenths
    in)."""

    tokens: list[str]
    key: str | None
    time_signature: str
    pickup: int
    transposition: int = 0


def is_seed_file(seed: str) -> bool:
    """Whether a seed names a music file rather than giving tokens: one word that starts with
    ``corpus:`` or holds a ``/`` or a ``.``."""
    words = seed.split()
    if len(words) != 1:
        return False
    return words[0].startswith(CORPUS_PREFIX) or "/" in words[0] or "." in words[0]


def seed_path(seed: str, workdir: Path = Path(".")) -> Path:
    """The file a seed names: inside music21's corpus for ``corpus:...``, else relative to the
    working directory."""
    seed = seed.strip()
    path = music_file(seed)
    return path if seed.startswith(CORPUS_PREFIX) else workdir / path


def read_seed_file(
    seed: str,
    bars: int,
    encoding: EncodingSettings,
    time_signature: str,
    workdir: Path = Path("."),
) -> FileSeed:
    """The first ``bars`` bars (after any anacrusis) of the file ``seed`` names, encoded as a
    training song; its bars are those of the file's time signature, else of ``time_signature``
    (the song's). Raises ValueError naming the file and what is wrong with it."""
    seed = seed.strip()
    encoded = encode_file(seed, encoding, workdir)
    meter = encoded.time_signature or time_signature
    try:
        bar = bar_steps(meter, encoding.time_step)
    except ValueError as error:
        where = "its" if encoded.time_signature else "the song's (it has none of its own)"
        raise ValueError(
            f"{seed}: cannot count its bars in {where} time signature: {error}"
        ) from None
    pickup = encoded.pickup_steps % bar
    anacrusis = (bar - pickup) % bar
    length = anacrusis + bars * bar
    if len(encoded.tokens) < length:
        full = max(len(encoded.tokens) - anacrusis, 0) // bar
        after = " after its anacrusis" if anacrusis else ""
        raise ValueError(
            f"{seed}: it has {full} whole bar{'s' * (full != 1)} of {meter}{after}, fewer than "
            f"the {bars} that seed_bars asks for"
        )
    key = encoded.key if encoding.transpose else None
    return FileSeed(encoded.tokens[:length], key, meter, pickup, encoded.transposition)


def encode_file(seed: str, encoding: EncodingSettings, workdir: Path = Path(".")) -> EncodedSong:
    """The song of the file ``seed`` names, as the encoder writes a training song's row."""
    # Imported here: reading scores needs music21, which the workflow's rules do not load.
    from musiclstm.data.parsing import parse_music_file

    path = seed_path(seed, workdir)
    if not path.is_file():
        where = f" in music21's corpus ({corpus_root()})" if seed.startswith(CORPUS_PREFIX) else ""
        raise ValueError(f"{seed}: no such file{where}")
    try:
        song = parse_music_file(path)
    except Rejected as rejected:
        raise ValueError(f"{seed}: cannot read it: {rejected}") from None
    try:
        return MelodyRepresentation().encode(song, encoding)
    except Rejected as rejected:
        raise ValueError(f"{seed}: the encoding rejects it: {rejected}") from None
    except Exception as error:  # music21 fails on odd files in many ways; the encoder records them
        raise ValueError(
            f"{seed}: the encoding rejects it: {type(error).__name__} while reading the melody: "
            f"{error}"
        ) from error
