"""A melody or a chorale as sound: a mono 16-bit WAV file.

Two synthesisers:

- ``fluidsynth``: the FluidSynth program plays the melody's MIDI file with a General MIDI
  soundfont (on Debian: ``apt-get install fluidsynth timgm6mb-soundfont`` or
  ``fluid-soundfont-gm``). It sounds like the instrument chosen by the GM ``program``.
- ``builtin``: the fallback, written here with NumPy: each note is a tone of a few harmonics with a
  short attack and a plucked decay. It needs nothing installed and sounds like a music box, not an
  instrument.

``auto`` takes FluidSynth when both the program and a soundfont are found, and the fallback
otherwise, saying why in the log and in what :func:`write_audio` returns.

A chorale (:mod:`musiclstm.music.voices`) is played the same two ways: FluidSynth plays its
four-track MIDI file, the fallback adds up its four voices.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from musiclstm.music.midi import write_chorale_midi, write_midi
from musiclstm.music.tokens import HOLD, REST, tokens_to_events
from musiclstm.music.voices import Chorale, parse_chorale
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


def chorale_builtin_samples(
    chorale: Chorale, time_step: float, tempo_bpm: float, sample_rate: int
) -> np.ndarray:
    """The chorale played by the built-in synthesiser: the sum of its voices, each played as a
    melody (:func:`write_wav` scales the sum to its peak level, so it does not clip)."""
    return sum(
        builtin_samples(voice, time_step, tempo_bpm, sample_rate) for voice in chorale.voices
    )


def tail_steps(time_step: float, tempo_bpm: float) -> int:
    """Steps of silence that last :data:`TAIL_SECONDS`, at least one."""
    return max(1, round(TAIL_SECONDS * tempo_bpm / 60.0 / time_step))


def fluidsynth_samples(
    tokens: list[str],
    time_step: float,
    tempo_bpm: float,
    time_signature: str,
    sample_rate: int,
    soundfont: Path,
    program: int,
) -> np.ndarray:
    """The melody played by FluidSynth from a MIDI file, mixed to mono, as floats in [-1, 1]."""
    # The trailing rest makes the MIDI file (and so the rendering) last past the last note.
    padded = tokens + rest_tokens(tail_steps(time_step, tempo_bpm))
    with tempfile.TemporaryDirectory() as folder:
        midi_path = Path(folder) / "melody.mid"
        write_midi(padded, midi_path, time_step, tempo_bpm, time_signature, program=program)
        return fluidsynth_play(midi_path, sample_rate, soundfont)


def chorale_fluidsynth_samples(
    chorale: Chorale,
    time_step: float,
    tempo_bpm: float,
    time_signature: str,
    sample_rate: int,
    soundfont: Path,
    program: int,
) -> np.ndarray:
    """The chorale played by FluidSynth from its four-track MIDI file, every voice with
    ``program``, mixed to mono."""
    rest = rest_tokens(tail_steps(time_step, tempo_bpm))
    padded = Chorale(
        tuple(voice + rest for voice in chorale.voices), chorale.fermatas + [False] * len(rest)
    )
    with tempfile.TemporaryDirectory() as folder:
        midi_path = Path(folder) / "chorale.mid"
        write_chorale_midi(padded, midi_path, time_step, tempo_bpm, time_signature, program=program)
        return fluidsynth_play(midi_path, sample_rate, soundfont)


def rest_tokens(steps: int) -> list[str]:
    """A rest of ``steps`` steps."""
    return [REST] + [HOLD] * (steps - 1)


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


def write_audio(
    tokens_path: Path,
    wav_path: Path,
    time_step: float,
    tempo_bpm: float,
    time_signature: str,
    render: RenderSettings,
) -> dict:
    """Read a song's tokens and write it as a WAV file with the synthesiser, soundfont, program
    and sample rate of ``render``; returns how it was synthesised."""
    program, sample_rate = render.program, render.sample_rate
    tokens = Path(tokens_path).read_text().split()
    chosen, font = pick_synthesizer(render.synthesizer, render.soundfont)
    if chosen == "fluidsynth":
        samples = fluidsynth_samples(
            tokens, time_step, tempo_bpm, time_signature, sample_rate, font, program
        )
    else:
        samples = builtin_samples(tokens, time_step, tempo_bpm, sample_rate)
    return finish_audio(samples, wav_path, chosen, font, render)


def write_chorale_audio(
    tokens_path: Path,
    wav_path: Path,
    time_step: float,
    tempo_bpm: float,
    time_signature: str,
    render: RenderSettings,
) -> dict:
    """:func:`write_audio` for a chorale's token stream: FluidSynth plays its four voices with
    the program of ``render`` (19 is a church organ, 52 a choir), or the built-in synthesiser
    adds them up; returns how it was synthesised, as :func:`write_audio` does."""
    program, sample_rate = render.program, render.sample_rate
    chorale = parse_chorale(Path(tokens_path).read_text().split())
    chosen, font = pick_synthesizer(render.synthesizer, render.soundfont)
    if chosen == "fluidsynth":
        samples = chorale_fluidsynth_samples(
            chorale, time_step, tempo_bpm, time_signature, sample_rate, font, program
        )
    else:
        samples = chorale_builtin_samples(chorale, time_step, tempo_bpm, sample_rate)
    return finish_audio(samples, wav_path, chosen, font, render)


def finish_audio(
    samples: np.ndarray, wav_path: Path, chosen: str, font: Path | None, render: RenderSettings
) -> dict:
    """Write the samples as a WAV file and return how they were synthesised."""
    write_wav(samples, wav_path, render.sample_rate)
    info = {
        "synthesizer": chosen,
        "soundfont": str(font.resolve()) if font else None,  # the file behind a default link
        "program": render.program if chosen == "fluidsynth" else None,
        "sample_rate": render.sample_rate,
        "seconds": round(len(samples) / render.sample_rate, 3),
    }
    log.info("%s: %s", wav_path, info)
    return info
