"""The report's figures, as inline SVG so the report is one self-contained file.

Each function takes a `Result` and returns SVG markup, or "" when there is nothing to draw.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from gonogo.evaluation.projection import HORIZON, Projection
from gonogo.result import Result

MODEL, BASELINE, GREY = "#2563eb", "#d97706", "#9ca3af"
MAX_POINTS = 3000


@contextmanager
def _figure(
    width: float, height: float, ncols: int = 1, nrows: int = 1
) -> Iterator[tuple[Any, Any]]:
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
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
        try:
            yield fig, axes.ravel()
        finally:
            plt.close(fig)


def _legend(ax: Any) -> None:
    """The legend above the axes, outside them, so that it never covers the data."""
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, borderaxespad=0.2)


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
        if r.projection is not None:  # on the rows the curve is drawn on, as the target is
            base = r.projection.baseline
        ax.axhline(base, color=BASELINE, ls="--", label=r.best_baseline)
        ticks = rows
        if r.projection is not None:
            ticks = [*rows, _projected(ax, r.projection, rows)]
        ax.set_xscale("log")
        ax.set_xticks(ticks, [f"{n:,}" for n in ticks])
        ax.minorticks_off()
        ax.set_xlabel("training rows (per outer split)")
        ax.set_ylabel(f"test {r.metric.name}")
        _legend(ax)
        return _svg(fig)


def _projected(ax: Any, p: Projection, rows: list[int]) -> int:
    """The law fitted to the curve, out to HORIZON times the data, with its 95% band and the
    target; returns the last training size drawn."""
    scale, last = p.law.scale, rows[-1] * HORIZON
    n = np.geomspace(rows[0], last, 60)
    at = [p.at(x * scale) for x in n]
    ax.plot(n, [e.value for e in at], ":", color=MODEL, label="fitted law")
    ax.fill_between(n, [e.ci[0] for e in at], [e.ci[1] for e in at], color=MODEL, alpha=0.12)
    ax.axhline(p.target, color=GREY, lw=1, label="target")
    return int(last)


def slices(r: Result) -> str:
    """Each slice's gain of the best model over the best baseline, with its interval."""
    columns = list(dict.fromkeys(s.column for s in r.slices))
    if not columns:
        return ""
    with _figure(4 * len(columns), 3.2, len(columns)) as (fig, axes):
        for ax, col in zip(axes, columns, strict=True):
            rows = [s for s in r.slices if s.column == col]
            x = np.arange(len(rows))
            gains = np.array([s.gain.value for s in rows]) * 100
            lows = np.array([s.gain.ci[0] for s in rows]) * 100
            highs = np.array([s.gain.ci[1] for s in rows]) * 100
            # A percentile interval may leave out its point (a ratio to a baseline near zero).
            spread = np.clip([gains - lows, highs - gains], 0, None)
            ax.errorbar(x, gains, spread, fmt="o", color=MODEL, ms=4)
            ax.axhline(0, color=GREY, lw=1)
            ax.set_xticks(x, [s.value for s in rows], rotation=30, ha="right")
            ax.set_xlabel(col)
            ax.set_ylabel(f"% gain over {r.best_baseline} (95% CI)")
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
        _legend(right)
        return _svg(fig)


def _confusion(y: np.ndarray[Any, Any], p: np.ndarray[Any, Any], k: int) -> np.ndarray[Any, Any]:
    label = p.argmax(1)
    m = np.zeros((k, k), dtype=int)
    np.add.at(m, (y.astype(int), label), 1)
    return m


def calibration(r: Result) -> str:
    """Classification: reliability of the probabilities, and for several classes the confusion
    matrix of the most probable class (a binary label's is counted at its budget instead)."""
    h = r.holdout
    if h is None:
        return ""
    from sklearn.calibration import calibration_curve

    k = len(r.data.classes)
    panels = 1 if r.data.task == "binary" else 2
    with _figure(4.5 * panels, 3.6, panels) as (fig, axes):
        left = axes[0]
        for name, p, color in (
            (r.best_model, h.model, MODEL),
            (r.best_baseline, h.baseline, BASELINE),
        ):
            pos, score = (h.y, p) if p.ndim == 1 else ((h.y == p.argmax(1)) * 1, p.max(1))
            if not ((score >= 0) & (score <= 1)).all():
                continue  # a score ranked as it is (not a probability) has no calibration
            frac, mean = calibration_curve(pos, score, n_bins=10, strategy="quantile")
            left.plot(mean, frac, "o-", color=color, label=name, ms=3)
        left.plot([0, 1], [0, 1], color=GREY, lw=1)
        left.set_xlabel("predicted probability")
        left.set_ylabel("observed frequency")
        _legend(left)
        if panels == 2:
            _confusion_panel(axes[1], r, _confusion(h.y, h.model, k))
        return _svg(fig)


def _confusion_panel(ax: Any, r: Result, m: np.ndarray[Any, Any]) -> None:
    ax.imshow(m, cmap="Blues")
    for (i, j), v in np.ndenumerate(m):
        dark = v > m.max() / 2
        ax.text(j, i, str(v), ha="center", va="center", color="white" if dark else "black")
    k = len(r.data.classes)
    ax.set_xticks(range(k), r.data.classes, rotation=30, ha="right")
    ax.set_yticks(range(k), r.data.classes)
    ax.set_xlabel(f"predicted ({r.best_model})")
    ax.set_ylabel("actual")


def errors(r: Result) -> str:
    """Residuals for regression, calibration and confusion for classification."""
    return residuals(r) if r.data.task == "regression" else calibration(r)


def importance(r: Result, top: int = 15) -> str:
    """How much worse the best model gets with each group, then each top feature, shuffled."""
    rows = [i for i in r.importance if i.kind == "group"]
    rows += [i for i in r.importance if i.kind == "feature"][:top]
    if not rows:
        return ""
    with _figure(7, 0.32 * len(rows) + 1.2) as (fig, (ax,)):
        for i, item in enumerate(rows):
            lo, hi = item.effect.ci
            color = MODEL if item.kind == "group" else GREY
            ax.barh(i, item.effect.value * 100, color=color, alpha=0.8)
            ax.plot([lo * 100, hi * 100], [i, i], color="black", lw=1)
        ax.axvline(0, color=GREY, lw=1)
        labels = [f"group {i.name}" if i.kind == "group" else i.name for i in rows]
        ax.set_yticks(range(len(rows)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(f"% worse {r.metric.name} with it shuffled (95% CI)")
        return _svg(fig)


def curves(r: Result) -> str:
    """Binary: ROC and precision-recall curves of the best model and the best baseline."""
    h = r.holdout
    if h is None or r.data.task != "binary" or len(np.unique(h.y)) < 2:
        return ""
    from sklearn.metrics import precision_recall_curve, roc_curve

    with _figure(9, 3.8, 2) as (fig, (left, right)):
        for name, p, color in (
            (r.best_model, h.model, MODEL),
            (r.best_baseline, h.baseline, BASELINE),
        ):
            fpr, tpr, _ = roc_curve(h.y, p)
            left.plot(fpr, tpr, color=color, label=name)
            precision, recall, _ = precision_recall_curve(h.y, p)
            right.plot(recall, precision, color=color, label=name)
        left.plot([0, 1], [0, 1], color=GREY, lw=1)
        left.set_xlabel("false positive rate")
        left.set_ylabel("true positive rate")
        right.axhline(float(h.y.mean()), color=GREY, lw=1)
        right.set_xlabel("recall")
        right.set_ylabel("precision")
        _legend(left)
        return _svg(fig)


def over_time(r: Result) -> str:
    """With a time column: actual and predicted over time (for a binary label, the share of
    positives and the mean predicted probability), and the errors, each averaged over a
    sliding window so that a long holdout stays legible."""
    h = r.holdout
    if h is None or h.times is None or r.data.task == "multiclass":
        return ""
    import pandas as pd

    window = max(1, len(h.y) // 60)
    frame = pd.DataFrame(
        {
            "actual": h.y,
            r.best_model or "model": h.model,
            r.best_baseline or "baseline": h.baseline,
        },
        index=pd.to_datetime(h.times.to_numpy()),
    )
    # Sliding means move little from row to row: MAX_POINTS of them draw the same lines, and
    # 65,000 time stamps took matplotlib 3 s to convert.
    shown = _sample(len(frame))
    smooth = frame.rolling(window, min_periods=1).mean().iloc[shown]
    errors = frame.drop(columns="actual").sub(frame["actual"], axis=0).abs()
    errors = errors.rolling(window, min_periods=1).mean().iloc[shown]
    with _figure(9, 5.2, 1, 2) as (fig, (top, bottom)):
        top.plot(smooth.index, smooth["actual"], color="black", lw=1, label="actual")
        for column, color in zip(frame.columns[1:], (MODEL, BASELINE), strict=True):
            top.plot(smooth.index, smooth[column], color=color, lw=1, label=column)
            bottom.plot(errors.index, errors[column], color=color, lw=1, label=column)
        regression = r.data.task == "regression"
        top.set_ylabel(r.data.label if regression else f"share {r.data.classes[-1]!r}")
        bottom.set_ylabel("absolute error")
        bottom.set_xlabel(f"{r.data.time} (mean over {window} rows)" if window > 1 else r.data.time)
        _legend(top)
        return _svg(fig)
