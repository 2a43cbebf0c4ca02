"""Melodies: one voice, one token per time step (:mod:`musiclstm.representation.melody`)."""

from __future__ import annotations

from musiclstm.music.piece import Part, Piece
from musiclstm.music.tokens import tokens_to_events
from musiclstm.representation.melody import MelodyRepresentation
from musiclstm.textures.base import Texture, Voice
from musiclstm.textures.keys import written_key

MELODY = (Voice("melody"),)


class MelodyTexture(Texture):
    """One voice: a folk song, a tune of the user's."""

    generator = "musiclstm.generation.melodies:generate_melodies"

    def __init__(self, name: str = "melody", voices: tuple[Voice, ...] | None = None):
        voices = voices or MELODY
        if len(voices) != 1:
            raise ValueError(f"texture {name!r} has one voice, not {len(voices)}")
        super().__init__(name, voices)

    def representation(
        self, lookback=None, lookahead=(), form=False, voice_leading=False
    ) -> MelodyRepresentation:
        if lookahead:
            raise ValueError(
                "model.lookahead reads a given part ahead: a texture of one voice has none"
            )
        if lookback is None:
            return MelodyRepresentation(form=form)
        return MelodyRepresentation(lookback, form)

    def piece(self, tokens: list[str], info) -> Piece:
        voice = self.voices[0]
        part = Part(voice.name, tuple(tokens_to_events(tokens)), voice.program, voice.clef)
        return Piece(
            (part,),
            info.time_step,
            info.time_signature,
            info.tempo_bpm,
            written_key(list(part.events), info),
            info.pickup_steps,
            texture=self.name,
        )

    def check_generate_entry(self, name: str, song: dict) -> str | None:
        if song.get("melody"):
            return (
                f"generate.{name}.melody: a melody is harmonised by a texture of several voices "
                f"(texture: chorale); texture {self.name!r} writes one voice"
            )
        return None

    def summary_headings(self) -> tuple[str, str]:
        return "Melody LSTM: summary", "Generated songs against held-out songs"
