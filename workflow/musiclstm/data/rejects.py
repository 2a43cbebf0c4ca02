"""Why a song is not encoded: the reason codes, what each means, and the exception that carries one.

Every way a song can fail to become tokens raises :class:`Rejected` with a short machine-readable
reason (one of :data:`REASONS`) and a detail a person can act on; the encoder records these in the
rejects table, and the table of reasons in docs/encoding.md says what :data:`REASONS` says.
"""

from __future__ import annotations

EMPTY_FILE = "empty_file"
UNSUPPORTED_FORMAT = "unsupported_format"
UNREADABLE = "unreadable"
MALFORMED = "malformed"
NO_NOTES = "no_notes"
DRUMS_ONLY = "drums_only"
NO_MELODY_PART = "no_melody_part"
CHORD = "chord"
TRIPLET = "triplet"
UNACCEPTABLE_DURATION = "unacceptable_duration"
OFF_GRID = "off_grid"
ENCODING_ERROR = "encoding_error"
WRONG_VOICE_COUNT = "wrong_voice_count"
GRACE_NOTE = "grace_note"
METER_CHANGE = "meter_change"
REPEATS = "repeats"
REASONS = {
    EMPTY_FILE: "the file is empty (0 bytes)",
    UNSUPPORTED_FORMAT: "the file's suffix is not one of the music formats read",
    UNREADABLE: "the file or tune cannot be parsed (not the format its suffix says, truncated, …)",
    MALFORMED: "a kern file holds a token music21 cannot read; the song would lose that note",
    NO_NOTES: "the song has no pitched notes with a duration",
    DRUMS_ONLY: "the song's only notes are drums (MIDI channel 10, or unpitched percussion)",
    NO_MELODY_PART: "with `melody_part: named`, no part or track has that name",
    CHORD: "with `chords: reject`, the melody plays two notes at once",
    TRIPLET: "with `triplets: reject`, the melody has a triplet",
    UNACCEPTABLE_DURATION: "with `duration_policy: skip`, a length outside `acceptable_durations`",
    OFF_GRID: "with `duration_policy: skip`, a note starts or ends between two grid steps",
    WRONG_VOICE_COUNT: "with several voices (`texture: chorale` or `ensemble`), the song has "
    "another number of parts with notes (fewer, with `missing_voices: reject`; or more)",
    GRACE_NOTE: "with `grace_notes: reject`, a part has a grace note",
    METER_CHANGE: "with `meter_changes: reject`, the time signature changes inside the score",
    REPEATS: "with `repeats: expand`, the score's repeat signs and endings do not expand",
    ENCODING_ERROR: "music21 failed on the song in another way (the detail says how)",
}


class Rejected(Exception):
    """A song that cannot be encoded, with the reason and a readable detail."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
