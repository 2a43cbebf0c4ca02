"""Copying check: the longest run of each generated song that also appears, token for token,
in one training song, and which training song that is (named from the song table)."""

from __future__ import annotations

from pathlib import Path

from musiclstm.music.tokens import is_onset


def longest_common_run(song: list[str], others: list[list[str]]) -> dict:
    """The longest run of consecutive tokens of ``song`` found in one of ``others``.

    A suffix automaton of ``song`` (linear in its length) is walked along each other song, which
    finds the longest common substring in one pass over all the training tokens.
    Returns the run's ``length`` in tokens, its ``start`` in ``song``, the index of the other song
    (``source``, -1 if nothing matches) and the run's start there (``source_start``).
    """
    # Suffix automaton: per state, transitions, suffix link, longest length, and an end position.
    transitions: list[dict[str, int]] = [{}]
    link, length, end = [-1], [0], [-1]
    last = 0
    for position, token in enumerate(song):
        state = len(length)
        transitions.append({})
        link.append(0)
        length.append(length[last] + 1)
        end.append(position)
        walker = last
        while walker != -1 and token not in transitions[walker]:
            transitions[walker][token] = state
            walker = link[walker]
        if walker != -1:
            target = transitions[walker][token]
            if length[walker] + 1 == length[target]:
                link[state] = target
            else:
                clone = len(length)
                transitions.append(dict(transitions[target]))
                link.append(link[target])
                length.append(length[walker] + 1)
                end.append(end[target])
                while walker != -1 and transitions[walker].get(token) == target:
                    transitions[walker][token] = clone
                    walker = link[walker]
                link[target] = link[state] = clone
        last = state
    best = {"length": 0, "start": 0, "source": -1, "source_start": 0}
    for index, other in enumerate(others):
        state, matched = 0, 0
        for position, token in enumerate(other):
            while state and token not in transitions[state]:
                state = link[state]
                matched = length[state]
            if token in transitions[state]:
                state = transitions[state][token]
                matched += 1
            if matched > best["length"]:
                best = {
                    "length": matched,
                    "start": end[state] - matched + 1,
                    "source": index,
                    "source_start": position - matched + 1,
                }
    return best


def copying(
    name: str, tokens: list[str], training: list[list[str]], training_ids: list[str] | None
) -> dict:
    """The longest run of ``tokens`` copied from a training song, described for people."""
    run = longest_common_run(tokens, training)
    copied = tokens[run["start"] : run["start"] + run["length"]]
    source = run["source"]
    return {
        "song": name,
        "steps": len(tokens),
        "longest_copied_steps": run["length"],
        "longest_copied_notes": sum(1 for token in copied if is_onset(token) and token != "r"),
        "copied_share": run["length"] / len(tokens) if tokens else 0.0,
        "start": run["start"],
        "training_song": (training_ids[source] if training_ids else f"line {source + 1}")
        if source >= 0
        else None,
        "training_line": source + 1 if source >= 0 else None,
        "training_start": run["source_start"] if source >= 0 else None,
        "run": " ".join(copied),
    }


def training_song_ids(songs_table: Path | None, count: int) -> list[str] | None:
    """Song ids of the training lines, in order, from songs.tsv (None if it does not match)."""
    from musiclstm.data.song_table import has_columns, split_rows

    if not has_columns(songs_table, {"song_id", "split", "line"}):
        return None
    ids = {int(row["line"]): row["song_id"] for row in split_rows(songs_table, "train")}
    if sorted(ids) != list(range(1, count + 1)):
        return None
    return [ids[line] for line in range(1, count + 1)]
