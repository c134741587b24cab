"""The data gate: what is wrong with new data, against the schema and the training data.

Like TFX's ExampleValidator, every anomaly is listed, not just the first: a column missing, a
new column, a changed type, categories the schema has not seen (with their share), values out
of the training range, more missing values than in training, a row count far from training's,
and each column whose distribution drifted (`gonogo.data.drift`). A `block` finding fails the
gate; a `warn` is reported and lets the data through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gonogo.checks.finding import Finding
from gonogo.data.drift import drift
from gonogo.data.schema import Field, InputSchema
from gonogo.data.statistics import ColumnStats, Statistics
from gonogo.metrics import share
from gonogo.problem import GateSpec

Check = Callable[[Field, ColumnStats, ColumnStats, GateSpec], Finding | None]


def _type(field: Field, ref: ColumnStats, cur: ColumnStats, limits: GateSpec) -> Finding | None:
    if cur.kind == field.kind:
        return None
    return Finding(
        "data.type_change",
        "block",
        f"{field.name} was {field.kind}, is now {cur.kind}",
        (field.name,),
        {"expected": field.kind, "found": cur.kind},
    )


def _unseen(field: Field, ref: ColumnStats, cur: ColumnStats, limits: GateSpec) -> Finding | None:
    if field.categories is None or cur.kind != "text" or not cur.present:
        return None
    known = set(field.categories)
    new = {v: n for v, n in cur.counts.items() if v not in known}
    unseen = (sum(new.values()) + cur.other) / cur.present
    if not new and not cur.other:
        return None
    shown = ", ".join(repr(v) for v in sorted(new, key=lambda v: -new[v])[:3])
    many = f"{len(new)} {'category' if len(new) == 1 else 'categories'}" if new else "categories"
    return Finding(
        "data.unseen_categories",
        "block" if unseen > limits.unseen else "warn",
        f"{field.name} has {many} the schema has not seen{f' ({shown})' if new else ''} in "
        f"{share(unseen)} of its values",
        (field.name,),
        {"categories": sorted(new), "share": unseen},
    )


def _range(field: Field, ref: ColumnStats, cur: ColumnStats, limits: GateSpec) -> Finding | None:
    """Numbers outside the schema's range (the training range unless edited). Dates are left
    out: a new span's dates lie after training's by design."""
    low = field.minimum if field.minimum is not None else ref.minimum
    high = field.maximum if field.maximum is not None else ref.maximum
    if field.kind != "number" or low is None or high is None or not len(cur.sample):
        return None
    outside = float(((cur.sample < low) | (cur.sample > high)).mean())
    if outside <= limits.out_of_range:
        return None
    return Finding(
        "data.out_of_range",
        "block",
        f"{outside:.1%} of {field.name} lies outside the range [{low:.6g}, {high:.6g}] "
        f"(now [{cur.minimum:.6g}, {cur.maximum:.6g}]); if it follows time by design "
        f"(a year, a running total), give it gate.columns.{field.name}.out_of_range",
        (field.name,),
        {"share": outside, "range": [low, high]},
    )


def _missing(field: Field, ref: ColumnStats, cur: ColumnStats, limits: GateSpec) -> Finding | None:
    rise = cur.missing_share - ref.missing_share
    if rise <= limits.missing_rise and (field.optional or not cur.missing):
        return None
    return Finding(
        "data.missing_rising",
        "block",
        f"{field.name} is missing in {cur.missing_share:.1%} of rows "
        f"(training: {ref.missing_share:.1%})",
        (field.name,),
        {"share": cur.missing_share, "training": ref.missing_share},
    )


def _drift(field: Field, ref: ColumnStats, cur: ColumnStats, limits: GateSpec) -> Finding | None:
    if field.kind == "datetime":  # a new span is later by design
        return None
    moved = drift(ref, cur)
    if moved is None or not moved.beyond(limits.drift):
        return None
    return Finding(
        "data.drift",
        "block",
        f"{field.name} drifted: {moved.method} distance {moved.distance:.3f} "
        f"(threshold {limits.drift}; samples of training reach {moved.chance:.3f} by chance)",
        (field.name,),
        {
            "method": moved.method,
            "distance": moved.distance,
            "threshold": limits.drift,
            "chance": moved.chance,
        },
    )


CHECKS: tuple[Check, ...] = (_type, _unseen, _range, _missing, _drift)
# Dates written as text: every new span brings days training never held, by design.
DATED: tuple[Check, ...] = (_type, _missing)


def _columns(schema: InputSchema, current: Statistics) -> list[Finding]:
    missing = [n for n in schema.names if n not in current.columns]
    new = [n for n in current.columns if n not in schema.names]
    out = [Finding("data.missing_column", "block", f"{n} is missing", (n,)) for n in missing]
    return out + [
        Finding("data.new_column", "warn", f"{n} is new: the schema does not know it", (n,))
        for n in new
    ]


def missing_in_files(schema: InputSchema, files: dict[str, list[str]]) -> list[Finding]:
    """A column of the schema that some of the new files hold and another does not (dropped
    or renamed in one delivery), named with that file: over all the new files together it
    would read as missing values only."""
    held = set().union(*files.values()) if files else set()
    return [
        Finding("data.missing_column", "block", f"{name} is missing from {file}", (name,))
        for file, columns in files.items()
        for name in schema.names
        if name in held and name not in columns
    ]


def _rows(expected: float, current: Statistics, limits: GateSpec) -> list[Finding]:
    ratio = current.rows / expected
    if 1 / limits.rows_ratio <= ratio <= limits.rows_ratio:
        return []
    return [
        Finding(
            "data.row_count",
            "warn",
            f"{current.rows:,} new rows against about {expected:,.0f}, training's rows a file "
            f"times the new files ({ratio:.2g}×); spans of other lengths differ by design "
            "(gate.rows_ratio)",
            evidence={"rows": current.rows, "expected": expected},
        )
    ]


def data_gate(
    schema: InputSchema,
    reference: Statistics,
    current: Statistics,
    limits: GateSpec | None = None,
    share: float = 1.0,
    dates: frozenset[str] = frozenset(),
    label: str | None = None,
) -> list[Finding]:
    """Every anomaly of `current` against the schema and the training `reference`, within the
    spec's `gate` limits (a column's own, where it has them). `current` is expected to hold
    `share` times training's rows (e.g. one new file of the training's three: 1/3). Columns
    in `dates` are read as dates: as text, their new values are neither unseen categories nor
    drift. The `label` drifting or leaving its range is said, and lets the data through: it
    is the world the model gate judges the new model in, not an input gone wrong."""
    limits = limits or GateSpec()
    found = _columns(schema, current) + _rows(reference.rows * share, current, limits)
    for field in schema.fields:
        if field.name not in current.columns or field.name not in reference.columns:
            continue
        ref, cur = reference.columns[field.name], current.columns[field.name]
        checks = DATED if field.name in dates else CHECKS
        own = limits.of(field.name)
        made = [f for check in checks if (f := check(field, ref, cur, own)) is not None]
        found += [_as_label(f) for f in made] if field.name == label else made
    return found


def _as_label(finding: Finding) -> Finding:
    if finding.check not in ("data.drift", "data.out_of_range"):
        return finding
    said = f"{finding.message}; it is the label: the model gate judges the new model on it"
    return replace(finding, severity="warn", message=said)


def passes(findings: list[Finding]) -> bool:
    """Whether the data goes through: nothing blocks."""
    return not any(f.severity == "block" for f in findings)
