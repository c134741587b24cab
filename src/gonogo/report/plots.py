"""The report's figures, as inline SVG so the report is one self-contained file.

Each function takes a `Result` and returns SVG markup, or "" when there is nothing to draw.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from gonogo.result import Result

MODEL, BASELINE, GREY = "#2563eb", "#d97706", "#9ca3af"
MAX_POINTS = 3000


@contextmanager
def _figure(width: float, height: float, ncols: int = 1) -> Iterator[tuple[Any, Any]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(
        {
            "svg.hashsalt": "gonogo",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.fonttype": "none",
        }
    ):
        fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
        try:
            yield fig, axes[0]
        finally:
            plt.close(fig)


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.tight_layout()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def candidates(r: Result) -> str:
    """Every candidate's holdout value with its interval, best at the top."""
    if not r.candidates:
        return ""
    sign = -1 if r.metric.greater_is_better else 1
    rows = sorted(r.candidates, key=lambda c: sign * c.holdout.value, reverse=True)
    with _figure(7, 0.45 * len(rows) + 1) as (fig, (ax,)):
        for i, c in enumerate(rows):
            lo, hi = c.holdout.ci
            color = MODEL if c.kind == "model" else BASELINE
            ax.errorbar(
                c.holdout.value,
                i,
                xerr=[[c.holdout.value - lo], [hi - c.holdout.value]],
                fmt="o",
                color=color,
                capsize=3,
            )
        ax.set_yticks(range(len(rows)), [c.name for c in rows])
        ax.set_xlabel(f"holdout {r.metric.name} (95% CI); blue: models, orange: baselines")
        return _svg(fig)


def hypotheses(r: Result) -> str:
    """Each hypothesis' effect (gain of the model with its group over without) and interval."""
    if not r.hypotheses:
        return ""
    with _figure(7, 0.5 * len(r.hypotheses) + 1) as (fig, (ax,)):
        for i, h in enumerate(r.hypotheses):
            lo, hi = h.effect.ci
            ax.errorbar(
                h.effect.value * 100,
                i,
                xerr=[[(h.effect.value - lo) * 100], [(hi - h.effect.value) * 100]],
                fmt="o",
                color=MODEL,
                capsize=3,
            )
        ax.axvline(0, color=GREY, lw=1)
        ax.set_yticks(range(len(r.hypotheses)), [h.name for h in r.hypotheses])
        ax.set_xlabel(f"% gain in {r.metric.name} with the group (95% CI)")
        return _svg(fig)


def learning_curve(r: Result) -> str:
    if not r.learning_curve:
        return ""
    with _figure(5, 3) as (fig, (ax,)):
        rows = [p.rows for p in r.learning_curve]
        ax.plot(rows, [p.value for p in r.learning_curve], "o-", color=MODEL, label=r.best_model)
        base = next(c for c in r.candidates if c.name == r.best_baseline).holdout.value
        ax.axhline(base, color=BASELINE, ls="--", label=r.best_baseline)
        ax.set_xscale("log")
        ax.set_xticks(rows, [f"{n:,}" for n in rows])
        ax.minorticks_off()
        ax.set_xlabel("training rows")
        ax.set_ylabel(f"holdout {r.metric.name}")
        ax.legend(frameon=False)
        return _svg(fig)


def slices(r: Result) -> str:
    columns = list(dict.fromkeys(s.column for s in r.slices))
    if not columns:
        return ""
    with _figure(4 * len(columns), 3.2, len(columns)) as (fig, axes):
        for ax, col in zip(axes, columns, strict=True):
            rows = [s for s in r.slices if s.column == col]
            x = np.arange(len(rows))
            ax.bar(x - 0.2, [s.model for s in rows], 0.4, color=MODEL, label=r.best_model)
            ax.bar(x + 0.2, [s.baseline for s in rows], 0.4, color=BASELINE, label=r.best_baseline)
            ax.set_xticks(x, [s.value for s in rows], rotation=30, ha="right")
            ax.set_title(col)
            ax.set_ylabel(r.metric.name)
        axes[0].legend(frameon=False)
        return _svg(fig)


def _sample(n: int) -> np.ndarray[Any, Any]:
    return np.arange(n) if n <= MAX_POINTS else np.linspace(0, n - 1, MAX_POINTS).astype(int)


def residuals(r: Result) -> str:
    """Regression: predicted against actual, and the residuals' distribution."""
    h = r.holdout
    if h is None:
        return ""
    pick = _sample(len(h.y))
    with _figure(9, 3.4, 2) as (fig, (left, right)):
        left.scatter(h.y[pick], h.model[pick], s=6, alpha=0.5, color=MODEL)
        lims = [float(np.nanmin(h.y)), float(np.nanmax(h.y))]
        left.plot(lims, lims, color=GREY, lw=1)
        left.set_xlabel("actual")
        left.set_ylabel(f"predicted ({r.best_model})")
        right.hist(h.y - h.model, bins=40, color=MODEL, alpha=0.7, label=r.best_model)
        right.hist(h.y - h.baseline, bins=40, color=BASELINE, alpha=0.5, label=r.best_baseline)
        right.set_xlabel("actual − predicted")
        right.legend(frameon=False)
        return _svg(fig)


def _confusion(y: np.ndarray[Any, Any], p: np.ndarray[Any, Any], k: int) -> np.ndarray[Any, Any]:
    label = p.argmax(1) if p.ndim == 2 else (p >= 0.5).astype(int)
    m = np.zeros((k, k), dtype=int)
    np.add.at(m, (y.astype(int), label), 1)
    return m


def calibration(r: Result) -> str:
    """Classification: reliability of the probabilities, and the confusion matrix."""
    h = r.holdout
    if h is None:
        return ""
    from sklearn.calibration import calibration_curve

    k = len(r.data.classes)
    with _figure(9, 3.6, 2) as (fig, (left, right)):
        for name, p, color in (
            (r.best_model, h.model, MODEL),
            (r.best_baseline, h.baseline, BASELINE),
        ):
            pos, score = (h.y, p) if p.ndim == 1 else ((h.y == p.argmax(1)) * 1, p.max(1))
            frac, mean = calibration_curve(pos, score, n_bins=10, strategy="quantile")
            left.plot(mean, frac, "o-", color=color, label=name, ms=3)
        left.plot([0, 1], [0, 1], color=GREY, lw=1)
        left.set_xlabel("predicted probability")
        left.set_ylabel("observed frequency")
        left.legend(frameon=False)
        m = _confusion(h.y, h.model, k)
        right.imshow(m, cmap="Blues")
        for (i, j), v in np.ndenumerate(m):
            dark = v > m.max() / 2
            right.text(j, i, str(v), ha="center", va="center", color="white" if dark else "black")
        right.set_xticks(range(k), r.data.classes, rotation=30, ha="right")
        right.set_yticks(range(k), r.data.classes)
        right.set_xlabel(f"predicted ({r.best_model})")
        right.set_ylabel("actual")
        return _svg(fig)


def errors(r: Result) -> str:
    """Residuals for regression, calibration and confusion for classification."""
    return residuals(r) if r.data.task == "regression" else calibration(r)
