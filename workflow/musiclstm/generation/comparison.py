"""Songs to set beside the held-out songs: one per held-out song, in its time signature and
number of bars, written with the settings of an entry of `generate:` (its upbeat and form drawn
from the training songs as that entry draws them, never from the held-out song). What a
classifier then tells apart is the model's writing, not a mix of meters or lengths.

Held-out songs whose meter is unknown are left out.
"""

from __future__ import annotations

import dataclasses

from musiclstm.data.tensors import load_meters, load_songs, load_time_signatures
from musiclstm.generation.melodies import TrainingSongs, whole_bars
from musiclstm.generation.requests import GenerateRequest
from musiclstm.generation.song_info import SongInfo
from musiclstm.model.checkpoint import TrainedModel
from musiclstm.music.meter import bar_length
from musiclstm.settings import SongSettings


def held_out_frames(held_out_path, time_step: float, frame_width: int = 1) -> list[tuple[str, int]]:
    """``(time signature, whole bars)`` of each held-out song in a usable meter, its tokens
    ``frame_width`` to a time step."""
    return [
        (signature, whole_bars(len(song) // frame_width, bar))
        for signature, (bar, _, _), song in zip(
            load_time_signatures(held_out_path),
            load_meters(held_out_path),
            load_songs(held_out_path),
            strict=True,
        )
        if bar and bar == bar_length(signature, time_step)
    ]


def comparison_songs(
    trained: TrainedModel, song: SongSettings, held_out_path, train_path
) -> list[tuple[list[str], SongInfo]]:
    """One piece per held-out song of a usable meter (:func:`held_out_frames`), in its time
    signature and bars, written as the checkpoint's texture writes ``song`` (piece ``i`` with
    random seed ``song.random_seed + i``; a melody's upbeat and form drawn from the training
    songs at ``train_path``, read once for all the pieces), left in C major / A minor."""
    training = TrainingSongs(train_path, trained)
    written = []
    frames = held_out_frames(held_out_path, trained.time_step, trained.representation.frame_width)
    for number, (signature, bars) in enumerate(frames):
        entry = dataclasses.replace(
            song,
            time_signature=signature,
            bars=bars,
            seed="",
            key=None,
            n_samples=1,
            random_seed=song.random_seed + number,
        )
        request = GenerateRequest(
            trained, entry, "comparison", 1, train_path=train_path, training=training
        )
        written += trained.texture.generate(request)
    return written
