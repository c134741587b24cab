"""The report: self-contained, one section per step, and it renders in a real browser."""

import html as html_lib
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

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
    assert "(added by gonogo)" in html and "absolute error" in html
    fetched = re.findall(
        r'(?:src|href)\s*=\s*["\']?(?:https?:)?//|url\(\s*["\']?https?:|@import', html
    )
    assert fetched == [] and "<script" not in html and "<link" not in html
    assert "Labeled examples (x, y)" in html and "4,558 to learn from" in html
    frame = chicago_result._repr_html_()
    srcdoc = re.fullmatch(r'<iframe srcdoc="([^"]*)" style="[^"]*" title="[^"]*"></iframe>', frame)
    assert srcdoc is not None and html_lib.unescape(srcdoc.group(1)) == html


def test_classification_shows_calibration_confusion_and_ranking_curves(churn_result):
    html = churn_result.to_html()
    assert "observed frequency" in html and "predicted (gbm)" in html
    assert "false positive rate" in html and "recall" in html  # ROC and precision-recall


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


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="no chromium here")
def test_the_report_renders_in_a_real_browser(chicago_result, tmp_path: Path):
    assert CHROMIUM, "CI installs chromium (.ci/run); it must be there"
    out = chicago_result.save(tmp_path / "run")
    url = (out / "report.html").resolve().as_uri()
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert _in_order(dom.stdout, SECTIONS) and "two-weeks-ago" in dom.stdout
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
