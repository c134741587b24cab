"""Are the features usable: mostly present, not too many categories? (Constant columns are
left out at binding, and listed with the reason.)"""

from __future__ import annotations

from gonogo.checks.finding import Finding, Severity
from gonogo.data import dates
from gonogo.data.dataset import Dataset
from gonogo.data.split import Split
from gonogo.metrics import share
from gonogo.problem import Problem

MISSING_WARN = 0.30
MAX_LEVELS = 50


def _share(s: float) -> str:
    """A share of rows as a percentage that is never 0% when some are missing."""
    return f"{s:.0%}" if s >= 0.01 else share(s)


def missing(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    shares = {c: float(ds.frame[c].isna().mean()) for c in ds.features}
    shares = {c: s for c, s in shares.items() if s > 0}
    if not shares:
        return []
    heavy = {c: s for c, s in shares.items() if s >= MISSING_WARN}
    listed = heavy or shares
    text = ", ".join(
        f"{c} {_share(s)}" for c, s in sorted(listed.items(), key=lambda kv: -kv[1])[:8]
    )
    severity: Severity = "warn" if heavy else "info"
    return [
        Finding(
            "features.missing",
            severity,
            f"missing values: {text}; models impute them, heuristics fall back",
            tuple(listed),
            {"fractions": shares},
        )
    ]


def high_cardinality(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    levels = {c: int(ds.frame[c].nunique()) for c in ds.features if ds.is_categorical(c)}
    many = {c: n for c, n in levels.items() if n > MAX_LEVELS}
    if not many:
        return []
    text = ", ".join(f"{c} ({n} levels)" for c, n in many.items())
    return [
        Finding(
            "features.high_cardinality",
            "warn",
            f"{text}: rare levels are pooled; an id in disguise, or worth grouping?",
            tuple(many),
            {"levels": many},
        )
    ]


def dates_read(problem: Problem, ds: Dataset, split: Split) -> list[Finding]:
    """How text dates were read when the spec gave no format: `03.04.20` is April or March
    depending on it, and the run never says so otherwise. ISO dates (2020-04-03), years as
    whole numbers and typed dates cannot be misread, and need no word. `mixed` asks for the
    format of the values ISO does not read to be inferred, so it is said too."""
    if problem.data.date_format not in (None, dates.MIXED):
        return []
    formats = {
        d.source: d.format
        for d in ds.featurizer.derivations
        if d.format is not None and d.format != dates.YEAR and not d.format.startswith(_ISO)
    }
    return [
        Finding(
            "features.dates_read",
            "info",
            f"{source} read as dates in the format {fmt!r}, inferred from its values; set "
            "data.date_format if it is another",
            (source,),
            {"format": fmt},
        )
        for source, fmt in formats.items()
    ]


_ISO = ("%Y-%m-%d", "ISO8601")  # pandas' name for the ISO forms it reads

CHECKS = (missing, high_cardinality, dates_read)
