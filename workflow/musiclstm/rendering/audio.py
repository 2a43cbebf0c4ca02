"""A piece as sound: a mono 16-bit WAV file.

Two synthesisers:

- ``fluidsynth``: the FluidSynth program plays the melody's MIDI file with a General MIDI
  soundfont (on Debian: ``apt-get install fluidsynth timgm6mb-soundfont`` or
  ``fluid-soundfont-gm``). It sounds like the instrument chosen by the GM ``program``.
- ``builtin``: the fallback, written here with NumPy: each note is a tone of a few harmonics with a
  short attack and a plucked decay. It needs nothing installed and sounds like a music box, not an
  instrument.

``auto`` takes FluidSynth when both the program and a soundfont are found, and the fallback
otherwise, saying why in the log and in what :func:`write_audio` returns.

A piece of several parts (a chorale, a quartet) is played the same two ways: FluidSynth plays
its MIDI file, a track per part with the part's instrument, the fallback adds up its parts.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

from musiclstm.music.midi import write_midi
from musiclstm.music.piece import Piece
from musiclstm.music.tokens import tokens_to_events
from musiclstm.settings import RenderSettings

log = logging.getLogger(__name__)

SYNTHESIZERS = ("auto", "fluidsynth", "builtin")
# Where Debian's and other distributions' General MIDI soundfont packages put their file.
SOUNDFONT_PATHS = (
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/default-GM.sf3",
)
TAIL_SECONDS = 1.0  # silence after the last note, for its release to ring out
PEAK = 0.89  # -1 dBFS: every file is normalised to the same peak level
HARMONICS = (1.0, 0.5, 0.3, 0.15, 0.08)  # amplitudes of the fallback's partials


def find_soundfont(soundfont: str | None = None) -> Path | None:
    """``soundfont`` if given (it must exist), else the first installed one of SOUNDFONT_PATHS."""
    if soundfont is not None:
        path = Path(soundfont)
        if not path.is_file():
            raise ValueError(f"soundfont {soundfont!r} is not a file")
        return path
    return next((Path(p) for p in SOUNDFONT_PATHS if Path(p).is_file()), None)


def pick_synthesizer(synthesizer: str, soundfont: str | None = None) -> tuple[str, Path | None]:
    """``(synthesizer, soundfont)`` to use for the configured choice; a missing part of an
    explicit ``fluidsynth`` choice is an error, with ``auto`` it means the built-in fallback."""
    if synthesizer not in SYNTHESIZERS:
        raise ValueError(f"synthesizer {synthesizer!r}: expected one of {', '.join(SYNTHESIZERS)}")
    if synthesizer == "builtin":
        return "builtin", None
    program = shutil.which("fluidsynth")
    font = find_soundfont(soundfont)
    if program and font:
        return "fluidsynth", font
    missing = "the fluidsynth program" if not program else "a General MIDI soundfont (.sf2)"
    if synthesizer == "fluidsynth":
        raise ValueError(
            f"synthesizer 'fluidsynth': {missing} is not installed; on Debian run "
            "`apt-get install fluidsynth timgm6mb-soundfont`, or use synthesizer: builtin"
        )
    log.warning("%s not found: the built-in synthesiser writes the audio instead", missing)
    return "builtin", None


def melody_seconds(tokens: list[str], time_step: float, tempo_bpm: float) -> float:
    """Length of the melody in seconds."""
    return len(tokens) * time_step * 60.0 / tempo_bpm


def builtin_samples(
    tokens: list[str], time_step: float, tempo_bpm: float, sample_rate: int
) -> np.ndarray:
    """The melody played by the built-in synthesiser, as float samples in [-1, 1]."""
    step_seconds = time_step * 60.0 / tempo_bpm
    total = int(round((melody_seconds(tokens, time_step, tempo_bpm) + TAIL_SECONDS) * sample_rate))
    samples = np.zeros(total)
    position = 0
    for pitch, steps in tokens_to_events(tokens):
        start = int(round(position * step_seconds * sample_rate))
        position += steps
        if pitch is None:
            continue
        length = int(round(steps * step_seconds * sample_rate))
        release = int(0.05 * sample_rate)
        t = np.arange(length + release) / sample_rate
        frequency = 440.0 * 2 ** ((pitch - 69) / 12)
        tone = sum(
            amplitude * np.sin(2 * np.pi * frequency * (n + 1) * t)
            for n, amplitude in enumerate(HARMONICS)
            if frequency * (n + 1) < sample_rate / 2  # no partial above Nyquist
        )
        envelope = np.exp(-3.0 * t) * np.minimum(1.0, t / 0.005)
        envelope[length:] *= np.linspace(1.0, 0.0, release)
        end = min(start + len(t), total)
        samples[start:end] += (tone * envelope)[: end - start]
    return samples


def piece_builtin_samples(piece: Piece, sample_rate: int) -> np.ndarray:
    """The piece played by the built-in synthesiser: the sum of its parts, each played as a
    melody (:func:`write_wav` scales the sum to its peak level, so it does not clip)."""
    return sum(
        builtin_samples(part.tokens, piece.time_step, piece.tempo_bpm, sample_rate)
        for part in piece.parts
    )


def tail_steps(time_step: float, tempo_bpm: float) -> int:
    """Steps of silence that last :data:`TAIL_SECONDS`, at least one."""
    return max(1, round(TAIL_SECONDS * tempo_bpm / 60.0 / time_step))


def fluidsynth_samples(
    piece: Piece, sample_rate: int, soundfont: Path, program: int | None
) -> np.ndarray:
    """The piece played by FluidSynth from its MIDI file (every part with ``program`` where one
    is given, else each with its own), mixed to mono, as floats in [-1, 1]."""
    # The trailing rest makes the MIDI file (and so the rendering) last past the last note.
    tail = (None, tail_steps(piece.time_step, piece.tempo_bpm))
    parts = tuple(
        replace(
            part, events=part.events + (tail,), program=part.program if program is None else program
        )
        for part in piece.parts
    )
    with tempfile.TemporaryDirectory() as folder:
        midi_path = Path(folder) / "piece.mid"
        write_midi(replace(piece, parts=parts, fermatas=()), midi_path)
        return fluidsynth_play(midi_path, sample_rate, soundfont)


def fluidsynth_play(midi_path: Path, sample_rate: int, soundfont: Path) -> np.ndarray:
    """A MIDI file played by the FluidSynth program, mixed to mono, as floats in [-1, 1]."""
    wav_path = midi_path.with_suffix(".wav")
    command = ["fluidsynth", "-ni", "-q", "-r", str(sample_rate), "-T", "wav", "-O", "s16"]
    command += ["-F", str(wav_path), str(soundfont), str(midi_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not wav_path.exists():
        raise RuntimeError(
            f"fluidsynth failed (exit {done.returncode}): {(done.stderr or done.stdout)[-500:]}"
        )
    rate, channels = read_wav(wav_path)
    if rate != sample_rate:
        raise RuntimeError(f"fluidsynth wrote {rate} Hz instead of {sample_rate} Hz")
    return channels.mean(axis=0)


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    """``(sample rate, samples)`` of a 16-bit WAV file; samples as floats, shape (channels, n)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit samples, not {8 * wav.getsampwidth()}-bit")
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        channels = frames.reshape(-1, wav.getnchannels()).T / 32768.0
        return wav.getframerate(), channels


def write_wav(samples: np.ndarray, path: Path, sample_rate: int) -> None:
    """Write mono float samples as a 16-bit WAV file, normalised to the same peak level."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak > 0:
        samples = samples * (PEAK / peak)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(np.round(samples * 32767).astype("<i2").tobytes())


def write_audio(piece: Piece, wav_path: Path, render: RenderSettings) -> dict:
    """Write a piece as a WAV file with the synthesiser, soundfont, program and sample rate of
    ``render`` (no program: each part plays its own instrument); returns how it was
    synthesised."""
    chosen, font = pick_synthesizer(render.synthesizer, render.soundfont)
    if chosen == "fluidsynth":
        samples = fluidsynth_samples(piece, render.sample_rate, font, render.program)
    else:
        samples = piece_builtin_samples(piece, render.sample_rate)
    return finish_audio(samples, wav_path, chosen, font, render, piece)


def finish_audio(
    samples: np.ndarray,
    wav_path: Path,
    chosen: str,
    font: Path | None,
    render: RenderSettings,
    piece: Piece,
) -> dict:
    """Write the samples as a WAV file and return how they were synthesised."""
    write_wav(samples, wav_path, render.sample_rate)
    info = {
        "synthesizer": chosen,
        "soundfont": str(font.resolve()) if font else None,  # the file behind a default link
        "program": programs(piece, render) if chosen == "fluidsynth" else None,
        "sample_rate": render.sample_rate,
        "seconds": round(len(samples) / render.sample_rate, 3),
    }
    log.info("%s: %s", wav_path, info)
    return info


def programs(piece: Piece, render: RenderSettings) -> int | list[int]:
    """The General MIDI program that played the piece, or each part's where they differ."""
    if render.program is not None:
        return render.program
    played = [part.program for part in piece.parts]
    return played[0] if len(set(played)) == 1 else played
