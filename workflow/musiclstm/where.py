"""Where a generated piece's files are, as `make song` and `make chorale` print them:
``python -m musiclstm.where song chorale``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

SYNTHESIZERS = {"fluidsynth": "FluidSynth", "builtin": "the built-in synthesiser"}


def piece_lines(name: str) -> list[str]:
    """One line per file of the piece ``name``: what it is, where, and what opens it."""
    audio = Path(f"results/audio/{name}.json")
    played = json.loads(audio.read_text())["synthesizer"] if audio.exists() else None
    files = [
        ("MIDI", f"results/generated/{name}.mid", "(any sequencer or notation program)"),
        ("score", f"results/scores/{name}.musicxml", "(MuseScore, Finale, Sibelius, Dorico)"),
        ("score", f"results/scores/{name}.svg", "(a web browser)"),
        ("audio", f"results/audio/{name}.wav", f"(played by {SYNTHESIZERS.get(played, played)})"),
    ]
    return [f"  {kind:<6} {path:<36} {opens}" for kind, path, opens in files if Path(path).exists()]


def main(names: list[str]) -> None:
    for name in names:
        print(f"{name}:")
        print("\n".join(piece_lines(name)))


if __name__ == "__main__":
    main(sys.argv[1:])
