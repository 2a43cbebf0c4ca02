"""PNG plots: the loss curves, a piano roll, and the histograms of music_stats.json."""

import json

import matplotlib.image
import numpy as np
import pytest
from pieces import melody_piece

from musiclstm.evaluation.music_stats import music_stats
from musiclstm.music.tokens import events_to_tokens
from musiclstm.rendering.plots import plot_histogram, plot_loss, plot_piano_roll
from musiclstm.training.history import read_history, write_history

HISTORY = """epoch,train_bits_per_step,valid_bits_per_step,learning_rate,tokens_per_second,seconds,\
best
1,2.3,2.0,0.002,1000,1.0,1
2,1.9,1.8,0.002,1000,1.0,1
3,1.7,1.9,0.001,1000,1.0,0
"""


def image(path):
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[2] in (3, 4)
    return pixels


def blue_pixels(pixels) -> int:
    """Pixels of matplotlib's default blue (tab:blue, #1f77b4)."""
    rgb = pixels[:, :, :3]
    return int(np.sum(np.all(np.abs(rgb - [0x1F / 255, 0x77 / 255, 0xB4 / 255]) < 0.03, axis=2)))


def test_loss_plot(tmp_path):
    (tmp_path / "history.csv").write_text(HISTORY)
    plot_loss(tmp_path / "history.csv", tmp_path / "loss.png")
    assert image(tmp_path / "loss.png").shape[:2] == (400, 700)
    (tmp_path / "empty.csv").write_text(HISTORY.splitlines()[0] + "\n")
    with pytest.raises(ValueError, match="has no epochs"):
        plot_loss(tmp_path / "empty.csv", tmp_path / "empty.png")


def test_a_history_reads_back_typed_and_writes_the_same_bytes(tmp_path):
    (tmp_path / "history.csv").write_text(HISTORY)
    rows = read_history(tmp_path / "history.csv")
    assert rows[0] == {
        "epoch": 1,
        "train_bits_per_step": 2.3,
        "valid_bits_per_step": 2.0,
        "learning_rate": 0.002,
        "tokens_per_second": 1000,
        "seconds": 1.0,
        "best": 1,
    }
    types = [int, float, float, float, int, float, int]
    assert [type(value) for value in rows[2].values()] == types
    write_history(rows, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_text() == HISTORY
    assert sorted(path.name for path in tmp_path.iterdir()) == ["again.csv", "history.csv"]


def test_piano_roll_draws_every_note_and_grows_with_the_song(tmp_path):
    short = melody_piece(events_to_tokens([(60, 8), (None, 4), (64, 4)]))
    long = melody_piece(events_to_tokens([(60, 8), (None, 4), (64, 4)] * 8), time_signature="2/4")
    plot_piano_roll(short, tmp_path / "short.png")
    plot_piano_roll(long, tmp_path / "long.png")
    small, big = image(tmp_path / "short.png"), image(tmp_path / "long.png")
    assert big.shape[1] > small.shape[1] + 500
    assert 0 < blue_pixels(small) < blue_pixels(big)
    with pytest.raises(ValueError, match="no notes to plot"):
        plot_piano_roll(melody_piece("r _ _ _".split()), tmp_path / "rest.png")
    assert not (tmp_path / "rest.png").exists()


def test_histograms_of_the_statistics(tmp_path):
    tune = events_to_tokens([(60, 4), (62, 4), (64, 2), (65, 2), (67, 8), (72, 4), (40, 4)])
    stats = music_stats({"song": tune}, [tune[:20]], [tune])
    (tmp_path / "stats.json").write_text(json.dumps(stats))
    for name in ("pitch_class", "interval", "note_length"):
        plot_histogram(tmp_path / "stats.json", name, tmp_path / f"{name}.png")
        pixels = image(tmp_path / f"{name}.png")
        assert pixels.shape[:2] == (400, 800) and blue_pixels(pixels) > 100
    with pytest.raises(ValueError, match="histogram 'pitch'"):
        plot_histogram(tmp_path / "stats.json", "pitch", tmp_path / "pitch.png")
