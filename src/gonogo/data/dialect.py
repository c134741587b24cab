"""A delimited text file's dialect: its delimiter, decimal mark and encoding.

Given in the spec (`data.delimiter`, `data.decimal`) or sniffed from the file's first lines, so
a semicolon-separated export with decimal commas reads as the table it is instead of one
column, and an error that is a dialect problem says so. Every dialect reads blank cells and
the usual NA spellings as missing values, in text columns too: a blank label is a missing
label, never a class named ''.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gonogo.data.schema import InputSchema
from gonogo.errors import DataError
from gonogo.problem import Problem

if TYPE_CHECKING:
    import pyarrow.csv as pacsv

DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SAMPLE = 64 * 1024
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_DECIMAL_POINT = re.compile(r"^\s*[+-]?\d*\.\d+\s*$")
_GROUPED = re.compile(r"^\s*[+-]?\d{1,3}(\.\d{3})+(,\d+)?\s*$")  # 132.500 or 1.234,5
_COMMA_GROUPED = re.compile(r"^\s*[+-]?\d{1,3}(,\d{3})+(\.\d+)?\s*$")  # 111,000 or 1,234.5
_PLAIN = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_MISSING = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "-", "?"})


@dataclass(frozen=True)
class Given:
    """What a spec says of its files' dialect; what it leaves out (None) is sniffed. `text`:
    columns read as written, whatever Arrow would make of them."""

    delimiter: str | None = None
    decimal: str | None = None
    text: frozenset[str] = frozenset()


SNIFF = Given()
PARTS = ("delimiter", "decimal")


def given(problem: Problem) -> Given:
    return Given(problem.data.delimiter, problem.data.decimal)


def training(problem: Problem) -> Given:
    """The dialect a run reads its data in: the time column as written, for gonogo's date
    reader. Arrow's own reading of it ignored `data.date_format` (2003-12-01 written as
    %Y-%d-%m became December) and turned offsets from UTC into UTC without a word, where
    gonogo refuses a column that mixes them. The time is never a model input, so the models
    read what they read before."""
    time = problem.data.time
    return replace(given(problem), text=frozenset() if time is None else frozenset({time}))


def predicting(schema: InputSchema) -> Given:
    """The dialect rows to predict are read in: the columns a model read as text, as written,
    as its training read them (a time column's offsets as written, not turned into UTC)."""
    return Given(text=frozenset(f.name for f in schema.fields if f.kind == "text"))


@dataclass(frozen=True)
class Dialect:
    """How a file's text splits into cells and numbers; `sniffed`: the parts gonogo guessed
    ("delimiter", "decimal"), the others given."""

    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf8"
    sniffed: tuple[str, ...] = ()
    text: frozenset[str] = frozenset()

    def describe(self) -> str:
        name = _NAMES.get(self.delimiter, repr(self.delimiter))
        how = {part: "sniffed" if part in self.sniffed else "given" for part in PARTS}
        if len(self.sniffed) == 1:  # say which
            return (
                f"{name}-delimited ({how['delimiter']}) with decimal {self.decimal!r} "
                f"({how['decimal']})"
            )
        return f"{name}-delimited with decimal {self.decimal!r} ({how['decimal']})"

    def options(self) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
        """Arrow's reading, parsing and conversion options for the dialect."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        return (
            pacsv.ReadOptions(encoding=self.encoding),
            pacsv.ParseOptions(delimiter=self.delimiter),
            pacsv.ConvertOptions(
                decimal_point=self.decimal,
                strings_can_be_null=True,
                column_types=dict.fromkeys(self.text, pa.string()),
            ),
        )


def of(path: Path, place: str, given: Given = SNIFF) -> Dialect:
    """The dialect of the file at `path`: what is given, the rest sniffed from its start (a
    .tsv file is tab-delimited)."""
    head = _head(path, place)
    encoding = _encoding(head, len(head) == _SAMPLE)
    lines = _lines(head.decode(encoding, errors="replace"), len(head) == _SAMPLE)
    delimiter = given.delimiter
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else _delimiter(lines)
    rows = _fields(lines, delimiter)
    decimal = given.decimal or _decimal(rows, delimiter)
    _ungrouped(rows, decimal, path, place)
    sniffed = tuple(part for part in PARTS if getattr(given, part) is None)
    return Dialect(delimiter, decimal, encoding, sniffed, given.text)


def _head(path: Path, place: str) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(_SAMPLE)
    except OSError as err:
        raise DataError(place, f"cannot read {path.name}: {err.strerror or err}") from None


def _encoding(head: bytes, cut: bool) -> str:
    """UTF-8 when the start decodes as such (a character the sample cut at its end aside),
    else Windows-1252, the usual encoding of a spreadsheet's export that is not UTF-8. (A
    file whose start is plain ASCII is read as UTF-8 first; see `sources`.) UTF-16 when a
    byte-order mark says so: Excel's "Unicode text" export."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf8")
    except UnicodeDecodeError as err:
        if not (cut and err.start >= len(head) - 3):
            return "cp1252"
    return "utf8"


def windows(how: Dialect) -> Dialect:
    """The same dialect read as Windows-1252: for a file found not to be UTF-8 after its
    start."""
    return replace(how, encoding="cp1252")


def _lines(text: str, cut: bool) -> list[str]:
    """The sample's lines, without a last one the sample may have cut short."""
    lines = text.splitlines()
    return lines[:-1] if cut and len(lines) > 1 else lines


def _fields(lines: list[str], delimiter: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter) if row]


def _delimiter(lines: list[str]) -> str:
    """The candidate that splits every line into the same number (above one) of fields, the
    most such; failing that, the one that splits the header most, for Arrow to name the line
    that disagrees."""
    widths = {d: [len(r) for r in _fields(lines, d)] for d in DELIMITERS}
    steady = [d for d, w in widths.items() if w and w[0] > 1 and len(set(w)) == 1]
    pool = steady or list(DELIMITERS)
    return max(pool, key=lambda d: widths[d][0] if widths[d] else 0)


def _decimal(rows: list[list[str]], delimiter: str) -> str:
    """',' when numbers in the cells are written only with decimal commas."""
    if delimiter == ",":
        return "."
    cells = [c for row in rows[1:] for c in row]
    commas = any(_DECIMAL_COMMA.match(c) for c in cells)
    points = any(_DECIMAL_POINT.match(c) and not _GROUPED.match(c) for c in cells)
    return "," if commas and not points else "."


def _ungrouped(rows: list[list[str]], decimal: str, path: Path, place: str) -> None:
    """Refuse numbers with a thousands separator, which Arrow does not read: thousands
    grouped with points in a file of decimal commas (132.500 would be text, or 132.5 beside
    0,09 read as text), and a column of numbers grouped with commas in a file of decimal
    points ("111,000" would be text: a label of counts became 294 classes)."""
    if not rows:
        return
    found = _point_grouped(rows) if decimal == "," else _comma_grouped(rows)
    if found is not None:
        mark = "points" if decimal == "," else "commas"
        beside = " beside decimal commas" if decimal == "," else ""
        raise DataError(
            place,
            f"{path.name}: column {found[0]!r} writes thousands with {mark} "
            f"({found[1].strip()!r}){beside}; gonogo reads no thousands separator: save the "
            "numbers without one",
        )


def _point_grouped(rows: list[list[str]]) -> tuple[str, str] | None:
    """The first column, and its cell, with a number grouped with points."""
    cells = ((n, c) for r in rows[1:] for n, c in zip(rows[0], r, strict=False))
    return next(((n, c) for n, c in cells if _GROUPED.match(c)), None)


def _comma_grouped(rows: list[list[str]]) -> tuple[str, str] | None:
    """The first column, and a cell of it, whose cells are all numbers and some of them
    grouped with commas (a column of text that holds a '1,000' here and there is text)."""
    for i, name in enumerate(rows[0]):
        cells = [r[i] for r in rows[1:] if i < len(r) and r[i].strip().lower() not in _MISSING]
        grouped = [c for c in cells if _COMMA_GROUPED.match(c)]
        if grouped and all(_COMMA_GROUPED.match(c) or _PLAIN.match(c) for c in cells):
            return name, grouped[0]
    return None
