"""Is the evaluation honest: no label copies, no ids, no rows or entities on both sides?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gonogo.checks.finding import Finding
from gonogo.checks.probe import quick_model, single_feature, strength_of
from gonogo.data.dataset import Dataset
from gonogo.data.split import Split, split_like
from gonogo.problem import Problem

DETERMINES = 0.99
PREDICTS = {"regression": 0.10, "binary": 0.60, "multiclass": 0.60}
DUPLICATE_SHARE = 0.01


def _strength_name(ds: Dataset) -> str:
    return "R²" if ds.task == "regression" else "AUC"


def single_feature_leak(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if len(split.holdout) == 0:
        return []
    strengths = {
        c: single_feature(ds, c, split.train, split.holdout, problem.seed) for c in ds.features
    }
    name = _strength_name(ds)
    copies = [c for c, s in strengths.items() if s >= DETERMINES]
    if copies:
        return [
            Finding(
                "leakage.single_feature",
                "block",
                f"{', '.join(copies)} alone nearly determine(s) the label on the holdout "
                f"({name} {max(strengths[c] for c in copies):.3f}); a copy or consequence "
                "of the label? Remove it or move it to exclude",
                tuple(copies),
                {"strength": name, "values": {c: strengths[c] for c in copies}},
            )
        ]
    return _dominant(problem, ds, split, strengths)


def _dominant(
    problem: Problem, ds: Dataset, split: Split, strengths: dict[str, float]
) -> list[Finding]:
    """Warn when one column beats a model of all the others together."""
    finite = {c: s for c, s in strengths.items() if np.isfinite(s)}
    if len(ds.features) < 2 or not finite:
        return []
    top = max(finite, key=lambda c: finite[c])
    if finite[top] < PREDICTS[ds.task]:
        return []
    others = [c for c in ds.features if c != top]
    pred = quick_model(ds, others, split.train, split.holdout, problem.seed)
    rest = strength_of(ds, ds.y[split.holdout], pred)
    if not finite[top] > rest:
        return []
    name = _strength_name(ds)
    return [
        Finding(
            "leakage.single_feature",
            "warn",
            f"{top} alone ({name} {finite[top]:.3f}) beats a model of all the other "
            f"features ({name} {rest:.3f}); is {top} known at prediction time?",
            (top,),
            {"strength": name, "alone": finite[top], "all_others": rest},
        )
    ]


def _id_like(s: pd.Series) -> bool:
    n = len(s)
    if n < 2 or s.isna().any():
        return False
    categorical = isinstance(s.dtype, pd.CategoricalDtype)
    integral = pd.api.types.is_integer_dtype(s) or (
        pd.api.types.is_float_dtype(s) and bool(np.all(np.mod(s.to_numpy(), 1) == 0))
    )
    unique = s.nunique() == n
    if unique and (categorical or integral):
        return True
    if categorical or s.nunique() < 0.9 * n:
        return False
    return bool(s.is_monotonic_increasing or s.is_monotonic_decreasing)


def identifier(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    suspects = [c for c in ds.features if _id_like(ds.frame[c])]
    if not suspects:
        return []
    # A random split: on a time split an increasing id is out of range on the whole holdout.
    train, test = split_like("random", problem, ds)
    out = []
    for col in suspects:
        value = single_feature(ds, col, train, test, problem.seed)
        if value >= PREDICTS[ds.task]:
            out.append(
                Finding(
                    "leakage.identifier",
                    "warn",
                    f"{col} looks like an identifier (unique per row or ordered with "
                    f"the rows) yet predicts the label ({_strength_name(ds)} "
                    f"{value:.3f}); rows may be ordered or numbered by outcome",
                    (col,),
                    {"strength": value},
                )
            )
    return out


def duplicates(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if len(split.holdout) == 0:
        return []
    hashes = pd.util.hash_pandas_object(ds.frame[ds.features], index=False).to_numpy()
    seen = np.isin(hashes[split.holdout], hashes[split.train])
    share = float(seen.mean())
    if share < DUPLICATE_SHARE:
        return []
    return [
        Finding(
            "leakage.duplicates",
            "warn",
            f"{int(seen.sum())} holdout examples ({share:.1%}) also appear in the training "
            "data with identical features; the holdout score is optimistic",
            (),
            {"rows": int(seen.sum()), "fraction": share},
        )
    ]


def entity_overlap(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    if ds.entity is None:
        return []
    entity = ds.frame[ds.entity].astype("string")
    both = set(entity.iloc[split.train].dropna()) & set(entity.iloc[split.holdout].dropna())
    if not both:
        return []
    rows = float(entity.iloc[split.holdout].isin(both).mean())
    return [
        Finding(
            "leakage.entity_overlap",
            "block",
            f"{len(both)} {ds.entity} value(s) appear in both training data and holdout "
            f"({rows:.1%} of holdout rows); use split strategy 'group'",
            (ds.entity,),
            {"entities": len(both), "holdout_fraction": rows},
        )
    ]


CHECKS = (single_feature_leak, identifier, duplicates, entity_overlap)
