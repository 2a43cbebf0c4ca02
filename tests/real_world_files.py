"""Builders of the messy files users have: MIDI of every kind, a big ABC file with broken tunes.

MIDI files are built here from code (with mido, or byte by byte where mido would tidy up what real
files get wrong), so each fixture states what it holds. Text fixtures (kern, MusicXML) live in
tests/fixtures/real_world/.
"""

from __future__ import annotations

import io
from pathlib import Path

import mido

Q = 480  # ticks per quarter note
# A tune of eight quarter notes in G major, and its tokens (no transposition).
TUNE = [67, 69, 71, 72, 74, 72, 71, 67]
TUNE_NOTES = [(i * Q, (i + 1) * Q, pitch) for i, pitch in enumerate(TUNE)]
TUNE_TOKENS = " ".join(f"{pitch} _ _ _" for pitch in TUNE)
# Half-note C major and G major triads below it, and a kick drum on every beat.
CHORDS = [(i * 2 * Q, (i + 1) * 2 * Q, p) for i in range(4) for p in (48, 52, 55)]
DRUMS = [(i * Q, i * Q + 60, 36) for i in range(8)]


def note_track(
    notes: list[tuple[int, int, int]], channel: int = 0, name: str | None = None, extra=()
) -> mido.MidiTrack:
    """A track of ``(start tick, end tick, pitch)`` notes, with extra ``(tick, message)`` events."""
    events = []
    for start, end, pitch in notes:
        events.append((start, 1, mido.Message("note_on", channel=channel, note=pitch, velocity=80)))
        events.append((end, 0, mido.Message("note_off", channel=channel, note=pitch)))
    events += [(tick, 2, message) for tick, message in extra]
    events.sort(key=lambda event: (event[0], event[1]))
    track = mido.MidiTrack()
    if name:
        track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def conductor(numerator=4, denominator=4, key="G") -> mido.MidiTrack:
    return mido.MidiTrack(
        [
            mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator),
            mido.MetaMessage("key_signature", key=key),
            mido.MetaMessage("set_tempo", tempo=600_000),
        ]
    )


def midi_bytes(tracks: list[mido.MidiTrack], file_type: int = 1) -> bytes:
    midi = mido.MidiFile(type=file_type, ticks_per_beat=Q)
    midi.tracks.extend(tracks)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def variable_length(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def chunk(kind: bytes, data: bytes) -> bytes:
    return kind + len(data).to_bytes(4, "big") + data


def running_status_bytes() -> bytes:
    """A type-0 file whose note events after the first omit the status byte (running status),
    with note-on velocity 0 as the note-off, as many sequencers write them."""
    events = sorted(
        [(start, 1, pitch, 80) for start, _, pitch in TUNE_NOTES]
        + [(end, 0, pitch, 0) for _, end, pitch in TUNE_NOTES]
    )
    data = bytearray()
    now = 0
    for index, (tick, _, pitch, velocity) in enumerate(events):
        data += variable_length(tick - now) + (b"\x90" if index == 0 else b"")
        data += bytes([pitch, velocity])
        now = tick
    data += b"\x00\xff\x2f\x00"
    header = (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + Q.to_bytes(2, "big")
    return chunk(b"MThd", header) + chunk(b"MTrk", bytes(data))


def with_unknown_chunk(data: bytes) -> bytes:
    """The file with a chunk of an unknown type between its header and its tracks."""
    return data[:14] + chunk(b"XFIH", b"made by a program that adds its own data") + data[14:]


def with_smpte_division(data: bytes) -> bytes:
    """The file with its header saying 25 frames per second, 40 ticks a frame."""
    return data[:12] + bytes([256 - 25, 40]) + data[14:]


def bends_and_lyrics() -> mido.MidiTrack:
    """The tune sung: lyrics, karaoke text, pitch bends, vibrato and a sustain pedal."""
    syllables = ["Schö-", "ne", "Grü-", "ße", "aus", "dem", "Tal", "."]
    extra = []
    for index, (start, _, _) in enumerate(TUNE_NOTES):
        extra.append((start, mido.MetaMessage("lyrics", text=syllables[index])))
        extra.append((start, mido.MetaMessage("text", text="/" + syllables[index])))
        extra.append((start + 100, mido.Message("pitchwheel", pitch=1200)))
        extra.append((start + 200, mido.Message("pitchwheel", pitch=0)))
        extra.append((start + 50, mido.Message("control_change", control=1, value=64)))
    extra.append((0, mido.Message("control_change", control=64, value=127)))
    extra.append((0, mido.MetaMessage("smpte_offset", hours=1, minutes=2, seconds=3)))
    return note_track(TUNE_NOTES, name="Gesang", extra=extra)


def reversed_tune() -> list[tuple[int, int, int]]:
    """The tune's pitches backwards, in the same rhythm."""
    return [
        (start, end, pitch) for (start, end, _), pitch in zip(TUNE_NOTES, TUNE[::-1], strict=True)
    ]


def note_on(pitch: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", channel=channel, note=pitch, velocity=80)


def note_off(pitch: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_off", channel=channel, note=pitch)


def type0_track() -> mido.MidiTrack:
    """Melody (channel 1), chords (channel 2) and drums (channel 10) in one track."""
    extra = [(0, mido.MetaMessage("time_signature", numerator=4, denominator=4))]
    for notes, channel in ((CHORDS, 1), (DRUMS, 9)):
        extra += [(start, note_on(pitch, channel)) for start, _, pitch in notes]
        extra += [(end, note_off(pitch, channel)) for _, end, pitch in notes]
    return note_track(TUNE_NOTES, channel=0, name="Song", extra=extra)


def midi_fixtures() -> dict[str, bytes]:
    """Every MIDI fixture by file name."""
    tune = midi_bytes([conductor(), note_track(TUNE_NOTES, name="Melody")])
    overlapping = [(s, e + 60, p) for s, e, p in TUNE_NOTES[:4]] + [  # legato overlaps, and
        (4 * Q, 6 * Q, 74),  # the same pitch struck again before its note-off
        (5 * Q, 6 * Q, 74),
        (6 * Q, 7 * Q, 71),
        (7 * Q, 8 * Q, 67),
    ]
    zero_length = [
        (start, mido.Message("note_on", note=90, velocity=50)) for start, _, _ in TUNE_NOTES
    ]
    zero_length = [e for event in zero_length for e in (event, (event[0], note_off(90)))]
    triplet = [(0, Q, 60), (Q, Q + 160, 62), (Q + 160, Q + 320, 64), (Q + 320, 2 * Q, 65)]
    triplet += [(2 * Q, 4 * Q, 67)]
    chordal = TUNE_NOTES + [(s, e, p - 4) for s, e, p in TUNE_NOTES[::4]]
    performed = [
        (start + jitter, end - 40 + jitter, pitch)
        for (start, end, pitch), jitter in zip(
            TUNE_NOTES, [0, 7, -9, 12, -5, 3, -11, 6], strict=True
        )
    ]
    return {
        "type0 melody chords drums.mid": midi_bytes([type0_track()], file_type=0),
        "type1 piano melody drums.mid": midi_bytes(
            [
                conductor(3, 4),
                note_track(CHORDS, channel=1, name="Piano"),
                note_track(TUNE_NOTES, channel=0, name="Melody"),
                note_track(DRUMS, channel=9, name="Drums"),
            ]
        ),
        "type2 two patterns.mid": midi_bytes(
            [note_track(TUNE_NOTES, name="A"), note_track(reversed_tune(), name="B")], file_type=2
        ),
        "drums only.mid": midi_bytes([conductor(), note_track(DRUMS, channel=9, name="Drums")]),
        "overlapping notes.mid": midi_bytes([conductor(), note_track(overlapping)]),
        "running status.mid": running_status_bytes(),
        "pitch bends and lyrics.kar": midi_bytes([conductor(), bends_and_lyrics()]),
        "zero-length notes.mid": midi_bytes(
            [conductor(), note_track(TUNE_NOTES, extra=zero_length)]
        ),
        "unknown chunk.mid": with_unknown_chunk(tune),
        "smpte division.mid": with_smpte_division(tune),
        "empty.mid": b"",
        "truncated.mid": tune[: len(tune) * 2 // 3],
        "text renamed.mid": b"MIDI? No: these are the lyrics of the song, saved as .mid.\n",
        "triplets.mid": midi_bytes([conductor(), note_track(triplet)]),
        "chords in the melody.mid": midi_bytes([conductor(), note_track(chordal)]),
        "performed, not quantised.midi": midi_bytes([conductor(), note_track(performed)]),
    }


# Where a MIDI fixture ends under the default encoding: its songs' outcomes, or its reject reason.
MIDI_OUTCOMES = {
    "type0 melody chords drums.mid": {"": "encoded"},
    "type1 piano melody drums.mid": {"": "encoded"},
    "type2 two patterns.mid": {"#1": "encoded", "#2": "encoded"},
    "drums only.mid": {"": "drums_only"},
    "overlapping notes.mid": {"": "encoded"},
    "running status.mid": {"": "encoded"},
    "pitch bends and lyrics.kar": {"": "encoded"},
    "zero-length notes.mid": {"": "encoded"},
    "unknown chunk.mid": {"": "encoded"},
    "smpte division.mid": {"": "unreadable"},
    "empty.mid": {"": "empty_file"},
    "truncated.mid": {"": "unreadable"},
    "text renamed.mid": {"": "unreadable"},
    "triplets.mid": {"": "triplet"},
    "chords in the melody.mid": {"": "encoded"},
    "performed, not quantised.midi": {"": "unacceptable_duration"},
}


def write_midi_fixtures(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in midi_fixtures().items():
        (folder / name).write_bytes(data)


# The tunes of the big ABC file: most are fine, every 40th tune of some kinds is broken.
BROKEN_TUNES = {
    7: ("M:2/4\nL:1/8\nK:G\n[GB d2 | G4 |\n", "unreadable"),  # a chord bracket never closed
    13: ("M:2/0\nL:1/8\nK:G\nG2 A2 | B4 |\n", "unreadable"),  # a meter of 2/0
    21: ("M:2/4\nL:1/8\nK:G\n#$%& ?? @@ |\n", "no_notes"),  # no music at all
    29: ("M:2/4\nL:1/8\nK:G\n", "no_notes"),  # a header and nothing else
    33: ("M:2/4\nL:1/8\nK:G\n(3GAB (3cBA | G4 |\n", "triplet"),
    38: ("M:2/4\nL:1/16\nK:G\nG3 A5 | B8 |\n", "unacceptable_duration"),  # 5/16 notes
}


def good_tune(number: int) -> str:
    """A short tune that differs from its neighbours."""
    notes = "CDEFGABcde"
    a, b, c = (notes[(number * k) % 7] for k in (1, 2, 3))
    return f"M:2/4\nL:1/8\nK:{'CDFG'[number % 4]}\n{a}2 {b}2 | {c}2 {a}2 | {b}4 |\n"


def big_abc(n_tunes: int) -> tuple[str, dict[int, str]]:
    """The text of an ABC file of ``n_tunes`` tunes, and each tune's expected outcome."""
    parts = ["%abc-2.1\n% A collection with a few broken tunes\n\n"]
    outcomes = {}
    for number in range(1, n_tunes + 1):
        body, outcome = BROKEN_TUNES.get(number % 40, (good_tune(number), "encoded"))
        parts.append(f"X:{number}\nT:Tune {number}\n{body}\n")
        outcomes[number] = outcome
    return "".join(parts), outcomes
