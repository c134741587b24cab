"""Is there a label to learn from: present, varying, plentiful, balanced enough?"""

from __future__ import annotations

import numpy as np

from gonogo.checks.finding import Finding, Severity
from gonogo.data.dataset import Dataset
from gonogo.data.split import Split
from gonogo.metrics import DEFAULT_METRIC, number, share
from gonogo.problem import Problem

MIN_ROWS = 100
MIN_PER_CLASS = 20  # fewer examples of a class: a warning, its part of the score is noise...
MIN_TO_TEST = 5  # ...and fewer than this: a block, too few for one in each of five test folds
MISSING_LABELS = 0.01  # unlabeled rows from this share on may bias the verdict
AWARE = ("pr_auc", "balanced_accuracy", "log_loss")  # metrics that weigh a rare class fairly


def _shares(ds: Dataset) -> dict[str, float]:
    counts = np.bincount(ds.y.astype(int), minlength=ds.n_classes)
    return {c: float(n / len(ds.y)) for c, n in zip(ds.classes, counts, strict=True)}


def missing(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Rows without a label, left out: a warning from MISSING_LABELS of the rows on (left out
    other than at random, they bias the verdict), information below (one unlabeled row in
    26,115 is no caveat to a decision)."""
    if not ds.missing_label:
        return []
    total = ds.missing_label + len(ds.y)
    fraction = ds.missing_label / total
    return [
        Finding(
            "label.missing",
            "warn" if fraction >= MISSING_LABELS else "info",
            f"{number(ds.missing_label)} of {number(total)} rows ({share(fraction)}) have no "
            "label and were left out"
            + ("; are they missing at random?" if fraction >= MISSING_LABELS else ""),
            (ds.label,),
            {"rows": ds.missing_label, "fraction": fraction},
        )
    ]


def constant(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    distinct = len(np.unique(ds.y))
    if distinct > 1:
        return []
    return [
        Finding(
            "label.constant",
            "block",
            f"the label {ds.label!r} has a single value; there is nothing to predict",
            (ds.label,),
            {"distinct": distinct},
        )
    ]


def too_few(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    out = []
    if len(ds.y) < MIN_ROWS:
        out.append(
            Finding(
                "label.too_few",
                "block",
                f"only {len(ds.y)} labeled rows; at least {MIN_ROWS} are needed to "
                "estimate anything with a useful interval",
                (ds.label,),
                {"rows": len(ds.y), "minimum": MIN_ROWS},
            )
        )
    if ds.task != "regression":
        out += _rare_classes(ds)
    return out


def _rare_classes(ds: Dataset) -> list[Finding]:
    """Classes with few examples. Under MIN_PER_CLASS the model learns little of them, but the
    verdict still weighs the rest (six glass types, three under 20: a clear go); under
    MIN_TO_TEST some outer test part holds none of them."""
    counts = np.bincount(ds.y.astype(int), minlength=ds.n_classes)
    found = [(int(n), c) for c, n in zip(ds.classes, counts, strict=True) if 0 < n < MIN_PER_CLASS]
    rare = {c: n for n, c in sorted(found)}  # the fewest first: those that block are named
    if not rare:
        return []
    severity: Severity = "block" if min(rare.values()) < MIN_TO_TEST else "warn"
    what = (
        f"too few to test, at least {MIN_TO_TEST} are needed; collect more or merge classes"
        if severity == "block"
        else "the model learns little of them and their part of the score is noise; more "
        "examples, or merged classes, would tell more"
    )
    named = ", ".join(f"{c} {n}" for c, n in list(rare.items())[:5])
    more = f" and {len(rare) - 5} more" if len(rare) > 5 else ""
    return [
        Finding(
            "label.too_few",
            severity,
            f"{len(rare)} class(es) have fewer than {MIN_PER_CLASS} examples ({named}{more}): "
            + what,
            (ds.label,),
            {"counts": rare, "minimum": MIN_TO_TEST if severity == "block" else MIN_PER_CLASS},
        )
    ]


def imbalance(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if ds.task == "regression" or ds.n_classes < 2:
        return []
    shares = _shares(ds)
    floor = 0.10 if ds.task == "binary" else 0.05
    rare = {c: s for c, s in shares.items() if s < floor}
    if not rare:
        return []
    names = ", ".join(f"{c!r} {s:.1%}" for c, s in list(rare.items())[:5])
    names += f" and {len(rare) - 5} more" if len(rare) > 5 else ""
    metric = problem.metric or DEFAULT_METRIC[ds.task]
    if metric in AWARE:  # the advice is taken already: what is left to say is no warning
        severity: Severity = "info"
        advice = f"{metric} weighs them as they are; expect wide intervals"
    else:
        severity = "warn"
        advice = (
            f"judge with a prevalence-aware metric ({', '.join(AWARE)}) and expect wide intervals"
        )
    return [
        Finding(
            "label.imbalance",
            severity,
            f"rare class(es): {names}; {advice}",
            (ds.label,),
            {"shares": shares},
        )
    ]


CHECKS = (missing, constant, too_few, imbalance)
