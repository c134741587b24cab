"""Statistics per column, streamed over Arrow record batches.

Memory is bounded by a few batches, not the table: counts, missing values, ranges and sums are
folded batch by batch; each numeric column keeps a uniform sample of bounded size (the rows
with the smallest random keys, which is a reservoir sample whatever the batch sizes) for the
distribution tests of drift; each text column keeps its level counts, up to a bound. Dates and
durations are numbers (seconds); booleans count as 0/1.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gonogo.data.dialect import SNIFF, Given
from gonogo.data.schema import MAX_CATEGORIES, Field, InputSchema, Kind
from gonogo.data.sources import ahead, batches, file_format, first_line, form_of, unreadable
from gonogo.errors import DataError

SAMPLE = 10_000  # values kept per numeric column for the distribution tests
MAX_LEVELS = 10_000  # levels kept per text column; the rarest beyond pool into `other`
MERGE_EVERY = 16  # batches of level counts held before they are merged
BATCH = 65_536
Vector = np.ndarray[Any, np.dtype[np.float64]]


@dataclass
class ColumnStats:
    """One column's statistics; `sample` and `keys` are a uniform sample of its values."""

    name: str
    kind: Kind
    rows: int = 0
    missing: int = 0
    minimum: float | None = None
    maximum: float | None = None
    total: float = 0.0
    squares: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    other: int = 0
    sample: np.ndarray[Any, np.dtype[np.float64]] = field(
        default_factory=lambda: np.empty(0, np.float64)
    )
    keys: np.ndarray[Any, np.dtype[np.float64]] = field(
        default_factory=lambda: np.empty(0, np.float64)
    )

    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def missing_share(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    @property
    def mean(self) -> float | None:
        return self.total / self.present if self.present and self.kind != "text" else None

    @property
    def std(self) -> float | None:
        mean = self.mean
        if mean is None:
            return None
        return float(np.sqrt(max(self.squares / self.present - mean * mean, 0.0)))


@dataclass(frozen=True)
class Statistics:
    """Every column's statistics and the number of rows."""

    rows: int
    columns: dict[str, ColumnStats]

    def schema(self) -> InputSchema:
        """The schema these statistics suggest: each column's type, whether it had missing
        values, and its categories (when they were all counted). Numbers get no range: the
        training data's range moves with each model, so a bound is a team's decision to
        write into the file."""
        return InputSchema(tuple(_field(c) for c in self.columns.values()))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: what the pipeline keeps as the reference of later data gates."""
        return {"rows": self.rows, "columns": [_plain(c) for c in self.columns.values()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Statistics:
        columns = [_column(c) for c in data["columns"]]
        return cls(int(data["rows"]), {c.name: c for c in columns})


_SCALARS = ("name", "kind", "rows", "missing", "minimum", "maximum", "total", "squares", "other")


def _plain(stats: ColumnStats) -> dict[str, Any]:
    plain = {k: getattr(stats, k) for k in _SCALARS}
    return plain | {"counts": stats.counts, "sample": stats.sample.tolist()}


def _column(data: dict[str, Any]) -> ColumnStats:
    sample = np.asarray(data["sample"], np.float64)
    counts = {str(k): int(v) for k, v in data["counts"].items()}
    return ColumnStats(**{k: data[k] for k in _SCALARS}, counts=counts, sample=sample)


def _field(stats: ColumnStats) -> Field:
    listed = stats.kind == "text" and not stats.other and len(stats.counts) <= MAX_CATEGORIES
    return Field(
        stats.name, stats.kind, stats.missing > 0, tuple(sorted(stats.counts)) if listed else None
    )


def _kind(arrow_type: pa.DataType) -> Kind:
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return "datetime"
    if pa.types.is_duration(arrow_type):
        return "duration"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "number"
    if pa.types.is_decimal(arrow_type):
        return "number"
    return "text"


def _numbers(values: pa.Array, kind: Kind) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Values as float64, NaN where missing: seconds for dates and durations, 0/1 for
    booleans."""
    if kind == "datetime":
        values = pc.cast(pc.cast(values, pa.timestamp("s")), pa.int64())
    elif kind == "duration":
        values = pc.cast(pc.cast(values, pa.duration("s")), pa.int64())
    elif kind == "boolean":
        values = pc.cast(values, pa.int8())
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


class _Folder:
    """Folds batches into statistics."""

    def __init__(self, schema: pa.Schema, sample: int, seed: int) -> None:
        self.columns = {f.name: ColumnStats(f.name, _kind(f.type)) for f in schema}
        self.size = sample
        self.rng = np.random.default_rng(seed)
        self.pending: dict[str, list[pa.StructArray]] = {}

    def add(self, batch: pa.RecordBatch) -> None:
        # One random key per row, shared by the columns: each column's sample is still uniform
        # over its own values, at a fifteenth of the random draws.
        keys = self.rng.random(batch.num_rows)
        for name, stats in self.columns.items():
            index = batch.schema.get_field_index(name)
            if index < 0:
                raise DataError(name, "column missing from a later batch")
            self._column(stats, batch.column(index), keys)

    def _column(self, stats: ColumnStats, values: pa.Array, keys: Vector) -> None:
        stats.rows += len(values)
        stats.missing += values.null_count
        if stats.kind == "text":
            self._levels(stats, values)
            return
        numbers = _numbers(values, stats.kind)
        finite = np.isfinite(numbers)
        if not finite.all():
            numbers, keys = numbers[finite], keys[finite]
        if not len(numbers):
            return
        low, high = float(numbers.min()), float(numbers.max())
        stats.minimum = low if stats.minimum is None else min(stats.minimum, low)
        stats.maximum = high if stats.maximum is None else max(stats.maximum, high)
        stats.total += float(numbers.sum())
        stats.squares += float(np.dot(numbers, numbers))
        self._sample(stats, numbers, keys)

    def _sample(self, stats: ColumnStats, numbers: Vector, keys: Vector) -> None:
        if len(stats.keys) == self.size:  # full: only keys below the largest kept can enter
            entering = keys < stats.keys.max()
            numbers, keys = numbers[entering], keys[entering]
        keys = np.concatenate([stats.keys, keys])
        values = np.concatenate([stats.sample, numbers])
        if len(keys) > self.size:
            keep = np.argpartition(keys, self.size)[: self.size]
            keys, values = keys[keep], values[keep]
        stats.keys, stats.sample = keys, values

    def _levels(self, stats: ColumnStats, values: pa.Array) -> None:
        counted = pc.value_counts(pc.cast(pc.drop_null(values), pa.string()))
        pending = self.pending.setdefault(stats.name, [])
        pending.append(counted)
        if len(pending) >= MERGE_EVERY:  # memory stays bounded by the levels, not the batches
            self.pending[stats.name] = [_merge(pending)]

    def finish(self) -> dict[str, ColumnStats]:
        """The statistics, with each text column's counts merged; beyond `MAX_LEVELS` levels
        the rarest pool into `other`."""
        for name, pending in self.pending.items():
            merged = _merge(pending)
            counts = dict(
                zip(
                    merged.field("values").to_pylist(),
                    merged.field("counts").to_pylist(),
                    strict=True,
                )
            )
            kept = sorted(counts, key=lambda v: -counts[v])[:MAX_LEVELS]
            stats = self.columns[name]
            stats.counts = {v: counts[v] for v in kept}
            stats.other = sum(counts.values()) - sum(stats.counts.values())
        return self.columns


def _merge(counted: list[pa.StructArray]) -> pa.StructArray:
    """Level counts of several batches as one: the counts of each level summed."""
    table = pa.Table.from_struct_array(pa.concat_arrays(counted))
    summed = table.group_by("values").aggregate([("counts", "sum")])
    return pa.StructArray.from_arrays(
        [summed["values"].combine_chunks(), summed["counts_sum"].combine_chunks()],
        names=["values", "counts"],
    )


def compute(batches: Iterable[pa.RecordBatch], sample: int = SAMPLE, seed: int = 0) -> Statistics:
    """Statistics of a stream of record batches sharing one schema (the next one read while
    this one is folded)."""
    folder: _Folder | None = None
    rows = 0
    for batch in ahead(batches):
        folder = folder or _Folder(batch.schema, sample, seed)
        folder.add(batch)
        rows += batch.num_rows
    if folder is None:
        raise DataError("data", "no rows to describe")
    return Statistics(rows, folder.finish())


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """`batch` in the files' common schema: types widened, missing columns as nulls."""
    if batch.schema == schema:
        return batch
    have = set(batch.schema.names)
    columns = [
        batch.column(f.name).cast(f.type) if f.name in have else pa.nulls(batch.num_rows, f.type)
        for f in schema
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def file_schemas(paths: list[Path], place: str, given: Given = SNIFF) -> list[pa.Schema]:
    """Each file's Arrow schema (text files in the dialect `given` or sniffed); a DataError
    names a file that cannot be read."""
    form = form_of(paths, place)
    return [_schema_of(p, form, place, given) for p in paths]


def _schema_of(path: Path, form: str, place: str, given: Given) -> pa.Schema:
    import pyarrow.dataset as pads

    try:
        schema: pa.Schema = pads.dataset(
            str(path), format=file_format(path, form, place, given)
        ).schema
    except unreadable() as err:
        raise DataError(place, f"cannot read {path.name}: {first_line(err)}") from None
    return schema


def shown(paths: list[Path]) -> list[str]:
    """Each file's name, or its path from the files' common folder when names repeat
    (`*/deliveries.csv`)."""
    names = [p.name for p in paths]
    if len(set(names)) == len(names):
        return names
    common = Path(os.path.commonpath([str(p) for p in paths]))
    return [str(p.relative_to(common)) for p in paths]


def _disagreement(paths: list[Path], schemas: list[pa.Schema]) -> str:
    """Which column the files type differently, and how each file types it."""
    named = list(zip(shown(paths), schemas, strict=True))
    for name in dict.fromkeys(n for schema in schemas for n in schema.names):
        fields = [(file, s.field(name)) for file, s in named if name in s.names]
        try:
            pa.unify_schemas([pa.schema([f]) for _, f in fields], promote_options="permissive")
        except pa.ArrowTypeError:
            first: dict[str, str] = {}  # each type, and the first file typing it so
            for file, f in fields:
                first.setdefault(str(f.type), file)
            typed = ", ".join(f"{kind} in {file}" for kind, file in first.items())
            return f"column {name!r} is {typed}; expected one type in every file"
    return "the files disagree on a column's type"


def scan(
    paths: list[Path], place: str, batch_size: int = BATCH, given: Given = SNIFF
) -> Iterator[pa.RecordBatch]:
    """Record batches of the files (text files in the dialect `given` or sniffed), read
    lazily: memory bounded by the batch."""
    form = form_of(paths, place)
    schemas: list[pa.Schema] = []
    try:
        # One schema for files that differ (a column missing, integers in one and decimals in
        # the next): columns are unioned and types widened where no value is lost.
        schemas = file_schemas(paths, place, given)
        schema = pa.unify_schemas(schemas, promote_options="permissive")
    except pa.ArrowTypeError:
        raise DataError(place, _disagreement(paths, schemas)) from None
    except unreadable() as err:
        raise DataError(place, f"cannot read: {first_line(err)}") from None
    for path in paths:
        for batch in batches(path, form, place, batch_size, given=given):
            yield _conform(batch, schema)
