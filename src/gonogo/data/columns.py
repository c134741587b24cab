"""The columns a spec's `features` and `exclude` name: by name, by glob pattern (`M*`,
`P?_count`, `[AB]*`), and, in a features group, `*` for all the others.

An 85-column table should not need 85 names, and "every column but these" should be one
entry. A pattern never takes a column with a role (the label, time, entity, an excluded one,
an existing system's output); `*` takes what no other entry of any group takes, so a group
of the others and a named group never share a column and each can be tested on its own.
"""

from __future__ import annotations

import difflib

from gonogo.errors import SpecError
from gonogo.problem import OTHERS, is_pattern, matches


def not_found(place: str, column: str, columns: list[str]) -> SpecError:
    """A column the spec names is not in the table: the error, with the nearest name (the
    same in another case first)."""
    same = [c for c in columns if c.casefold() == column.casefold()]
    near = same or difflib.get_close_matches(column, columns, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    if len(columns) == 1 and any(mark in columns[0] for mark in ",;\t|"):
        hint = (
            f" (the file was read as one column, {columns[0][:40]!r}: is data.delimiter "
            "right? leave it out to have it sniffed)"
        )
    return SpecError(place, f"column {column!r} not found in the data{hint}")


def select(
    entries: list[str], columns: list[str], place: str, reserved: frozenset[str] = frozenset()
) -> list[str]:
    """The columns `entries` name, each once: a name as given, a pattern's matches (but the
    `reserved` ones) in the table's order; `*` is left to `groups`. A name that is not a
    column, or a pattern that matches none, is a SpecError naming the entry."""
    out: list[str] = []
    for i, entry in enumerate(entries):
        if entry in columns:
            out.append(entry)
        elif entry == OTHERS:
            continue
        elif not is_pattern(entry):
            raise not_found(f"{place}[{i}]", entry, columns)
        else:
            found = [c for c in columns if c not in reserved and matches(entry, c)]
            if not found:
                raise SpecError(f"{place}[{i}]", f"pattern {entry!r} matches no column")
            out += found
    return list(dict.fromkeys(out))


def groups(
    features: dict[str, list[str]], columns: list[str], reserved: frozenset[str], place: str
) -> dict[str, tuple[str, ...]]:
    """Each features group's columns; a group listing `*` also takes every column that no
    entry of any group takes and that has no role."""
    catch_all = [g for g, entries in features.items() if OTHERS in entries]
    if len(catch_all) > 1:
        raise SpecError(
            f"{place}.{catch_all[1]}", f"'{OTHERS}' is all the others: one group only may list it"
        )
    named = {g: select(e, columns, f"{place}.{g}", reserved) for g, e in features.items()}
    taken = reserved | {c for cols in named.values() for c in cols}
    others = [c for c in columns if c not in taken]
    return {
        g: tuple(dict.fromkeys(named[g] + (others if OTHERS in entries else [])))
        for g, entries in features.items()
    }
