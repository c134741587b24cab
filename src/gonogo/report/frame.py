"""The talk's terminology filled in from the spec and the data (slides 8-14)."""

from __future__ import annotations

from gonogo.problem import Problem
from gonogo.result import Result


def _example(r: Result) -> str:
    """One row; a time or an entity says what a row is about, not that it is the only one
    (15,402 bookings share 426 arrival dates; a subject takes several tests)."""
    d = r.data
    about = [f"its {c}" for c in (d.entity, d.time) if c]
    return "one row of the table" + (f", with {' and '.join(about)}" if about else "")


def _unlabeled(r: Result) -> str:
    d = r.data
    when = f", at a {d.time} still to come" if d.time else ""
    return f"the features of a new row{when}, when the decision is made; the label is not known yet"


def _output(r: Result) -> str:
    d = r.data
    if d.task == "regression":
        return f"a number: the predicted {d.label}"
    if d.task == "binary":
        return f"the probability that {d.label} is {d.classes[-1]!r}"
    return f"a probability for each of {len(d.classes)} classes of {d.label}"


def _costs(p: Problem) -> list[tuple[str, str]]:
    """The decision's prices, as given, when the spec gives them."""
    c = p.decision.costs
    if c is None:
        return []
    given = c.model_dump(exclude_none=True, exclude={"unit"})
    text = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in given.items())
    return [("Cost of each outcome" + (f" ({c.unit})" if c.unit else ""), text)]


def terms(r: Result) -> list[tuple[str, str]]:
    """(term, meaning here) pairs, in the talk's order."""
    d, p = r.data, r.problem
    groups = "; ".join(f"{g}: {', '.join(cols)}" for g, cols in d.groups.items())
    out = [
        ("Question", p.question or "(not stated)"),
        ("Decision it drives", p.decision.what or "(not stated)"),
        *_costs(p),
        (
            "Label (y)",
            f"{d.label} — {d.task}" + (f", classes {', '.join(d.classes)}" if d.classes else ""),
        ),
        ("Features (x)", groups),
        ("Example (x)", _example(r)),
        (
            "Labeled examples (x, y)",
            f"{d.rows:,}: {d.train:,} to learn from, {d.holdout:,} held out ({d.split} split)",
        ),
        (
            "Unlabeled examples (x, ?)",
            _unlabeled(r),
        ),
        ("Output (y')", _output(r)),
        (
            "Success",
            f"{r.metric.name}, at least {p.success.min_improvement:.0%} better than "
            "the best heuristic"
            + (f" and reaching {p.success.target:g}" if p.success.target is not None else ""),
        ),
    ]
    return out
