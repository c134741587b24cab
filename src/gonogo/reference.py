"""The problem spec's reference (`docs/spec.md`), generated from the spec's models.

Every key, its type, default and description come from the pydantic models of
`gonogo.problem` (a field's docstring is its description), the expression grammar from the
expression evaluator, the derived columns from the calendar: a test regenerates the page and
fails when it differs from the committed one, so the reference cannot drift from the code.
`python -m gonogo.reference > docs/spec.md` (or `make docs`) writes it.
"""

from __future__ import annotations

import json
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from gonogo.candidates.expression import ALLOWED
from gonogo.data.derive import calendar_columns
from gonogo.problem import OTHERS, sections

_BOUNDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def _type(annotation: Any) -> str:
    """An annotation in a reader's words."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type(args[0])
    if origin in (Union, types.UnionType):
        shown = [_type(a) for a in args if a is not type(None)]
        return " or ".join(shown)
    if origin is Literal:
        return " \\| ".join(f"`{json.dumps(a)}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping (below)"
    if annotation is Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


def _rules(annotation: Any) -> list[Any]:
    """The constraints inside an annotation (`Annotated[float, Field(ge=0)] | None`)."""
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        given = [r for a in args[1:] for r in (a.metadata if isinstance(a, FieldInfo) else [a])]
        return given + _rules(args[0])
    return [r for a in args for r in _rules(a)] if get_origin(annotation) is not Literal else []


def _bounds(field: FieldInfo) -> str:
    found = []
    for rule in [*field.metadata, *_rules(field.annotation)]:
        for name, sign in _BOUNDS.items():
            if getattr(rule, name, None) is not None:
                found.append(f"{sign} {getattr(rule, name)}")
        for name, word in (("min_length", "length ≥"), ("max_length", "length ≤")):
            if getattr(rule, name, None) is not None:
                found.append(f"{word} {getattr(rule, name)}")
    return f" ({', '.join(found)})" if found else ""


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined:
        return "**required**"
    if isinstance(field.default, BaseModel):
        return "(defaults below)"
    return f"`{json.dumps(field.default, ensure_ascii=False)}`"


def _text(field: FieldInfo) -> str:
    text = " ".join((field.description or "").split())
    return text.replace("|", "\\|")


def _table(model: type[BaseModel]) -> list[str]:
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key, kind = field.alias or name, _type(field.annotation)
        rows.append(f"| `{key}` | {kind}{_bounds(field)} | {_default(field)} | {_text(field)} |")
    return rows


def _section(path: str, model: type[BaseModel]) -> list[str]:
    title = f"`{path}`" if path else "Top level"
    about = " ".join((model.__doc__ or "").split())
    return [f"## {title}", "", about, "", *_table(model), ""]


_DERIVED = f"""## Derived groups

With `data.time`, gonogo adds two feature groups of the time column: `calendar` and `trend`
(each also tested as a hypothesis). A group given in `derive` replaces the one of its kind;
`derive: {{trend: false}}` switches one off. When a `features` group already has the name
`calendar` or `trend`, the added group is named after the column instead (`date_calendar`).
A group named in `derive` is a feature group of its own, so it cannot share its name with a
`features` group or a column baseline: rename one of them.

- `calendar`: {", ".join(f"`{c}`" for c in calendar_columns(hours=True, holidays=True))}.
  `hour` (the time of day in hours, to the minute: 7.5 is half past seven) only when
  timestamps carry a time of day, `holiday` only with a `country`; only
  `month` and `year` when every date falls on the same day of the month, or on the last
  (monthly data). A cyclic part only when the dates span two of its cycles (`month`,
  `day_of_year` and `year` two years, `day_of_week` two weeks, `hour` two days): seen
  once, its effect is only the level of that stretch of time. Day of week and month are
  categories. A derived column whose name a data column already has is prefixed with its
  source (`date_month`).
- `trend`: `trend`, the days elapsed since the first date of the training data.
"""

_PATTERNS = f"""## Column patterns

Entries of `features` groups and of `exclude` are column names or glob patterns: `*` any
characters, `?` one, `[AB]` one of a set (`M*`, `P?_count`). A pattern never takes the label,
the time or entity column, an excluded column or a column baseline's; `{OTHERS}` alone in a
group takes every column no other entry of any group takes. A name that is no column, or a
pattern that matches none, is an error naming the entry.
"""


def _expressions() -> str:
    return f"""## Expressions

A baseline's `expression` is read with Python's parser and walked against a whitelist, never
run: {ALLOWED}. Column names are used as they are (`Clark_Lake * 1.02`, `calls >= 4 and
plan == 'basic'`, `max(temp, 0)`), or in backticks when they are not Python names, as in
pandas' query (`` `oc.gc` <= `oc.gr` ``); a binary baseline's expression gives a class, a
probability in [0, 1], or any score (ranked by rank metrics, calibrated for the others).
"""


def render() -> str:
    """The whole reference, as Markdown."""
    head = [
        "# The problem spec",
        "",
        "Generated from `src/gonogo/problem.py` by `make docs`; a test fails when this page and",
        "the code disagree. A key the spec does not know is an error naming the nearest one.",
        "",
    ]
    body = [line for path, model in sections() for line in _section(path, model)]
    text = "\n".join([*head, *body, _DERIVED, _PATTERNS, _expressions()])
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
