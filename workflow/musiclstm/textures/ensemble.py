"""Ensembles: N voices in frames (:mod:`musiclstm.representation.chorale`), their names, ranges,
clefs and instruments from the config's `voices`. Bach's chorales are its four-voice
configuration, :data:`SATB_VOICES`; a string quartet or a five-voice motet is another list.
"""

from __future__ import annotations

from musiclstm.music.frames import parse_frames
from musiclstm.music.piece import Part, Piece, outer_events
from musiclstm.representation.chorale import ChoraleRepresentation
from musiclstm.textures.base import Texture, Voice
from musiclstm.textures.keys import written_key

CHURCH_ORGAN = 19  # General MIDI program 20, counted from 0; 52 is choir aahs
# Soprano to bass: the classic ranges (C4-G5, G3-D5, C3-G4, E2-C4), two voices to a staff as
# hymnals print them.
SATB_VOICES = (
    Voice("soprano", 60, 79, "treble", CHURCH_ORGAN, 0),
    Voice("alto", 55, 74, "treble", CHURCH_ORGAN, 0),
    Voice("tenor", 48, 67, "bass", CHURCH_ORGAN, 1),
    Voice("bass", 40, 60, "bass", CHURCH_ORGAN, 1),
)


def voice_motion(name: str, voice: list[str], bars: float) -> dict[str, float]:
    """How one voice moves: its notes per bar and the shares of its moves that repeat a pitch,
    go by step (one or two semitones) or leap (more than four)."""
    from musiclstm.music.tokens import tokens_to_events

    pitches = [pitch for pitch, _ in tokens_to_events(voice) if pitch is not None]
    moves = [abs(b - a) for a, b in zip(pitches, pitches[1:], strict=False)]
    total = max(len(moves), 1)
    return {
        f"{name}_notes_per_bar": len(pitches) / bars,
        f"{name}_repeats": sum(m == 0 for m in moves) / total,
        f"{name}_steps": sum(0 < m <= 2 for m in moves) / total,
        f"{name}_leaps": sum(m > 4 for m in moves) / total,
    }


def upper_first(name: str) -> str:
    """``name`` with its first letter a capital, the rest as written (``Violin II`` stays)."""
    return name[:1].upper() + name[1:]


class EnsembleTexture(Texture):
    """Voices sung or played together, top voice first; the top one can be given (harmonised)."""

    generator = "musiclstm.generation.ensembles:generate_ensemble"
    metric_views_of = "musiclstm.evaluation.chorale_metrics:frame_views"
    baseline_of = "musiclstm.evaluation.chorale_metrics:frames_baseline"

    def __init__(self, name: str = "chorale", voices: tuple[Voice, ...] | None = None):
        voices = voices or SATB_VOICES
        if len(voices) < 2:
            raise ValueError(f"texture {name!r} has two or more voices, not {len(voices)}")
        super().__init__(name, voices)

    def representation(
        self, lookback=None, lookahead=(), form=False, voice_leading=False
    ) -> ChoraleRepresentation:
        lookback = (1,) if lookback is None else lookback
        # A harmoniser that reads voice leading also reads the given melody's pitches ahead.
        ahead_pitches = bool(lookahead) and bool(voice_leading)
        return ChoraleRepresentation(
            lookback,
            lookahead,
            self.voice_names,
            voice_leading,
            ahead_pitches=ahead_pitches,
            form=form,
        )

    def frames(self, tokens: list[str]):
        return parse_frames(tokens, self.voice_names)

    def piece(self, tokens: list[str], info) -> Piece:
        frames = self.frames(tokens)
        parts = tuple(
            Part(upper_first(voice.name), tuple(events), voice.program, voice.clef)
            for voice, events in zip(self.voices, frames.events(), strict=True)
        )
        return Piece(
            parts,
            info.time_step,
            info.time_signature,
            info.tempo_bpm,
            written_key(outer_events(parts), info),
            info.pickup_steps,
            tuple(frames.fermatas),
            self.staves(),
            texture=self.name,
        )

    def staves(self) -> tuple[tuple[int, ...], ...]:
        """The voices of each staff: neighbours with the same ``staff`` share one."""
        groups: list[list[int]] = []
        for index, voice in enumerate(self.voices):
            previous = self.voices[index - 1].staff if index else None
            if groups and voice.staff is not None and voice.staff == previous:
                groups[-1].append(index)
            else:
                groups.append([index])
        return tuple(tuple(group) for group in groups)

    def check_generate_entry(self, name: str, song: dict) -> str | None:
        from musiclstm.generation.seed_files import is_seed_file

        if is_seed_file(song["seed"]):
            return (
                f"generate.{name}.seed: {song['seed']} is a music file, which opens a melody; "
                f"a {self.name}'s seed is frames of tokens (to harmonise a file's melody, "
                f"give it as generate.{name}.melody)"
            )
        return None

    def generation_checkpoint(self, song: dict) -> str:
        return "harmoniser" if song.get("melody") else "model"

    def extra_targets(self) -> list[str]:
        return ["evaluation/harmoniser_metrics.json"]

    def baseline_split(self) -> bool:
        return True

    def melody_line(self, tokens: list[str]) -> list[str]:
        return self.frames(tokens).voices[0]

    def music_checks(self, generated, held_out, training) -> dict:
        from musiclstm.evaluation.voice_leading import voice_leading_stats

        return {
            "voice_leading": voice_leading_stats(
                [self.frames(tokens) for tokens in generated],
                [self.frames(tokens) for tokens in held_out],
                [self.frames(tokens) for tokens in training],
            )
        }

    def piece_features(self, tokens: list[str], bar: int, pickup: int, beat: int) -> dict:
        """The top voice's melody features, how every voice moves, and the piece's voice
        leading, chords and cadences (:func:`~musiclstm.evaluation.voice_leading.chorale_checks`,
        ranges left out: they are the texture's, not the piece's)."""
        from musiclstm.evaluation.voice_leading import chorale_checks

        frames = self.frames(tokens)
        top = super().piece_features(tokens, bar, pickup, beat)
        features = {f"top_{name}": value for name, value in top.items()}
        bars = max(frames.frames / bar, 1.0) if bar > 0 else max(frames.frames / 16, 1.0)
        for name, voice in zip(frames.names, frames.voices, strict=True):
            features |= voice_motion(name, voice, bars)
        open_ranges = [(0, 127)] * len(frames.names)
        checks = chorale_checks([frames], open_ranges)
        features |= {
            name: float(value or 0.0)
            for name, value in checks.items()
            if isinstance(value, float | int)
            and not name.startswith(("out_of_range", "notes"))
            # Counts grow with a piece's length; their rates per frame are kept.
            and name not in ("chorales", "frames", "full_frames", "chord_changes", "fermatas")
            and name not in ("parallel_fifths", "parallel_octaves")
        }
        return features

    def token_notes(self) -> str:
        names = ", ".join(self.voice_names)
        return (
            f"per time step a frame: | or |F (fermata), then {names}, each a MIDI pitch, r rest "
            "or _ hold"
        )

    def summary_headings(self) -> tuple[str, str]:
        what = f"{self.name}s" if self.name != "ensemble" else "pieces"
        return (
            f"{upper_first(self.name)} LSTM: summary",
            f"{upper_first(self.voices[0].name)} lines of generated against held-out {what}",
        )

    def report_sections(self, metrics: dict, stats: dict) -> str:
        from musiclstm.textures.ensemble_report import chorale_sections

        return chorale_sections(metrics, stats)
