"""Self-contained HTML pages for the report: one per generated song (player, score, piano roll,
files to download) and a summary (metrics, musical statistics, configuration).

Every image, sound and file is embedded as a ``data:`` URI, so a page works on its own, inside
Snakemake's report, and when mailed to someone.
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
from pathlib import Path

import yaml

from musiclstm.evaluation.cross_validation import read_summary as read_cv_summary
from musiclstm.evaluation.result_files import read_metrics, read_music_stats

MIME_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".wav": "audio/wav",
    ".mid": "audio/midi",
    ".musicxml": "application/vnd.recordare.musicxml+xml",
    ".txt": "text/plain",
    ".json": "application/json",
}
GM_PROGRAMS = {0: "Acoustic Grand Piano", 24: "Acoustic Guitar (nylon)", 40: "Violin",
               41: "Viola", 42: "Cello", 71: "Clarinet", 73: "Flute", 75: "Pan Flute",
               21: "Accordion", 19: "Church Organ", 52: "Choir Aahs", 53: "Voice Oohs"}  # fmt: skip
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.4em; border-bottom: 1px solid #ddd; }
img { max-width: 100%; background: white; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 3px 12px; text-align: left; border-bottom: 1px solid #e5e5e5; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
audio { width: 100%; max-width: 700px; }
.note { color: #555; font-size: 0.95em; }
"""


def data_uri(path: Path) -> str:
    """The file as a base64 ``data:`` URI with its MIME type."""
    path = Path(path)
    mime = MIME_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def table(rows: list[list], header: list[str] | None = None) -> str:
    """An HTML table; numbers are right-aligned and floats shown with 3 decimals."""

    def cell(value, tag="td"):
        if isinstance(value, float):
            return f'<{tag} class="number">{value:.3f}</{tag}>'
        if isinstance(value, int) and not isinstance(value, bool):
            return f'<{tag} class="number">{value}</{tag}>'
        return f"<{tag}>{html.escape('' if value is None else str(value))}</{tag}>"

    head = "<tr>" + "".join(cell(h, "th") for h in header) + "</tr>\n" if header else ""
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>\n" for row in rows)
    return f"<table>\n{head}{body}</table>"


def synthesizer_note(audio: dict) -> str:
    """One sentence on how the audio was made."""
    if audio["synthesizer"] == "fluidsynth":
        instrument = instrument_names(audio.get("program") or 0)
        return (
            f"Played by FluidSynth with the General MIDI soundfont "
            f"{Path(audio['soundfont']).name} ({instrument})."
        )
    return (
        "Played by the built-in synthesiser (a tone with a few harmonics), the fallback where "
        "FluidSynth or a General MIDI soundfont is not installed."
    )


def instrument_names(program: int | list[int]) -> str:
    """The General MIDI instruments of one program or of a program per part, each named once,
    in the parts' order."""
    programs = dict.fromkeys(program if isinstance(program, list) else [program])
    return ", ".join(GM_PROGRAMS.get(p, f"General MIDI program {p}") for p in programs)


def voice_rows(facts: dict) -> list[list]:
    """A chorale's rows of the song's facts: each voice's range and notes, and the fermatas;
    none for a melody."""
    if "voices" not in facts:
        return []
    ranges = "; ".join(
        f"{name} {voice['lowest']} to {voice['highest']} ({voice['notes']} notes)"
        for name, voice in facts["voices"].items()
    )
    return [["voices", ranges], ["fermatas", facts["fermatas"]]]


def write_song_page(
    name: str,
    svg: Path,
    wav: Path,
    audio_info: Path,
    score_info: Path,
    piano_roll: Path,
    midi: Path,
    musicxml: Path,
    tokens: Path,
    page_path: Path,
    token_notes: str,
) -> None:
    """One song's page: a player, the engraved score, the piano roll, facts and downloads;
    ``token_notes`` says what its tokens are (its texture's)."""
    audio = json.loads(Path(audio_info).read_text())
    facts = json.loads(Path(score_info).read_text())
    about = table(
        [
            ["key", facts["key"]],
            ["time signature", facts["time_signature"]],
            ["tempo", f"{facts['tempo_bpm']:g} quarter notes per minute"],
            ["length", f"{facts['bars']} bars, {audio['seconds']:.1f} s with the final release"],
            ["notes", facts["notes"]],
            ["range", f"{facts['lowest']} to {facts['highest']}"],
            ["staff", facts["clef"]],
            *voice_rows(facts),
        ]
    )
    downloads = "\n".join(
        f'<li><a download="{html.escape(Path(path).name)}" href="{data_uri(path)}">'
        f"{html.escape(Path(path).name)}</a> ({what})</li>"
        for path, what in [
            (midi, "MIDI"),
            (musicxml, "MusicXML, opens in MuseScore and other notation programs"),
            (wav, "audio"),
            (tokens, "the model's tokens"),
        ]
    )
    body = f"""<h1>{html.escape(name)}</h1>
<p><audio class="song-audio" controls preload="auto" src="{data_uri(wav)}"></audio></p>
<p class="note">{html.escape(synthesizer_note(audio))}</p>
<h2>Score</h2>
<img class="score" alt="score of {html.escape(name)}" src="{data_uri(svg)}">
<h2>Piano roll</h2>
<img class="piano-roll" alt="piano roll of {html.escape(name)}" src="{data_uri(piano_roll)}">
<h2>About this song</h2>
{about}
<h2>Files</h2>
<ul>
{downloads}
</ul>
<details><summary>Tokens ({html.escape(token_notes)})</summary>
<pre>{html.escape(Path(tokens).read_text().strip())}</pre></details>"""
    Path(page_path).write_text(page(name, body))


METRIC_COLUMNS = [
    ("songs", "songs"),
    ("bits_per_step", "bits/step"),
    ("bits_per_note", "bits/note"),
    ("pitch_bits_per_note", "pitch bits/note"),
    ("accuracy", "accuracy"),
    ("onset_accuracy", "onset accuracy"),
]


def cross_validation_section(summary_path: Path | None) -> str:
    """The cross-validation's folds, pooled and their spread, where a run has made its summary;
    nothing otherwise."""
    if summary_path is None:
        return ""
    summary = read_cv_summary(summary_path)
    rows = [
        [f"fold {fold['fold']}"] + [fold["test"][key] for key, _ in METRIC_COLUMNS]
        for fold in summary["per_fold"]
    ]
    rows.append(["pooled"] + [summary["pooled"][key] for key, _ in METRIC_COLUMNS])
    spread = summary["across_folds"]
    for figure in ("std", "min", "max"):
        rows.append([figure] + [spread.get(key, {}).get(figure) for key, _ in METRIC_COLUMNS])
    return f"""<h2>Cross-validation: {summary["folds"]} folds</h2>
<p>Each of the {summary["songs"]} songs scored once, by the model of the fold that held it out.
Pooled: the bits of every fold over all their steps and notes; std, min and max: of the folds'
own values.</p>
{table(rows, ["test split"] + [label for _, label in METRIC_COLUMNS])}"""


def song_stats_rows(generated: dict, held_out: dict) -> list[list]:
    """Generated against held-out songs: how many, their notes, scale notes, tonic endings."""
    return [
        ["songs", generated["songs"], held_out["songs"]],
        ["notes", generated["notes"], held_out["notes"]],
        ["share of notes in the key's scale", generated["scale_share"], held_out["scale_share"]],
        [
            "songs ending on the tonic",
            f"{generated['songs_ending_on_tonic']} of {generated['songs']}",
            f"{held_out['songs_ending_on_tonic']} of {held_out['songs']}",
        ],
        [
            "bars repeating a bar 1, 2, 4 or 8 bars back",
            generated["repeated_bar_share"],
            held_out["repeated_bar_share"],
        ],
        [
            "... or repeating one moved in pitch",
            generated["moved_bar_share"],
            held_out["moved_bar_share"],
        ],
    ]


METER_HEADERS = ["meter", "generated", "held-out", "note length", "pitch class", "interval"]


def meter_rows(stats: dict) -> list[list]:
    """Each meter of the generated songs against the held-out songs of that meter."""
    rows = []
    for meter, entry in stats["by_meter"].items():
        overlap = entry.get("histogram_overlap", {})
        held_out = entry.get("held_out", {"songs": 0})
        rows.append(
            [meter or "unknown", entry["generated"]["songs"], held_out["songs"]]
            + [overlap.get(name) for name in ("note_length", "pitch_class", "interval")]
        )
    return rows


def overlap_rows(stats: dict) -> list[list]:
    """Each histogram's overlap like with like (meter by meter) and against all meters."""
    return [
        [name.replace("_", " "), stats["histogram_overlap"].get(name), value]
        for name, value in stats["overlap_against_all_meters"].items()
    ]


def distinguishability_section(stats: dict) -> str:
    """The classifier test of :mod:`~musiclstm.evaluation.distinguishability`, where the
    statistics have one: its accuracy, what gives the generated pieces away, and their form
    beside the held-out pieces', meter by meter."""
    test = stats.get("distinguishability")
    if not test or test.get("accuracy") is None:
        return ""
    pieces = test["pieces"]
    features = [
        [
            row["feature"].replace("_", " "),
            row["weight"],
            row["generated_mean"],
            row["held_out_mean"],
        ]
        for row in test["separating_features"]
    ]
    form = test["form_by_meter"]
    names = [name for name in next(iter(form.values())) if name != "songs"]
    form_rows = [
        [meter, row["songs"]["held_out"]]
        + [f"{fmt(row[name]['generated'])} / {fmt(row[name]['held_out'])}" for name in names]
        for meter, row in form.items()
    ]
    return f"""<h2>Can they be told apart?</h2>
<p>One piece was written per held-out piece, in its time signature and number of bars, with the
settings of the song of <code>distinguishability.entry</code>. A logistic regression on
{test["features"]} plain features of each piece ({test["folds"]}-fold cross-validation over
{pieces["generated"]} generated and {pieces["held_out"]} held-out pieces) tells them apart
<b>{test["accuracy"]:.1%}</b> of the time (chance: {test["chance"]:.1%}; z = {test["z"]:.1f}
against chance). What separates them most:</p>
{table(features, ["feature", "weight (+: generated)", "generated mean", "held-out mean"])}
<p>Form, generated / held-out (mean per piece): the share of bars repeating one 1, 2, 4 or 8
bars back exactly, moved to another pitch, or in rhythm only; the share of four-interval motifs
heard again in the piece; the share of pieces starting with an upbeat.</p>
{table(form_rows, ["meter", "held-out", *(name.replace("_", " ") for name in names)])}"""


def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def copy_rows(stats: dict) -> list[list]:
    """Each generated song's longest run copied from a training song."""
    columns = ("song", "longest_copied_steps", "longest_copied_notes", "copied_share")
    columns += ("training_song",)
    return [[run[key] for key in columns] for run in stats["copying"]]


def write_summary_page(
    metrics_path: Path,
    stats_path: Path,
    loss_png: Path,
    histogram_pngs: list[Path],
    config: dict,
    page_path: Path,
    texture,
    cross_validation_path: Path | None = None,
) -> None:
    """The summary: test metrics (and a cross-validation's, given its summary), musical
    statistics, copying check, loss curve, configuration; the ``texture`` (the config's) adds
    its headings and sections."""
    metrics = read_metrics(metrics_path)
    stats = read_music_stats(stats_path)
    splits = [split for split in ("valid", "test") if split in metrics]
    metric_rows = [[split] + [metrics[split][key] for key, _ in METRIC_COLUMNS] for split in splits]
    stats_rows = song_stats_rows(stats["generated"], stats["held_out"])
    figures = "\n".join(
        f'<img class="plot" alt="{html.escape(Path(png).stem)}" src="{data_uri(png)}">'
        for png in histogram_pngs
    )
    title, compared = texture.summary_headings()
    body = f"""<h1>{title}</h1>
<h2>Model</h2>
<p>Scored on held-out songs, each from its start (lower bits are better).</p>
{table(metric_rows, ["split"] + [label for _, label in METRIC_COLUMNS])}
<p>Kept epoch: {metrics["checkpoint_epoch"]}.</p>
<img class="plot" alt="loss per epoch" src="{data_uri(loss_png)}">
{cross_validation_section(cross_validation_path)}
{texture.report_sections(metrics, stats)}
<h2>{compared}</h2>
{table(stats_rows, ["", "generated", "held-out"])}
<p>Overlap of the histograms (1 = identical, 0 = nothing in common), each generated song
against the held-out songs of its own time signature, pooled over the meters weighted by their
held-out songs; and against every held-out song, whatever its meter:</p>
{table(overlap_rows(stats), ["histogram", "like with like", "against all meters"])}
<p>By meter:</p>
{table(meter_rows(stats), METER_HEADERS)}
{figures}
{distinguishability_section(stats)}
<h2>Copying check</h2>
<p>The longest run of time steps of each generated song that also appears, token for token, in
one training song.</p>
{table(copy_rows(stats), ["song", "steps", "notes", "share of the song", "training song"])}
<h2>Configuration</h2>
<pre>{html.escape(yaml.safe_dump(config, sort_keys=False))}</pre>"""
    Path(page_path).write_text(page(title, body))
