"""The HTML report: self-contained, its charts drawn from the figures, and — in a real headless
Chromium — opening without console errors and showing its plots."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from distil_builtin.reporters import svg
from distil_builtin.reporters.html import HtmlReport
from tests.core.clihelp import distil
from tests.evaluation.helpers import DOCS, results, write_recipe, write_replay

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "img" / "report.png"
REAL_RUN = Path(__file__).parent / "data" / "news_one_sentence.results.json"
CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]

FIRST = {"d1": "Cat sits on the mat", "d2": "Dogs bark at night", "d3": "Rain",
         "d4": "The sun rises over green hills", "d5": "Bridge opens Tuesday",
         "d6": "Library open late on Fri"}
SECOND = {"d1": "Cat on mat all day", "d2": "Night barking dogs", "d3": "All-day city rain",
          "d4": "Sunrise on the hills", "d5": "New bridge opens", "d6": "Late library hours"}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    write_recipe(tmp, filename="r.yaml",
                 extra_constraints="  - regex: {pattern: '^[A-Z]', label: capital_first}",
                 metrics='[length_stats, pass_rate, latency, tokens, cost, '
                         '{rouge: {reference: "field:title"}}]')
    a = write_replay(tmp / "first.jsonl", FIRST)
    b = write_replay(tmp / "second.jsonl", SECOND)
    out = distil("eval", "r.yaml", "-m", f"replay/{a.name}", "-m", f"replay/{b.name}",
                 "--run-dir", "run", cwd=tmp)
    assert out.returncode == 0, out.stderr
    return tmp / "run" / "report.html"


def test_the_page_is_one_self_contained_file(report):
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    # nothing to fetch: no URL of any kind, no external script, style, font or image (the
    # documents section's script and data are inline)
    assert not re.search(r"(?i)https?:|//[a-z]|<link|<img|<script[^>]*\bsrc|@import|url\(", html)
    assert "<style>" in html


def test_the_page_shows_the_table_and_one_chart_per_plot(report):
    html = report.read_text(encoding="utf-8")
    data = results(report.parent)
    # two histograms (one per model), the pass rates, the latency
    assert html.count('<svg class="chart histogram"') == 2
    assert html.count('<svg class="chart intervals"') == 2
    assert html.count('class="band"') == 2 and html.count('class="target"') == 2
    # the histogram's bars hold every answer: their counts add up to n
    first = html.split('<svg class="chart histogram"')[1].split("</svg>")[0]
    bars = [int(n) for n in re.findall(r'class="bar"[^>]*><title>[^<]*: (\d+)</title>', first)]
    assert sum(bars) == len(DOCS)
    # pass rates: overall, then per constraint (two constraints), for each of two models
    rates = html.split("<title>pass rates with 95% Wilson intervals")[1].split("</svg>")[0]
    assert rates.count('class="dot"') == 6
    assert "capital_first" in rates and "char_count" in rates
    stats = data["models"]["replay/first.jsonl"]["metrics"]["length_stats"]
    assert f"<td>{stats['mean']:.1f}" in html
    assert "ROUGE-L F1" in html and "Wilson" in html
    assert "<h1>eval-test</h1>" in html


def test_run_page_without_models_and_html_escaping(tmp_path):
    path = HtmlReport().render({"run": {"recipe": "<b>x</b>", "description": "a & b"},
                                "models": {}}, tmp_path)
    html = path.read_text()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "a &amp; b" in html
    assert "No model was evaluated" in html


def test_ticks_and_steps():
    assert svg.ticks(0, 1, 5) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert svg.ticks(93, 141, 6) == [100, 110, 120, 130, 140]
    assert svg.nice_step(48, 24) == 2
    assert svg.fmt_tick(0.25, percent=True) == "25%"


def test_histogram_bins_integers_into_their_own_cells():
    chart = svg.histogram([95, 95, 100, 105, 106], domain=(95, 106), band=(95, 105),
                          target=100, unit="chars")
    titles = re.findall(r'class="bar"[^>]*><title>([^<]*)</title>', chart)
    assert titles == ["95 chars: 2", "100 chars: 1", "105 chars: 1", "106 chars: 1"]
    assert "within bounds: 95–105 chars" in chart


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                           "--enable-logging=stderr", "--v=0", *args],
                          capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                    "(Debian: apt-get install -y chromium); the browser check needs it")
def test_in_a_headless_browser_without_errors_and_with_its_plots(report, tmp_path):
    # the console check itself works: a page with an error is caught
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><p>x</p><script>console.error('seen');nope()</script>")
    probe = chromium("--dump-dom", broken.as_uri(), profile=tmp_path / "p0")
    assert any("seen" in line for line in console_messages(probe.stderr)), probe.stderr

    out = chromium("--dump-dom", report.as_uri(), profile=tmp_path / "p1")
    assert out.returncode == 0, out.stderr
    assert console_messages(out.stderr) == []
    dom = out.stdout
    assert dom.count("<svg") == 4 and dom.count("<circle") >= 8
    assert "<table" in dom and "eval-test" in dom

    shot = tmp_path / "report.png"
    out = chromium("--hide-scrollbars", "--window-size=1100,3300", f"--screenshot={shot}",
                   report.as_uri(), profile=tmp_path / "p2")
    assert out.returncode == 0 and shot.is_file(), out.stderr
    assert console_messages(out.stderr) == []
    assert png_size(shot) == (1100, 3300)
    assert shot.stat().st_size > 30_000  # a page of text and charts, not a blank one


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                    "(Debian: apt-get install -y chromium); the browser check needs it")
def test_screenshot_of_a_real_run(tmp_path):
    """The report of a real SmolLM2 run (tests/evaluation/data), as docs/img/report.png shows
    it. DISTIL_UPDATE_DOCS_SCREENSHOT=1 writes the screenshot there."""
    data = json.loads(REAL_RUN.read_text(encoding="utf-8"))
    page = HtmlReport().render(data, tmp_path)
    out = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "p1")
    assert out.returncode == 0 and console_messages(out.stderr) == [], out.stderr
    assert out.stdout.count('<svg class="chart histogram"') == 2
    shot = tmp_path / "report.png"
    out = chromium("--hide-scrollbars", "--window-size=1100,2400", f"--screenshot={shot}",
                   page.as_uri(), profile=tmp_path / "p2")
    assert out.returncode == 0 and png_size(shot) == (1100, 2400), out.stderr
    if os.environ.get("DISTIL_UPDATE_DOCS_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)
    assert DOCS_SCREENSHOT.is_file() and png_size(DOCS_SCREENSHOT)[0] == 1100
