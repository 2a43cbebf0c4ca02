"""The summary page's sections of a texture of several voices: bits by frame and by voice
against the n-gram baseline, and the voice leading and each part's figures of generated against
held-out pieces."""

from __future__ import annotations

from musiclstm.evaluation.voice_leading import keys_in_order
from musiclstm.rendering.report_pages import table

CHORALE_COLUMNS = [
    ("bits_per_frame", "bits/frame"),
    ("nats_per_voice_step", "nats/voice-step"),
    ("bits_per_voice_step", "bits/voice-step"),
    ("bits_per_onset", "bits/onset"),
    ("atb_bits_per_step", "lower voices bits/step"),
    ("fermata_bits_per_frame", "fermata bits/frame"),
]
SIDES = ("generated", "held_out")
PART_HEADERS = [
    "part",
    "rests, generated",
    "rests, held-out",
    "mean note, generated",
    "mean note, held-out",
]


def chorale_sections(metrics: dict, stats: dict) -> str:
    """An ensemble run's metrics by frame and voice, against the n-gram baseline, and the voice
    leading and part figures of generated against held-out pieces; nothing for melodies."""
    if "chorale" not in metrics.get("test", {}):
        return ""
    body = bits_section(metrics)
    leading = stats.get("voice_leading")
    if leading:
        body += voice_leading_section(leading)
    return body


def bits_section(metrics: dict) -> str:
    rows = [
        [f"model, {split}"] + [metrics[split]["chorale"][key] for key, _ in CHORALE_COLUMNS]
        for split in ("valid", "test")
    ]
    baseline = metrics.get("baseline")
    if baseline:
        rows.append(
            [f"{baseline['order']}-gram baseline, test"]
            + [baseline["test"][key] for key, _ in CHORALE_COLUMNS]
        )
    voices = metrics["test"]["chorale"]["voices"]
    return f"""<h2>Bits by frame and by voice</h2>
<p>Every held-out piece scored from its start; a frame is its fermata mark and one token per
voice. The lower voices are all but the top one, given it.</p>
{table(rows, [""] + [label for _, label in CHORALE_COLUMNS])}
<p>Test bits per step of each voice:</p>
{table([[voice, bits] for voice, bits in voices.items()], ["voice", "bits/step"])}"""


def voice_leading_section(leading: dict) -> str:
    body = f"""
<h2>Voice leading: generated against held-out pieces</h2>
{table(leading["table"], ["", "generated", "held-out"])}"""
    pairs = pair_rows(leading)
    if pairs:
        body += f"""
<p>Parallel fifths and octaves per 100 frames, by pair of voices:</p>
{table(pairs, ["voices", "generated", "held-out"])}"""
    parts = part_rows(leading.get("part_figures", {}))
    if parts:
        body += f"""
<p>Each part: the share of its frames it rests in, and its mean note length in frames:</p>
{table(parts, PART_HEADERS)}"""
    return body


def pair_rows(leading: dict) -> list[list]:
    """Per pair of voices, its parallels per 100 frames in the generated and held-out pieces."""
    by_side = [leading[side].get("parallels_per_100_frames_by_pair", {}) for side in SIDES]
    return [[pair] + [figures.get(pair) for figures in by_side] for pair in keys_in_order(*by_side)]


def part_rows(part_figures: dict) -> list[list]:
    """Per part, its rest share and mean note length in the generated and held-out pieces."""
    by_side = [part_figures.get(side, {}) for side in SIDES]
    return [
        [part]
        + [figures.get(part, {}).get("rest_share") for figures in by_side]
        + [figures.get(part, {}).get("mean_note_frames") for figures in by_side]
        for part in keys_in_order(*by_side)
    ]
