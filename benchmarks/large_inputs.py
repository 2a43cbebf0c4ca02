"""Large inputs: time and peak memory of indexing and encoding a 10,000-tune ABC file and a 50 MB
MIDI file, each step in a fresh process.

    .venv/bin/python benchmarks/large_inputs.py [--tunes 10000] [--midi-mb 50] [--keep DIR]

The files are generated: ABC tunes of two bars in varying keys, and a type-1 MIDI file with a
melody track of quarter notes and an accompaniment track of chords under a flood of pitch bends
and controllers (what makes real MIDI files big). For each step it prints wall time and the
process's peak resident memory; encoding the first 100 tunes gives the baseline the 10,000 are
compared with, so memory that grows with the corpus would show as the difference. A quick check:
``--tunes 200 --midi-mb 0.5``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TICKS = 480


def write_abc(path: Path, n_tunes: int) -> None:
    """An ABC file of ``n_tunes`` short tunes, written a tune at a time."""
    notes = "CDEFGABcde"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("%abc-2.1\n% generated for benchmarks/large_inputs.py\n\n")
        for number in range(1, n_tunes + 1):
            a, b, c, d = (notes[(number * k) % 10] for k in (1, 3, 5, 7))
            handle.write(
                f"X:{number}\nT:Tune {number}\nM:2/4\nL:1/8\nK:{'CDFGA'[number % 5]}\n"
                f"{a}2 {b}2 | {c}{d} {b}{a} | {c}2 {d}2 | {a}4 |\n\n"
            )


def variable_length(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def track_chunk(events: bytes) -> bytes:
    data = events + b"\x00\xff\x2f\x00"
    return b"MTrk" + len(data).to_bytes(4, "big") + data


def write_big_midi(path: Path, megabytes: float) -> int:
    """A type-1 MIDI file of about ``megabytes`` MB; returns the melody's number of notes.

    Events use running status, as sequencers write them, so the file is as dense as real ones.
    """
    tune = [67, 69, 71, 72, 74, 72, 71, 67]
    name = b"\x00\xff\x03\x06Melody"
    melody_bar = bytearray()
    for index, pitch in enumerate(tune):
        melody_bar += (b"\x00\x90" if index == 0 else b"\x00") + bytes([pitch, 80])
        melody_bar += variable_length(TICKS) + bytes([pitch, 0])
    # Two bars of accompaniment: a chord, then pitch bends and modulation every 10 ticks.
    accompaniment_bars = bytearray()
    for chord in ((48, 52, 55), (43, 47, 50)):
        accompaniment_bars += b"\x00\x91" + bytes([chord[0], 60])
        for pitch in chord[1:]:
            accompaniment_bars += b"\x00" + bytes([pitch, 60])
        for tick in range(0, 4 * TICKS, 10):
            accompaniment_bars += b"\x0a\xe1" + bytes([tick % 128, 64])
            accompaniment_bars += b"\x00\xb1\x01" + bytes([tick % 100])
        for pitch in chord:
            accompaniment_bars += b"\x00\x81" + bytes([pitch, 0])
    repeats = max(1, int(megabytes * 1e6 / (len(melody_bar) + len(accompaniment_bars))))
    conductor = b"\x00\xff\x58\x04\x04\x02\x18\x08\x00\xff\x59\x02\x01\x00"
    with open(path, "wb") as handle:
        handle.write(b"MThd" + (6).to_bytes(4, "big") + bytes([0, 1, 0, 3]))
        handle.write(TICKS.to_bytes(2, "big"))
        handle.write(track_chunk(conductor))
        handle.write(track_chunk(name + bytes(melody_bar) * (repeats * 2)))
        # Written a bar at a time, so that this process stays small too.
        strings = b"\x00\xff\x03\x07Strings"
        end = b"\x00\xff\x2f\x00"
        length = len(strings) + len(accompaniment_bars) * repeats + len(end)
        handle.write(b"MTrk" + length.to_bytes(4, "big") + strings)
        for _ in range(repeats):
            handle.write(accompaniment_bars)
        handle.write(end)
    return len(tune) * repeats * 2


def child(task: str, path: str, count: int) -> dict:
    """One measured step, run in a fresh process."""
    from musiclstm.data.encode import ENCODED_COLUMNS, encode_shard
    from musiclstm.data.sources import list_songs
    from musiclstm.settings import EncodingSettings, settings, source_settings
    from musiclstm.textures.melody import MelodyTexture

    if task == "import":
        return {"peak_rss_mb": peak_rss_mb()}
    started = time.perf_counter()
    songs = list_songs(source_settings([{"name": "big", "files": path}]))
    result: dict = {"songs_listed": len(songs)}
    if task == "encode":
        songs = songs[:count] if count else songs
        out = Path(tempfile.mkdtemp())
        # The schema's default encoding, as the workflow ships it.
        encode_shard(
            songs,
            settings(EncodingSettings),
            MelodyTexture().representation(),
            out / "shard.tsv",
            out / "shard.rejects.tsv",
        )
        encoded = (out / "shard.tsv").read_text(encoding="utf-8").splitlines()[1:]
        rejects = (out / "shard.rejects.tsv").read_text(encoding="utf-8").splitlines()[1:]
        result |= {"songs_encoded": len(encoded), "songs_rejected": len(rejects)}
        if encoded:
            n_steps = ENCODED_COLUMNS.index("n_steps")
            result["steps_of_first_song"] = int(encoded[0].split("\t")[n_steps])
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program.

    ``getrusage``'s ``ru_maxrss`` would also count the parent's memory at the fork before exec;
    ``VmHWM`` belongs to the process's own address space.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(task: str, path: Path, count: int = 0) -> dict:
    command = [sys.executable, __file__, "--child", task, str(path), str(count)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def baseline_rss() -> float:
    """Peak memory of a process that only imports the library and music21."""
    command = [sys.executable, __file__, "--child", "import", "", "0"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])["peak_rss_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tunes", type=int, default=10_000)
    parser.add_argument("--midi-mb", type=float, default=50)
    parser.add_argument("--keep", type=Path, help="write the generated files here and keep them")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task, path, count = args.child
        print(json.dumps(child(task, path, int(count))))
        return
    folder = args.keep or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    abc = folder / "big collection.abc"
    write_abc(abc, args.tunes)
    midi = folder / "big song.mid"
    melody_notes = write_big_midi(midi, args.midi_mb)
    print(f"import of music21 and the library alone: {baseline_rss()} MB peak")
    print(f"{abc.name}: {abc.stat().st_size / 1e6:.1f} MB, {args.tunes} tunes")
    print(f"  index: {measure('index', abc)}")
    print(f"  encode first 100 tunes: {measure('encode', abc, 100)}")
    print(f"  encode all {args.tunes} tunes: {measure('encode', abc)}")
    print(f"{midi.name}: {midi.stat().st_size / 1e6:.1f} MB, melody of {melody_notes} notes")
    print(f"  encode: {measure('encode', midi)}")


if __name__ == "__main__":
    main()
