"""The report as a person sees it: the workflow on a tiny config, `snakemake --report`, and the
page opened in headless Chromium, where every song's player plays, every score and plot shows, and
every link holds a file."""

import json
import time

import matplotlib.image
import music21
import numpy as np
import pytest
from headless_chromium import Chromium
from test_workflow import TINY, snakemake

from conftest import require_tool
from musiclstm.music.meter import bar_steps

# Each test runs the workflow (once per module); three open the report in Chromium.
pytestmark = pytest.mark.slow

CONFIG = {
    "sources": [TINY["sources"][0]],
    "encoding": {"shards": 1},
    "split": TINY["split"],
    "model": TINY["model"],
    "training": {"batch_size": 4, "epochs": 1, "patience": 1, "seed": 1},
    "generate": {
        "song": {"seed": "60 _ _ _ 64 _", "steps": 32, "temperature": 1.0, "random_seed": 1},
        "waltz": {
            "seed": "",
            "strategy": "top_k",
            "bars": 2,
            "end_on_tonic": True,
            "key": "D",
            "time_signature": "3/4",
            "tempo_bpm": 120,
            "upbeat": 0,  # on the bar line: two whole bars
        },
        # Each in the meter and length of a training song drawn at random.
        "drawn": {"seed": "", "time_signature": "auto", "n_samples": 2, "random_seed": 4},
    },
}
SONGS = ["drawn_1", "drawn_2", "song", "waltz"]  # the order of the config's names
BROWSED = ["song", "waltz"]  # the songs whose pages the browser opens

# Click the innermost element showing exactly this text (a menu entry of the report).
CLICK_TEXT = """(text => {
  const hits = Array.from(document.querySelectorAll('a, button, li, span, div'))
    .filter(e => e.innerText && e.innerText.trim() === text);
  if (!hits.length) return false;
  hits[hits.length - 1].click();
  return true;
})"""
# Click the view (eye) button of the results table row that mentions this label.
CLICK_VIEW = """(label => {
  const row = Array.from(document.querySelectorAll('tr')).find(r => r.innerText.includes(label));
  if (!row || !row.querySelector('a')) return false;
  row.querySelector('a').click();
  return true;
})"""
# What a page shows: its players, images and links, and whether each link's file is there.
PAGE_CONTENT = """(async () => {
  const size = async url => (await (await fetch(url)).blob()).size;
  const links = await Promise.all(Array.from(document.querySelectorAll('a[href]')).map(
    async a => ({name: a.getAttribute('download'), bytes: await size(a.href)})));
  return {
    ready: document.readyState,
    title: document.title,
    text: document.body.innerText,
    audio: Array.from(document.querySelectorAll('audio')).map(
      a => ({ready: a.readyState, seconds: a.duration, error: a.error && a.error.code})),
    images: Array.from(document.images).map(
      i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth, shown: i.clientWidth})),
    links: links,
  };
})()"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("report")
    result = snakemake(workdir, config=CONFIG)
    assert result.returncode == 0, result.stderr[-5000:]
    report = snakemake(workdir, "--report", str(workdir / "report.html"))
    assert report.returncode == 0, report.stderr[-5000:]
    assert "System Message" not in (workdir / "report.html").read_text()
    return workdir


@pytest.fixture(scope="module")
def browser():
    require_tool("chromium")
    with Chromium(width=1400, height=1000) as chromium:
        yield chromium


def open_report(browser, workdir):
    browser.open((workdir / "report.html").as_uri())
    browser.wait_until("document.querySelectorAll('nav a, a').length > 5")


def show_result(browser, category, subcategory, label):
    """Navigate the report's menu to a result and press its view button, as a person would."""
    assert browser.evaluate(f"{CLICK_TEXT}('{category}')"), category
    if subcategory:
        browser.wait_until(f"document.body.innerText.includes('{subcategory}')")
        assert browser.evaluate(f"{CLICK_TEXT}('{subcategory}')"), subcategory
    browser.wait_until(f"{CLICK_VIEW}('{label}')")


def framed_page(browser, timeout=20):
    """The content of the page the report shows in its frame, once its images and players load."""
    main = browser.main_frame()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frames = {f: c for f, c in browser.frame_contexts().items() if f != main}
        for context in frames.values():
            try:
                content = browser.evaluate(PAGE_CONTENT, context)
            except Exception:  # the frame was replaced meanwhile
                continue
            loaded = content["ready"] == "complete" and all(
                i["complete"] for i in content["images"]
            )
            if loaded and all(a["ready"] >= 1 or a["error"] for a in content["audio"]):
                return content
        browser.wait_until("true")
        time.sleep(0.2)
    raise AssertionError("the framed page did not load")


def busy_pixels(png) -> float:
    """Share of the screenshot's pixels that are not white: something is drawn."""
    pixels = matplotlib.image.imread(png)[:, :, :3]
    return float(np.mean(np.any(pixels < 0.9, axis=2)))


def test_every_song_has_a_score_audio_piano_roll_and_page(workdir):
    for name in SONGS:
        for path in (
            f"results/scores/{name}.svg",
            f"results/scores/{name}.musicxml",
            f"results/audio/{name}.wav",
            f"results/plots/piano_roll/{name}.png",
            f"results/report/songs/{name}.html",
        ):
            assert (workdir / path).stat().st_size > 1000, path
    facts = json.loads((workdir / "results/scores/waltz.json").read_text())
    assert facts["time_signature"] == "3/4" and facts["bars"] == 2
    assert facts["key"] in ("D major", "D minor")
    score = music21.converter.parse(workdir / "results/scores/waltz.musicxml", forceSource=True)
    signature = score.flatten().getElementsByClass(music21.key.KeySignature)[0]
    assert signature.sharps == (2 if facts["key"] == "D major" else -1)
    assert score.flatten().getElementsByClass(music21.meter.TimeSignature)[0].ratioString == "3/4"
    stats = json.loads((workdir / "results/evaluation/music_stats.json").read_text())
    assert stats["generated"]["songs"] == 4 and stats["held_out"]["songs"] >= 1
    # One piece per held-out song, written with the song's settings, set beside them.
    test = stats["distinguishability"]
    assert test["pieces"]["generated"] == test["pieces"]["held_out"] == stats["held_out"]["songs"]
    assert 0 <= test["accuracy"] <= 1 and len(test["separating_features"]) == 8
    assert set(test["form_by_meter"]["all"]) >= {"exact_repeats", "motif_reuse", "upbeat"}
    assert all(0 <= value <= 1 for value in stats["histogram_overlap"].values())
    assert [run["song"] for run in stats["copying"]] == SONGS
    assert all(run["training_song"].startswith("essen:") for run in stats["copying"])


def test_song_pages_in_the_report_play_and_show_the_score(workdir, browser, tmp_path):
    open_report(browser, workdir)
    for name in BROWSED:
        show_result(browser, "Songs", name, "listen")
        page = framed_page(browser)
        shot = browser.screenshot(tmp_path / f"{name}.png")
        assert page["title"] == name
        seconds = json.loads((workdir / f"results/audio/{name}.json").read_text())["seconds"]
        (audio,) = page["audio"]
        assert audio["error"] is None and audio["seconds"] == pytest.approx(seconds, abs=0.05)
        assert [i["alt"] for i in page["images"]] == [f"score of {name}", f"piano roll of {name}"]
        assert all(i["width"] > 300 and i["shown"] > 300 for i in page["images"]), page["images"]
        assert sorted(link["name"] for link in page["links"]) == sorted(
            [f"{name}.mid", f"{name}.musicxml", f"{name}.wav", f"{name}.txt"]
        )
        assert all(link["bytes"] > 10 for link in page["links"]), page["links"]
        assert "Files" in page["text"] and "time signature" in page["text"]
        assert busy_pixels(shot) > 0.05
        open_report(browser, workdir)


def test_score_and_plots_show_as_images_in_the_report(workdir, browser, tmp_path):
    open_report(browser, workdir)
    show_result(browser, "Songs", "waltz", "score (SVG)")
    image = browser.wait_until(
        "(() => { const i = Array.from(document.images).find("
        "i => i.src.includes(';filename=waltz.svg;'));"
        " return i && i.complete && {width: i.naturalWidth, shown: i.clientWidth}; })()"
    )
    assert image["width"] > 300 and image["shown"] > 300
    assert busy_pixels(browser.screenshot(tmp_path / "waltz_score.png")) > 0.05
    # Every result of the report loads: images decode, other files are there.
    loaded = browser.evaluate(
        """Promise.all(Object.entries(results).map(([path, r]) => r.mime_type.startsWith('image/')
          ? new Promise(ok => { const i = new Image(); i.onload = () => ok([path, i.naturalWidth]);
                                i.onerror = () => ok([path, 0]); i.src = r.data_uri; })
          : fetch(r.data_uri).then(x => x.blob()).then(b => [path, b.size])))"""
    )
    sizes = dict(loaded)
    expected = {"results/report/summary.html", "results/plots/loss.png"}
    expected |= {f"results/plots/{h}.png" for h in ("pitch_class", "interval", "note_length")}
    for name in SONGS:
        expected |= {
            f"results/report/songs/{name}.html",
            f"results/scores/{name}.svg",
            f"results/plots/piano_roll/{name}.png",
        }
    assert set(sizes) == expected
    assert all(size > 0 for size in sizes.values()), sizes


def test_summary_page_shows_metrics_statistics_and_configuration(workdir, browser, tmp_path):
    open_report(browser, workdir)
    show_result(browser, "Overview", None, "metrics")
    page = framed_page(browser)
    browser.screenshot(tmp_path / "summary.png")
    metrics = json.loads((workdir / "results/evaluation/metrics.json").read_text())
    text = page["text"]
    assert f"{metrics['test']['bits_per_step']:.3f}" in text
    assert "songs ending on the tonic" in text and "Copying check" in text
    assert "time_signature: 3/4" in text  # the configuration
    stats = json.loads((workdir / "results/evaluation/music_stats.json").read_text())
    assert "Can they be told apart?" in text
    assert f"{stats['distinguishability']['accuracy']:.1%}" in text
    assert [i["alt"] for i in page["images"]] == [
        "loss per epoch",
        "pitch_class",
        "interval",
        "note_length",
    ]
    assert all(i["width"] > 300 for i in page["images"])


def test_drawn_songs_take_a_training_songs_meter_through_score_and_statistics(workdir):
    table = (workdir / "results/data/songs.tsv").read_text().splitlines()
    header = table[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in table[1:]]
    training_meters = {row["time_signature"] for row in rows if row["split"] == "train"}
    stats = json.loads((workdir / "results/evaluation/music_stats.json").read_text())
    for name in ("drawn_1", "drawn_2"):
        info = json.loads((workdir / f"results/generated/{name}.json").read_text())
        assert info["time_signature"] in training_meters
        tokens = (workdir / f"results/generated/{name}.txt").read_text().split()
        assert info["steps"] == len(tokens)
        assert len(tokens) % bar_steps(info["time_signature"], 0.25) == 0  # whole bars
        facts = json.loads((workdir / f"results/scores/{name}.json").read_text())
        assert facts["time_signature"] == info["time_signature"]
        assert info["time_signature"] in stats["by_meter"]
    assert stats["by_meter"]["3/4"]["generated"]["songs"] >= 1  # the waltz, at least
