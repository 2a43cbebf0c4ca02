"""Musical statistics of generated songs against held-out songs, and a check for copying.

Every song is first moved to C major or A minor by its own key (see :mod:`.tonality`), so songs
written in other keys compare fairly. Then, over all notes of each group:

- histograms of pitch classes (0 = the tonic's C), of intervals between successive notes in
  semitones (rests are skipped over), and of note lengths in time steps; the overlap of two
  normalised histograms is the sum over bins of the smaller share (1 = identical, 0 = disjoint);
- the share of notes in the song's scale (major, or natural minor);
- how many songs end on their tonic;
- phrase structure: the share of bars that repeat a bar 1, 2, 4 or 8 bars earlier, exactly or
  moved to another pitch (the same rhythm and intervals).

Songs are compared like with like: each generated song against the held-out songs of its own
time signature (a 6/8 song with 6/8 songs), per meter, and pooled over the meters weighted by
their held-out songs. The comparison against every held-out song, whatever its meter, is kept
beside it (``overlap_against_all_meters``): a difference between the two is a meter mix, not a
defect of the songs.

The copying check finds, for each generated song, the longest run of consecutive tokens that also
appears in one training song, and which song that is.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from musiclstm.evaluation.copying import copying, training_song_ids  # noqa: E402
from musiclstm.music.form import bar_relations, bar_starts
from musiclstm.music.meter import bar_length
from musiclstm.music.tokens import Event, tokens_to_events, transpose_events
from musiclstm.music.tonality import C_MAJOR_OR_A_MINOR, SongKey, allowed_keys, song_key, tonic_name

HISTOGRAMS = ("pitch_class", "interval", "note_length")


def song_features(events: list[Event], key: SongKey) -> dict:
    """Histogram counts, scale notes and ending of one song, moved to C major / A minor."""
    shift = key.shift_to_c
    events = transpose_events(events, shift)
    home = SongKey((key.tonic + shift) % 12, key.mode)
    pitches = [pitch for pitch, _ in events if pitch is not None]
    return {
        "pitch_class": Counter(pitch % 12 for pitch in pitches),
        "interval": Counter(b - a for a, b in zip(pitches, pitches[1:], strict=False)),
        "note_length": Counter(steps for pitch, steps in events if pitch is not None),
        "notes": len(pitches),
        "in_scale": sum(pitch % 12 in home.scale for pitch in pitches),
        "ends_on_tonic": bool(pitches) and pitches[-1] % 12 == home.tonic,
        "key": f"{key.tonic} {key.mode}",
    }


def normalised(counts: Counter) -> dict:
    total = sum(counts.values())
    return {bin_: count / total for bin_, count in sorted(counts.items())} if total else {}


def overlap(first: dict, second: dict) -> float:
    """Histogram intersection of two normalised histograms: 1 = identical, 0 = no common bin."""
    return sum(min(share, second.get(bin_, 0.0)) for bin_, share in first.items())


def bar_repetition(tokens: list[str], bar: int, pickup: int) -> tuple[int, int, int]:
    """``(bars, repeated, moved)`` of a song in bars of ``bar`` steps that starts ``pickup``
    steps into its first bar: the whole bars that have a bar 1, 2, 4 or 8 bars earlier, how many
    of those equal such a bar, and how many equal one moved to another pitch (not counted in
    ``repeated``; see :mod:`musiclstm.music.form`). (0, 0, 0) where the meter is unknown."""
    if bar <= 0:
        return 0, 0, 0
    first_line = (bar - pickup) % bar
    whole = [
        relation
        for start, relation in zip(
            bar_starts(len(tokens), bar, pickup), bar_relations(tokens, bar, pickup), strict=True
        )
        if start >= first_line and start + bar <= len(tokens)
    ][1:]
    kinds = Counter(relation.kind for relation in whole)
    return len(whole), kinds["exact"], kinds["moved"]


def group_stats(songs: list[tuple[list[str], tuple | None]], bars: list[tuple[int, int]]) -> dict:
    """Summed features of a group of ``(tokens, allowed keys)``, each song in bars of ``(bar
    steps, pickup steps)``; each song takes the best key."""
    totals = {name: Counter() for name in HISTOGRAMS}
    notes = in_scale = ends = 0
    repetition = [0, 0, 0]
    for (tokens, allowed), (bar, pickup) in zip(songs, bars, strict=True):
        events = tokens_to_events(tokens)
        features = song_features(events, song_key(events, allowed))
        for name in HISTOGRAMS:
            totals[name].update(features[name])
        notes += features["notes"]
        in_scale += features["in_scale"]
        ends += features["ends_on_tonic"]
        repetition = [
            a + b for a, b in zip(repetition, bar_repetition(tokens, bar, pickup), strict=True)
        ]
    counted, repeated, moved = repetition
    return {
        "songs": len(songs),
        "notes": notes,
        "scale_share": in_scale / notes if notes else None,
        "songs_ending_on_tonic": ends,
        "ending_on_tonic_share": ends / len(songs) if songs else None,
        "bars_compared": counted,
        "repeated_bar_share": repeated / counted if counted else None,
        "moved_bar_share": moved / counted if counted else None,
        "histograms": {name: normalised(totals[name]) for name in HISTOGRAMS},
    }


def compared(ours: dict, theirs: dict) -> dict:
    """The overlap of each histogram of two groups."""
    return {
        name: overlap(ours["histograms"][name], theirs["histograms"][name]) for name in HISTOGRAMS
    }


def meter_comparison(
    generated: list[tuple[list[str], tuple | None]],
    generated_bars: list[tuple[int, int]],
    generated_meters: list[str],
    held_out: list[tuple[list[str], tuple | None]],
    held_out_meters: list[tuple[str, int]],
    time_step: float,
) -> dict:
    """Each meter of the generated songs against the held-out songs of that meter, and the
    overlaps pooled over those meters, weighted by their held-out songs."""
    by_meter = {}
    for signature in sorted(set(generated_meters)):
        bar = bar_length(signature, time_step)
        ours = [
            (song, bars)
            for song, bars, meter in zip(generated, generated_bars, generated_meters, strict=True)
            if meter == signature
        ]
        theirs = [
            (song, pickup)
            for song, (meter, pickup) in zip(held_out, held_out_meters, strict=True)
            if meter == signature
        ]
        entry = {"generated": group_stats([song for song, _ in ours], [bars for _, bars in ours])}
        if theirs:
            entry["held_out"] = group_stats(
                [song for song, _ in theirs], [(bar, pickup) for _, pickup in theirs]
            )
            entry["histogram_overlap"] = compared(entry["generated"], entry["held_out"])
        by_meter[signature] = entry
    weights = {
        meter: entry["held_out"]["songs"]
        for meter, entry in by_meter.items()
        if "held_out" in entry
    }
    total = sum(weights.values())
    pooled = (
        {
            name: sum(
                by_meter[meter]["histogram_overlap"][name] * weight
                for meter, weight in weights.items()
            )
            / total
            for name in HISTOGRAMS
        }
        if total
        else {}
    )
    return {"by_meter": by_meter, "histogram_overlap": pooled}


def held_out_meters(
    songs_table: Path | None, count: int, time_step: float = 0.25
) -> list[tuple[str, int]] | None:
    """Time signature and pickup steps (of ``time_step``) of the test songs, in order, from
    songs.tsv (None if it does not match)."""
    from musiclstm.data.song_table import has_columns
    from musiclstm.data.tensors import split_meters

    if not has_columns(songs_table, {"time_signature", "pickup_steps", "split", "line"}):
        return None
    meters = split_meters(songs_table, "test", time_step)
    if len(meters["time_signature"]) != count:
        return None
    return list(zip(meters["time_signature"], meters["pickup_steps"], strict=True))


def music_stats(
    generated: dict[str, list[str]],
    held_out: list[list[str]],
    training: list[list[str]],
    generated_keys: dict[str, str | None] | None = None,
    transposed: bool = True,
    training_ids: list[str] | None = None,
    generated_meters: dict[str, str] | None = None,
    held_out_meters: list[tuple[str, int]] | None = None,
    time_step: float = 0.25,
    generated_pickups: dict[str, int] | None = None,
) -> dict:
    """Statistics of the generated songs (name -> tokens) against the held-out songs.

    ``generated_keys`` gives the tonic a generated song was written in (``None``: C major / A
    minor). With ``transposed`` False the songs were encoded in their own keys and each may be in
    any of the 24 keys. ``generated_meters`` (name -> time signature) and ``held_out_meters``
    (time signature and pickup steps of each held-out song) compare like with like; without
    them every song counts as being in one unknown meter; ``generated_pickups`` (name -> steps
    into its first bar) place a generated song's bar lines where it starts with an upbeat.
    """
    generated_keys = generated_keys or {}
    default = C_MAJOR_OR_A_MINOR if transposed else None
    ours = [
        (tokens, allowed_keys(generated_keys[name]) if generated_keys.get(name) else default)
        for name, tokens in generated.items()
    ]
    theirs = [(tokens, default) for tokens in held_out]
    our_meters = [(generated_meters or {}).get(name, "") for name in generated]
    their_meters = held_out_meters or [("", 0)] * len(held_out)
    our_bars = [
        (bar_length(meter, time_step), (generated_pickups or {}).get(name, 0))
        for name, meter in zip(generated, our_meters, strict=True)
    ]
    their_bars = [(bar_length(meter, time_step), pickup) for meter, pickup in their_meters]
    pooled = {"generated": group_stats(ours, our_bars), "held_out": group_stats(theirs, their_bars)}
    by_meter = meter_comparison(ours, our_bars, our_meters, theirs, their_meters, time_step)
    return {
        **pooled,
        "histogram_overlap": by_meter["histogram_overlap"],
        "overlap_against_all_meters": compared(pooled["generated"], pooled["held_out"]),
        "by_meter": by_meter["by_meter"],
        "copying": [
            copying(name, tokens, training, training_ids) for name, tokens in generated.items()
        ],
    }


def write_music_stats(
    generated_paths: list[Path],
    held_out_path: Path,
    training_path: Path,
    stats_path: Path,
    info_paths: list[Path],
    texture,
    time_step: float,
    transposed: bool = True,
    songs_table: Path | None = None,
    comparison: tuple[Path, Path] | None = None,
) -> dict:
    """Read the songs, compute :func:`music_stats` and write it as JSON; ``info_paths`` (one
    per generated song, see :mod:`~musiclstm.generation.song_info`) give each song's meter and
    key, and ``songs_table`` the held-out songs' meters. ``comparison`` (pieces and meters of
    :mod:`.comparison`) adds the classifier test of those pieces against the held-out ones.

    Pieces of several voices are compared by their top lines, as melodies, and by the
    ``texture``'s own checks (a chorale's voice leading)."""
    from musiclstm.data.splits import read_songs
    from musiclstm.generation.song_info import read_song_info

    generated = {Path(path).stem: Path(path).read_text().split() for path in generated_paths}
    infos = {Path(path).stem: read_song_info(path) for path in info_paths}
    held_out = read_songs(held_out_path)
    training = read_songs(training_path)
    checks = texture.music_checks(list(generated.values()), held_out, training)
    line = texture.melody_line
    meters = held_out_meters(songs_table, len(held_out), time_step)
    stats = music_stats(
        {name: line(tokens) for name, tokens in generated.items()},
        [line(tokens) for tokens in held_out],
        [line(tokens) for tokens in training],
        {name: written_tonic(info) for name, info in infos.items()},
        transposed,
        training_song_ids(songs_table, len(training)),
        {name: info.time_signature for name, info in infos.items()},
        meters,
        time_step,
        {name: info.pickup_steps for name, info in infos.items()},
    )
    stats.update(checks)
    if comparison is not None and meters is not None:
        from musiclstm.evaluation.comparison_files import read_comparison
        from musiclstm.evaluation.distinguishability import comparison_stats

        theirs = held_out_pieces(held_out, meters, time_step)
        stats["distinguishability"] = comparison_stats(
            texture, read_comparison(*comparison), theirs, time_step
        )
    Path(stats_path).write_text(json.dumps(stats, indent=2) + "\n")
    return stats


def held_out_pieces(
    held_out: list[list[str]], meters: list[tuple[str, int]], time_step: float
) -> list[tuple[list[str], str, int]]:
    """``(tokens, time signature, pickup)`` of each held-out piece in a usable meter: those the
    comparison pieces (:mod:`musiclstm.generation.comparison`) are written beside."""
    return [
        (tokens, signature, pickup)
        for tokens, (signature, pickup) in zip(held_out, meters, strict=True)
        if bar_length(signature, time_step)
    ]


def written_tonic(info) -> str | None:
    """The tonic a generated song is written in: its key's, or its entry's (None: C major or A
    minor)."""
    return tonic_name(info.key) if info.key else info.tonic
