"""The HTML report's documents section: the records embedded once and rendered on demand; in a
real chromium (Selenium with chromium-driver): filter to failing, open a generated document,
see its refine conversation and verdicts, side by side with another model, no console error."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.core.clihelp import distil

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "img" / "report-documents.png"
LONG = "a headline that runs on far past the eight word mark"
GOOD = "Council approves the park budget"
RECIPE = f"""\
name: gen-headlines
corpus:
  inline:
    documents:
      - {{id: h1, text: "The city council approved the new park budget on Monday evening."}}
      - {{id: h2, text: "Heavy snow closed the mountain pass for the second day in a row."}}
      - {{id: h3, text: "The museum will open a new wing for modern art next spring."}}
      - {{id: h4, text: "A local bakery won the regional bread contest this weekend."}}
  split: {{train: 2, validation: 0, test: 2}}
prompt:
  system: "Write a headline of three to eight words."
  user: "{{{{ doc.text }}}}"
constraints:
  - char_count: {{unit: words, min: 3, max: 8}}
teacher:
  model: {{scripted: {{outputs: ["{LONG}", "{GOOD}"]}}}}
  strategy: {{refine: {{max_rounds: 2}}}}
  concurrency: 1
evaluate:
  models: [teacher, replay/other.jsonl]
  metrics: [pass_rate]
report: [json, html]
"""
# an output that would close the data's <script> element if it were embedded as it is
OTHER = {"h2": "Snow shuts the pass </script><b>again</b>", "h4": "Bakery wins"}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("docview")
    (tmp / "gen.yaml").write_text(RECIPE, encoding="utf-8")
    (tmp / "other.jsonl").write_text("".join(json.dumps({"id": k, "output": v}) + "\n"
                                             for k, v in OTHER.items()))
    out = distil("run", "gen.yaml", "--run-dir", "run", cwd=tmp)
    assert out.returncode == 0, out.stderr
    return tmp / "run"


def embedded(html: str) -> dict:
    (text,) = re.findall(r'<script type="application/json" id="distil-docs">(.*?)</script>',
                         html, re.S)
    return json.loads(text)


def test_the_records_are_embedded_once_compactly_and_results_json_stays_figures(run):
    html = (run / "report.html").read_text(encoding="utf-8")
    data = embedded(html)
    assert data["models"] == ["teacher", "replay/other.jsonl"]
    assert data["constraints"] == ["char_count"] and set(data["splits"]) == {"train", "test"}
    kinds = sorted((r[0], data["models"][r[1]], r[3]) for r in data["records"])
    assert kinds == [("h1", "teacher", 1), ("h2", "replay/other.jsonl", 0), ("h2", "teacher", 0),
                     ("h3", "teacher", 1), ("h4", "replay/other.jsonl", 0), ("h4", "teacher", 0)]
    generated = [r for r in data["records"] if r[3]]
    for r in generated:  # the whole conversation: too long, the feedback turn, accepted
        first, second = r[14]
        assert first[3] == LONG and first[4][0][1] == 0 and first[4][0][2] == 3.0
        assert first[7] == 0 and second[7] == 1 and second[3] == GOOD
        assert second[2] == [["user", "The text is 3 words over. Make the text a little shorter."]]
    assert html.count('id="distil-docs"') == 1 and "</script><b>" not in html
    results = (run / "results.json").read_text(encoding="utf-8")
    assert GOOD not in results and "conversation" not in results and LONG not in results


def test_a_report_from_results_json_alone_has_no_documents_section(run, tmp_path):
    from distil_builtin.reporters.html import HtmlReport

    data = json.loads((run / "results.json").read_text(encoding="utf-8"))
    page = HtmlReport().render(data, tmp_path).read_text(encoding="utf-8")
    assert 'id="docs"' not in page and "<script" not in page


def _browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.skip("chromium and chromium-driver are not installed "
                    "(Debian: apt-get install -y chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1800",
                 "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    return webdriver.Chrome(options=options, service=service)


def test_in_chromium_filter_open_a_document_see_its_conversation(run, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser = _browser()
    try:
        # the console check works: an error on a page is seen
        probe = tmp_path / "probe.html"
        probe.write_text("<!doctype html><script>console.error('seen'); nope();</script>")
        browser.get(probe.as_uri())
        assert any("seen" in e["message"] for e in browser.get_log("browser"))

        browser.get((run / "report.html").as_uri())
        rows = browser.find_elements(By.CSS_SELECTOR, "#dv-rows tr")
        assert len(rows) == 6
        browser.find_element(By.ID, "dv-failing").click()
        rows = browser.find_elements(By.CSS_SELECTOR, "#dv-rows tr")
        failing = sorted(tuple(td.text for td in r.find_elements(By.TAG_NAME, "td")[:4])
                         for r in rows)
        assert failing == [("h2", "teacher", "evaluate", "rejected"),
                           ("h4", "replay/other.jsonl", "evaluate", "rejected")]
        browser.find_element(By.ID, "dv-failing").click()  # all again
        Select(browser.find_element(By.ID, "dv-model")).select_by_visible_text("teacher")
        browser.find_element(By.ID, "dv-q").send_keys("h1")
        (row,) = browser.find_elements(By.CSS_SELECTOR, "#dv-rows tr")
        row.click()
        detail = browser.find_element(By.ID, "dv-detail").text
        assert "Refine conversation" in detail and "accepted" in detail
        assert "feedback turn (user)" in detail
        assert "The text is 3 words over. Make the text a little shorter." in detail
        assert LONG in detail and GOOD in detail and "+3" in detail and "3..8" in detail
        assert "2 attempts" in detail
        # side by side: an evaluated document and the other model's answer to it
        browser.find_element(By.ID, "dv-q").clear()
        Select(browser.find_element(By.ID, "dv-other")).select_by_visible_text(
            "replay/other.jsonl")
        browser.find_element(By.ID, "dv-q").send_keys("h2")
        (row,) = browser.find_elements(By.CSS_SELECTOR, "#dv-rows tr")
        row.click()
        panes = browser.find_elements(By.CSS_SELECTOR, "#dv-detail .pane")
        assert len(panes) == 2 and "Snow shuts the pass </script><b>again</b>" in panes[1].text
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
        if os.environ.get("DISTIL_UPDATE_DOCS_SCREENSHOT") == "1":
            browser.find_element(By.ID, "dv-q").clear()
            browser.find_element(By.ID, "dv-q").send_keys("h1")
            Select(browser.find_element(By.ID, "dv-other")).select_by_index(0)
            browser.find_element(By.CSS_SELECTOR, "#dv-rows tr").click()
            browser.find_element(By.ID, "docs").screenshot(str(DOCS_SCREENSHOT))
    finally:
        browser.quit()


def test_an_infinite_figure_is_embedded_as_null_not_as_invalid_json():
    from distil_builtin.reporters.documents_view import embedded_json

    text = embedded_json({"records": [[1.5, float("inf"), {"d": float("nan")}, "</script>"]]})
    assert json.loads(text) == {"records": [[1.5, None, {"d": None}, "</script>"]]}
    assert "</" not in text
