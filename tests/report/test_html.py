"""The report: self-contained, one section per step, and it renders in a real browser."""

import html as html_lib
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape

import gonogo
from tests.conftest import spec

SECTIONS = [
    "1. Frame",
    "2. Hypotheses",
    "3. Data",
    "4. Test",
    "5. Analyze",
    "6. Conclusion",
    "7. Refine",
]


def _in_order(text: str, parts: list[str]) -> bool:
    positions = [text.find(p) for p in parts]
    return -1 not in positions and positions == sorted(positions)


def test_the_report_follows_the_framework_and_is_self_contained(chicago_result):
    html = chicago_result.to_html()
    assert _in_order(html, SECTIONS)
    # candidates, hypotheses, over time, importance, slices, learning curve, residuals
    assert html.count("<svg") == 7
    assert "Columns the models do not see" in html and "<b>time</b>: date" in html
    # A row is about a date, not the only row of it: many bookings can share an arrival date.
    assert "one row of the table, with its date" in html
    assert "(added by gonogo)" in html and "absolute error" in html
    fetched = re.findall(
        r'(?:src|href)\s*=\s*["\']?(?:https?:)?//|url\(\s*["\']?https?:|@import', html
    )
    assert fetched == [] and "<script" not in html and "<link" not in html
    assert "Labeled examples (x, y)" in html and "4,558 to learn from" in html
    # The header gives the verdict's first reason; the Conclusion gives them all, once.
    reasons = chicago_result.verdict.reasons
    assert len(reasons) > 2 and all(html.count(str(escape(r))) == 1 for r in reasons[1:])
    frame = chicago_result._repr_html_()
    srcdoc = re.fullmatch(r'<iframe srcdoc="([^"]*)" style="[^"]*" title="[^"]*"></iframe>', frame)
    assert srcdoc is not None and html_lib.unescape(srcdoc.group(1)) == html


def test_classification_shows_calibration_ranking_curves_and_the_decision_at_a_budget(
    churn_result,
):
    html = churn_result.to_html()
    assert "observed frequency" in html
    assert "false positive rate" in html and "recall" in html  # ROC and precision-recall
    # The confusion matrix is counted at the base rate (14%), not at a 0.5 threshold.
    assert "predicted (gbm)" not in html and "At the base rate" in html
    assert "acting on 14.1% of the cases" in html and "acted on, positive" in html
    assert html.count('<td class="num">20%</td>') == 2  # model and baseline at 20%


def test_a_blocked_run_still_reports(churn_frame):
    result = gonogo.run(spec(label={"column": "churn"}), data=churn_frame.assign(churn="no"))
    html = result.to_html()
    assert _in_order(html, SECTIONS) and "label.constant" in html and "<svg" not in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browse(result: gonogo.Result, tmp_path: Path) -> tuple[list[str], str, str]:
    """The browser's command line, the report's address, and the DOM it builds."""
    assert CHROMIUM, "CI installs chromium (.ci/run); it must be there"
    out = result.save(tmp_path / "run")
    url = (out / "report.html").resolve().as_uri()
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    return base, url, dom.stdout


def _table(dom: str, css: str) -> list[list[str]]:
    """The cells' text of the table of class `css`, row by row."""
    body = re.search(rf'<table class="{css}">(.*?)</table>', dom, re.S)
    assert body is not None, css
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in row] for row in cells]


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="no chromium here")
def test_the_report_renders_in_a_real_browser(chicago_result, tmp_path: Path):
    base, url, dom = _browse(chicago_result, tmp_path)
    assert _in_order(dom, SECTIONS) and "two-weeks-ago" in dom
    at = dom.find("<h3>Over time</h3>")  # the time plot: a figure right under its heading
    assert -1 < at < dom.find("<svg", at) < dom.find("Which features matter", at)
    slices = _table(dom, "slices")
    assert slices[0][-2:] == ["gain", "95% CI"] and len(slices) > 8
    for row in slices[1:]:  # every slice: n, both values with intervals, the gain's interval
        assert re.fullmatch(r"\d+", row[1]) and re.fullmatch(
            r"[+-]\d+\.\d% to [+-]\d+\.\d%", row[-1]
        )
        assert re.search(r"\(.+ – .+\)", row[2]) and re.search(r"\(.+ – .+\)", row[3])
    shot = tmp_path / "report.png"
    subprocess.run(
        [*base, "--window-size=1100,2000", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[:2] == (2000, 1100)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # text, badges and plots, not blank


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="no chromium here")
def test_the_decision_at_a_budget_renders_in_a_real_browser(churn_result, tmp_path: Path):
    _, _, dom = _browse(churn_result, tmp_path)
    budget = _table(dom, "budget")
    assert budget[0] == ["acted on", "candidate", "precision", "recall", "lift"]
    shares = [row[0] for row in budget[1:]]
    assert shares == ["5%", "5%", "10%", "10%", "20%", "20%", "30%", "30%", "50%", "50%"]
    model = [row for row in budget[1:] if "(model)" in row[1]]
    lifts = [float(row[4].split("×")[0]) for row in model]
    assert lifts == sorted(lifts, reverse=True) and lifts[0] > 3  # the top is where churn is
    confusion = _table(dom, "confusion")
    assert [len(row) for row in confusion] == [5, 5, 5]


def test_a_comparison_over_splits_that_chose_differently_names_every_choice(chicago_result):
    """The gain is against each outer split's own choice: named by the most frequent one alone,
    it read as a gain over that candidate, which the verdict's own figure contradicted."""
    from dataclasses import replace

    evaluation = replace(
        chicago_result.evaluation, baselines={"two-weeks-ago": 2, "simple-rule": 1}
    )
    mixed = replace(chicago_result, evaluation=evaluation)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", mixed.to_html()))
    assert (
        "gbm vs the baseline each outer split chose (two-weeks-ago in 2, simple-rule in 1): relative improvement"
        in text
    )
    plain = html_lib.unescape(re.sub(r"<[^>]+>", "", chicago_result.to_html()))
    assert f"gbm vs {chicago_result.best_baseline}: relative improvement" in plain


def test_a_column_without_a_name_is_shown_as_one(tmp_path: Path):
    """pandas saves its index under an empty header: listed as nothing, it read ', idcase'."""
    from tests.conftest import noise_frame

    frame = noise_frame(n=600)
    frame.insert(0, "", range(len(frame)))
    html = gonogo.run(spec(), data=frame).to_html()
    assert "<b>row number</b>: &#39;&#39; (no name)" in html
