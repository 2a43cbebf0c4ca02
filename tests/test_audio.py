"""WAV files that sound the right pitches at the right times, with FluidSynth and with the
built-in fallback; the choice between them."""

import numpy as np
import pytest
from pieces import melody_piece

from conftest import require_tool
from musiclstm.music.tokens import events_to_tokens
from musiclstm.rendering.audio import find_soundfont, pick_synthesizer, read_wav, write_audio
from musiclstm.settings import RenderSettings, settings

# At 60 quarter notes per minute a sixteenth lasts 0.25 s, so each event below lasts 1 s.
MELODY = [(60, 4), (None, 4), (67, 4), (76, 4), (45, 4)]


def heard_pitch(segment: np.ndarray, sample_rate: int, near: int) -> int:
    """The MIDI pitch within half an octave of ``near`` whose first four harmonics are loudest."""
    padded = len(segment) * 8
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(len(segment)), padded))
    frequencies = np.fft.rfftfreq(padded, 1 / sample_rate)

    def loudness(pitch):
        f0 = 440.0 * 2 ** ((pitch - 69) / 12)
        return sum(spectrum[np.argmin(np.abs(frequencies - f0 * h))] for h in range(1, 5))

    return max(range(near - 6, near + 7), key=loudness)


def render(tmp_path, synthesizer, **options):
    piece = melody_piece(events_to_tokens(MELODY), tempo_bpm=60)
    wav = tmp_path / f"{synthesizer}.wav"
    render = settings(RenderSettings, synthesizer=synthesizer, **options)
    info = write_audio(piece, wav, render)
    rate, channels = read_wav(wav)
    assert channels.shape[0] == 1  # mono
    return info, rate, channels[0]


def check_melody(samples: np.ndarray, rate: int) -> None:
    for second, (pitch, _) in enumerate(MELODY):
        segment = samples[int((second + 0.1) * rate) : int((second + 0.6) * rate)]
        level = np.sqrt(np.mean(segment**2))
        if pitch is None:
            assert level < 0.05, f"sound during the rest at {second} s"
        else:
            assert level > 0.05, f"no sound at {second} s"
            assert heard_pitch(segment, rate, pitch) == pitch, f"wrong pitch at {second} s"


def test_builtin_synthesizer_plays_the_melody(tmp_path):
    info, rate, samples = render(tmp_path, "builtin", sample_rate=16000)
    assert info == {
        "synthesizer": "builtin",
        "soundfont": None,
        "program": None,
        "sample_rate": 16000,
        "seconds": 6.0,  # five events of 1 s and 1 s for the last note to fade
    }
    assert rate == 16000 and len(samples) == 6 * 16000
    assert np.max(np.abs(samples)) == pytest.approx(0.89, abs=0.001)  # normalised peak
    check_melody(samples, rate)


def test_fluidsynth_plays_the_melody_with_a_general_midi_soundfont(tmp_path):
    require_tool("fluidsynth")
    for program in (0, 73):  # piano, flute
        info, rate, samples = render(tmp_path, "fluidsynth", program=program)
        assert info["synthesizer"] == "fluidsynth" and info["program"] == program
        assert info["soundfont"].endswith((".sf2", ".sf3")) and rate == 22050
        assert 6.0 <= len(samples) / rate <= 10.0
        check_melody(samples, rate)


def test_auto_falls_back_to_the_builtin_synthesizer_without_fluidsynth(monkeypatch, caplog):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert pick_synthesizer("auto") == ("builtin", None)
    assert "fluidsynth program not found" in caplog.text
    with pytest.raises(ValueError, match="synthesizer 'fluidsynth': the fluidsynth program is not"):
        pick_synthesizer("fluidsynth")


def test_bad_soundfont_and_synthesizer_are_named(tmp_path):
    with pytest.raises(ValueError, match="soundfont '/no/such.sf2' is not a file"):
        pick_synthesizer("auto", "/no/such.sf2")
    with pytest.raises(ValueError, match="synthesizer 'timidity'"):
        pick_synthesizer("timidity")
    font = tmp_path / "mine.sf2"
    font.write_bytes(b"RIFF")
    assert find_soundfont(str(font)) == font
