"""The summary page's sections of a texture of several voices: bits by frame and by voice
against the n-gram baseline, and the voice leading of generated against held-out pieces."""

from __future__ import annotations

from musiclstm.rendering.report_pages import table

CHORALE_COLUMNS = [
    ("bits_per_frame", "bits/frame"),
    ("nats_per_voice_step", "nats/voice-step"),
    ("bits_per_voice_step", "bits/voice-step"),
    ("bits_per_onset", "bits/onset"),
    ("atb_bits_per_step", "alto-tenor-bass bits/step"),
    ("fermata_bits_per_frame", "fermata bits/frame"),
]


def chorale_sections(metrics: dict, stats: dict) -> str:
    """A chorale run's metrics by frame and voice, against the n-gram baseline, and the voice
    leading of generated against held-out chorales; nothing for melodies."""
    if "chorale" not in metrics.get("test", {}):
        return ""
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
    body = f"""<h2>Chorales: bits by frame and by voice</h2>
<p>Every held-out chorale scored from its start; a frame is its fermata mark and four voices.</p>
{table(rows, [""] + [label for _, label in CHORALE_COLUMNS])}
<p>Test bits per step of each voice:</p>
{table([[voice, bits] for voice, bits in voices.items()], ["voice", "bits/step"])}"""
    leading = stats.get("voice_leading")
    if leading:
        body += f"""
<h2>Voice leading: generated against held-out chorales</h2>
{table(leading["table"], ["", "generated", "held-out"])}"""
    return body
