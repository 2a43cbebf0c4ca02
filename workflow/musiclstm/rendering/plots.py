"""Plots as PNG files (matplotlib, no display needed): the loss curves, a piano roll of a song (a
melody, or a chorale coloured by voice), the histograms of generated against held-out songs, and a
sweep's validation loss by swept value."""

from __future__ import annotations

from itertools import cycle
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

from musiclstm.evaluation.music_stats import HISTOGRAMS  # noqa: E402
from musiclstm.evaluation.result_files import read_music_stats  # noqa: E402
from musiclstm.music.piece import Piece  # noqa: E402
from musiclstm.music.tokens import Event  # noqa: E402
from musiclstm.music.tonality import PITCH_CLASS_NAMES  # noqa: E402
from musiclstm.sweeps.points import format_value  # noqa: E402
from musiclstm.sweeps.summary import swept_keys  # noqa: E402
from musiclstm.training.history import read_history  # noqa: E402

DPI = 100
GENERATED_COLOR, HELD_OUT_COLOR = "tab:orange", "tab:blue"
INTERVAL_LIMIT = 12  # larger leaps are counted at +-12 in the plot
# Top voice down (soprano to bass), edges darker than fills on distinct hues, so crossing
# voices stay apart.
VOICE_COLORS = (("tab:red", "darkred"), ("tab:orange", "saddlebrown"),
                ("tab:green", "darkgreen"), ("tab:blue", "navy"), ("tab:purple", "indigo"),
                ("tab:brown", "black"), ("tab:pink", "purple"),
                ("tab:olive", "darkolivegreen"))  # fmt: skip
FERMATA_COLOR = "gold"


def note_name(pitch: int) -> str:
    """``C4`` for MIDI pitch 60."""
    return f"{PITCH_CLASS_NAMES[pitch % 12]}{pitch // 12 - 1}"


def plot_loss(history_path: Path, png_path: Path) -> None:
    """Training and validation bits per step for every epoch; the kept (best) epoch is marked."""
    rows = read_history(history_path)
    if not rows:
        raise ValueError(f"{history_path}: the training history has no epochs")
    epochs = [row["epoch"] for row in rows]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=DPI)
    axes.plot(epochs, [r["train_bits_per_step"] for r in rows], "o-", label="training")
    valid = [r["valid_bits_per_step"] for r in rows]
    axes.plot(epochs, valid, "o-", label="validation")
    best = min(range(len(rows)), key=lambda i: valid[i])
    axes.plot(
        epochs[best],
        valid[best],
        "o",
        markersize=14,
        markerfacecolor="none",
        markeredgecolor="black",
        label=f"kept: epoch {epochs[best]}",
    )
    axes.set_xlabel("epoch")
    axes.set_ylabel("bits per step (lower is better)")
    axes.set_title("Loss per epoch")
    if len(epochs) <= 20:
        axes.set_xticks(epochs)
    else:
        axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(png_path)
    plt.close(figure)


def plot_piano_roll(piece: Piece, png_path: Path) -> None:
    """Each note as a bar from its onset to its end against pitch, with bar lines; a piece of
    several parts has each part's notes in its own colour, named in the legend, and the steps
    under a fermata shaded. An anacrusis starts before the first bar line."""
    lead = piece.pickup_steps
    parts = [timed_notes([(None, lead)] + list(part.events))[0] for part in piece.parts]
    notes = [note for part in parts for note in part]
    if not notes:
        raise ValueError(f"{piece.title}: the piece has no notes to plot")
    bar, end = piece.bar, lead + piece.steps
    figure, axes = roll_figure(notes, end / bar)
    for start, steps in fermata_runs(list(piece.fermatas)):
        start += lead
        axes.axvspan(start / bar, (start + steps) / bar, color=FERMATA_COLOR, alpha=0.3, lw=0)
    if len(parts) == 1:
        draw_notes(axes, notes, bar, "tab:blue", "navy")
    for part, notes_of_part, (color, edge) in zip(
        piece.parts if len(parts) > 1 else (), parts, cycle(VOICE_COLORS)
    ):
        draw_notes(axes, notes_of_part, bar, color, edge, alpha=0.85)
        axes.plot([], [], "s", color=color, markeredgecolor=edge, label=part.name)
    if any(piece.fermatas):
        axes.plot([], [], "s", color=FERMATA_COLOR, alpha=0.5, label="fermata")
    finish_roll(axes, notes, end, bar, piece.time_signature, piece.title)
    if len(parts) > 1 or any(piece.fermatas):
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    figure.tight_layout()
    figure.savefig(png_path)
    plt.close(figure)


def timed_notes(events: list[Event]) -> tuple[list[tuple[int, int, int]], int]:
    """``(start step, steps, pitch)`` of every note of the events, and the steps of them all."""
    notes, position = [], 0
    for pitch, steps in events:
        if pitch is not None:
            notes.append((position, steps, pitch))
        position += steps
    return notes, position


def fermata_runs(fermatas: list[bool]) -> list[tuple[int, int]]:
    """``(first frame, frames)`` of every run of frames under a fermata."""
    runs: list[tuple[int, int]] = []
    for frame, fermata in enumerate(fermatas):
        if not fermata:
            continue
        if runs and sum(runs[-1]) == frame:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((frame, 1))
    return runs


def roll_figure(notes: list[tuple[int, int, int]], bars: float):
    """A figure sized for the notes' range and the bars they last: ``(figure, axes)``."""
    low, high = min(n[2] for n in notes), max(n[2] for n in notes)
    # About 0.16 inch per semitone keeps the note names legible; width grows with the bars.
    size = (min(4 + 0.8 * max(1.0, bars), 30), max(3.0, 1.2 + 0.16 * (high - low + 3)))
    return plt.subplots(figsize=size, dpi=DPI)


def draw_notes(axes, notes, bar: int, color: str, edge: str, alpha: float | None = None) -> None:
    """Each note as a bar from its onset to its end, at its pitch; time in bars."""
    for start, steps, pitch in notes:
        axes.add_patch(
            plt.Rectangle(
                (start / bar, pitch - 0.4),
                steps / bar,
                0.8,
                color=color,
                ec=edge,
                lw=0.5,
                alpha=alpha,
            )
        )


def finish_roll(axes, notes, position: int, bar: int, time_signature: str, title: str) -> None:
    """Limits, note names, numbered bar lines, labels and title of a piano roll ``position``
    steps long."""
    low, high = min(n[2] for n in notes), max(n[2] for n in notes)
    axes.set_ylim(low - 1.5, high + 1.5)
    axes.set_xlim(0, position / bar)
    ticks = [p for p in range(low, high + 1) if p % 12 in (0, 2, 4, 5, 7, 9, 11)]
    axes.set_yticks(ticks, [note_name(p) for p in ticks])
    bar_lines = range(int(position / bar) + 1)
    for line in bar_lines:
        axes.axvline(line, color="grey", lw=0.6, alpha=0.6)
    # Bar k starts at k - 1: label the bar lines with the number of the bar they open.
    axes.set_xticks(list(bar_lines), [str(line + 1) for line in bar_lines])
    axes.set_xlabel(f"bar ({time_signature})")
    axes.set_ylabel("pitch")
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.2)


def histogram_bins(name: str, generated: dict, held_out: dict) -> tuple[list, list[str]]:
    """The bins to draw and their labels."""
    if name == "pitch_class":
        return list(range(12)), list(PITCH_CLASS_NAMES)
    if name == "interval":
        bins = list(range(-INTERVAL_LIMIT, INTERVAL_LIMIT + 1))
        labels = [f"{b:+d}" if b else "0" for b in bins]
        labels[0], labels[-1] = f"≤{labels[0]}", f"≥{labels[-1]}"
        return bins, labels
    bins = sorted({int(b) for b in generated} | {int(b) for b in held_out})
    return bins, [str(b) for b in bins]


def binned(name: str, histogram: dict, bins: list) -> list[float]:
    shares = dict.fromkeys(bins, 0.0)
    for key, share in histogram.items():
        value = int(key)
        if name == "interval":
            value = max(-INTERVAL_LIMIT, min(INTERVAL_LIMIT, value))
        shares[value] = shares.get(value, 0.0) + share
    return [shares[b] for b in bins]


TITLES = {
    "pitch_class": ("Pitch classes (songs moved to C major / A minor)", "pitch class"),
    "interval": ("Intervals between successive notes", "semitones"),
    "note_length": ("Note lengths", "time steps"),
}


def songs(count: int) -> str:
    return f"{count} song" if count == 1 else f"{count} songs"


def plot_histogram(stats_path: Path, name: str, png_path: Path) -> None:
    """One histogram of music_stats.json: generated against held-out songs, as shares of notes."""
    if name not in HISTOGRAMS:
        raise ValueError(f"histogram {name!r}: expected one of {', '.join(HISTOGRAMS)}")
    stats = read_music_stats(stats_path)
    generated = stats["generated"]["histograms"][name]
    held_out = stats["held_out"]["histograms"][name]
    bins, labels = histogram_bins(name, generated, held_out)
    positions = range(len(bins))
    figure, axes = plt.subplots(figsize=(8, 4), dpi=DPI)
    width = 0.4
    axes.bar(
        [p - width / 2 for p in positions],
        binned(name, held_out, bins),
        width,
        color=HELD_OUT_COLOR,
        label=f"held-out ({songs(stats['held_out']['songs'])})",
    )
    axes.bar(
        [p + width / 2 for p in positions],
        binned(name, generated, bins),
        width,
        color=GENERATED_COLOR,
        label=f"generated ({songs(stats['generated']['songs'])})",
    )
    title, xlabel = TITLES[name]
    # The bars are of every song, whatever its meter: so is the overlap in the title.
    axes.set_title(f"{title}: overlap {stats['overlap_against_all_meters'][name]:.2f}")
    axes.set_xticks(list(positions), labels, rotation=90 if len(bins) > 14 else 0)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("share of notes")
    axes.legend()
    figure.tight_layout()
    figure.savefig(png_path)
    plt.close(figure)


def plot_sweep(rows: list[dict], path: Path, sweep: str) -> None:
    """Validation loss against each swept value of sweep ``sweep`` (the rows of its table): one
    panel per key, every point a dot, and a line through the best point at each value."""
    keys = swept_keys(rows)
    scored = [row for row in rows if row["valid_bits_per_step"] is not None]
    figure, axes = plt.subplots(
        1, len(keys), figsize=(4 * len(keys), 3.6), squeeze=False, sharey=True
    )
    for axis, key in zip(axes[0], keys, strict=True):
        sweep_panel(axis, key, scored)
    axes[0][0].set_ylabel("validation bits/step")
    axes[0][0].legend(fontsize="small")
    figure.suptitle(f"{sweep}: {len(scored)} points, lower is better")
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


def sweep_panel(axis, key: str, scored: list[dict]) -> None:
    """One panel of :func:`plot_sweep`: the loss of every scored point against its value of
    ``key``; numbers on a numeric (log where they span 8x or more) axis, others as categories."""
    values = [row[key] for row in scored]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    levels = sorted(set(values)) if numeric else list(dict.fromkeys(map(format_value, values)))
    where = values if numeric else [levels.index(format_value(v)) for v in values]
    losses = [row["valid_bits_per_step"] for row in scored]
    axis.scatter(where, losses, color="tab:blue", alpha=0.7, label="a point")
    best = [
        min(loss for x, loss in zip(where, losses, strict=True) if x == level)
        for level in (levels if numeric else range(len(levels)))
    ]
    axis.plot(
        levels if numeric else range(len(levels)),
        best,
        color="tab:orange",
        marker="o",
        label="best at this value",
    )
    if numeric and min(levels) > 0 and max(levels) / min(levels) >= 8:
        axis.set_xscale("log")
    if numeric:
        axis.set_xticks(levels, [format_value(level) for level in levels])
        axis.minorticks_off()
    else:
        axis.set_xticks(range(len(levels)), levels)
    axis.set_xlabel(key)
    axis.grid(alpha=0.3)
