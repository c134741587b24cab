"""Reading dates written as text: one format for the whole column, never value by value.

Parsed value by value, `08/01/2014` and `13/01/2014` in one column become 1 August and 13
January: time order and calendar features are scrambled and the run still finishes. So a
column's format is inferred once (ISO 8601 first, then the formats its first value can have),
kept only when it reads every value, and refused when both a day-first and a month-first
format read the column differently; `data.date_format` settles it. The format found is kept
with what was derived from the column, so a server reads its requests the same way.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from gonogo.data.sources import first_line
from gonogo.errors import DataError
from gonogo.problem import Problem

ISO = "ISO8601"
MIXED = "mixed"  # a spec's word for ISO dates mixed with another format: inferred, as always
YEAR = "%Y"
# Quarters as R's tsibble and spreadsheets write them (`1998 Q1`, `1998Q1`, `1998-Q1`), each
# read as its first day; pandas has no directive for a quarter, so this one is gonogo's own.
QUARTER = "%Y Q%q"
_QUARTER = r"\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*"
# pandas guesses no format with a two-digit year (`8/6/20 18:57`, as spreadsheets export):
# these orders and times of day are tried for a value it cannot guess. Year first only with
# dashes: `31/12/20` read as 2031 December 20 would make every day-first column ambiguous.
_SHORT_YEARS = tuple(
    f"{a}{sep}{b}{sep}{c}{hours}"
    for sep in "/-."
    for a, b, c in (("%m", "%d", "%y"), ("%d", "%m", "%y"), ("%y", "%m", "%d"))
    if sep == "-" or a != "%y"
    for hours in ("", " %H:%M", " %H:%M:%S")
)


def parse(values: pd.Series, place: str, fmt: str | None = None) -> tuple[pd.Series, str | None]:
    """The column as datetimes, and the format it was read with (None for values that were
    not text); raises DataError naming the column on a missing or unreadable date."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return _complete(values, values, place, ""), None
    if years(values):  # a panel's years: each read as its 1 January
        text = values.astype("Int64").astype("string")
        return _complete(pd.to_datetime(text, format=YEAR), values, place, ""), YEAR
    if not _textual(values) and values.notna().any():  # read as nanoseconds since 1970
        held = "booleans" if pd.api.types.is_bool_dtype(values) else "numbers"
        raise DataError(
            place,
            f"column {values.name!r} holds {held}, not dates; expected dates, years as whole "
            "numbers (1000 to 2999), or dates written as text (2001-01-31)",
        )
    if fmt == QUARTER or (fmt is None and quarters(values)):
        return _complete(_quarter_starts(values), values, place, f" (format {QUARTER!r})"), QUARTER
    given = None if fmt == MIXED else fmt
    fmt = given or infer(values, place)
    try:
        parsed = _read(values, fmt)
    except (ValueError, TypeError) as err:
        if "Mixed timezones" in str(err):  # read as one zone, a local hour would shift
            raise DataError(
                place,
                f"column {values.name!r} mixes UTC offsets or time zones; expected one: write "
                "them all in UTC (2021-03-28T01:30Z) or all as local times without an offset",
            ) from None
        raise DataError(place, f"date format {fmt!r} does not work: {first_line(err)}") from None
    parsed = _complete(parsed, values, place, _how(fmt, given, parsed, values))
    if not given and "%y" in fmt:
        _no_future(parsed, values, place, fmt)
    return parsed, fmt


def zone_of(parsed: pd.Series) -> str | None:
    """The zone dates were written in, as pandas and Arrow both read it (`UTC`, `-05:00`, an
    IANA name); None for dates without one."""
    tz = parsed.dt.tz
    if tz is None:
        return None
    name = str(tz)
    return name.removeprefix("UTC") if name.startswith("UTC") and name != "UTC" else name


def on_clock(parsed: pd.Series, zone: str | None) -> pd.Series:
    """Dates as wall-clock times of `zone`, the zone of the dates a model learned from: a date
    written with a zone or offset is converted to it first (the same instant gives the same
    hour, whatever offset a client writes it with); a date without one is taken as written."""
    if parsed.dt.tz is None:
        return parsed
    zoned = parsed.dt.tz_convert(zone) if zone is not None else parsed
    wall: pd.Series = zoned.dt.tz_localize(None)
    return wall


def _read(values: pd.Series, fmt: str) -> pd.Series:
    """Each value in the format, or in ISO 8601 when the format does not read it: a column
    written two ways (a spreadsheet's edits, rows a server gets from JSON clients) has ISO
    dates beside the others, and no other format reads an ISO date the same. Only whole ISO
    dates (`1967-08-01`, with a time or not): `1967` alone would be read as 1 January. The
    two readings must agree on the zone, as a column of one format must."""
    parsed = pd.to_datetime(values, errors="coerce", format=fmt)
    unread = parsed.isna() & values.notna()
    if fmt == ISO or not unread.any():
        return parsed
    whole = unread & values.astype("string").str.match(_WHOLE_ISO).fillna(False).astype(bool)
    iso = pd.to_datetime(values.where(whole), errors="coerce", format=ISO)
    if iso.notna().any() and parsed.notna().any() and str(iso.dt.tz) != str(parsed.dt.tz):
        raise ValueError("Mixed timezones: ISO dates in another zone than the others")
    return parsed.where(parsed.notna(), iso) if parsed.notna().any() else iso


_WHOLE_ISO = r"\s*\d{4}-\d{2}-\d{2}"


def value_by_value(values: pd.Series, place: str) -> pd.Series:
    """Dates read value by value (month first where a value could be either), as an earlier
    gonogo read a column of the format `mixed` and saved that word with the model: such a
    model serves as it was trained. A model trained now saves the format inferred."""
    parsed = pd.to_datetime(values, errors="coerce", format=MIXED)
    return _complete(parsed, values, place, f" (format {MIXED!r})")


def shown(when: pd.Timestamp) -> str:
    """A moment as a reader writes it: its date, and its time of day (to the minute) when it
    has one."""
    when = when.round("min")
    return f"{when:%Y-%m-%d}" if when == when.normalize() else f"{when:%Y-%m-%d %H:%M}"


def time_of(problem: Problem, values: pd.Series) -> pd.Series:
    """The column of `data.time` read as dates, an error named after data.time."""
    return parse(values, f"{problem.source}: data.time", problem.data.date_format)[0]


def _how(fmt: str, given: str | None, parsed: pd.Series, values: pd.Series) -> str:
    """How a text column was read, for an error naming a value that was not."""
    if given:
        return f" (format {fmt!r})"
    if parsed.isna().all() and values.notna().any():
        return " (no date format found that reads them; set data.date_format, e.g. '%d/%m/%Y')"
    iso = "" if fmt == ISO else ", or ISO 8601 where it reads no date"
    return f" (format {fmt!r} inferred{iso}; set data.date_format if it is another)"


def _no_future(parsed: pd.Series, values: pd.Series, place: str, fmt: str) -> None:
    """Two-digit years from 00 to 68 are read as 2000-2068: on dates of the 1960s that puts
    some in the future and scrambles the time order, which the spec must settle."""
    now = pd.Timestamp.now(tz=parsed.dt.tz)
    late = parsed > now + pd.DateOffset(years=1)
    if late.any():
        raise DataError(
            place,
            f"column {values.name!r} has two-digit years, and read as {fmt!r} "
            f"{values[late].iloc[0]!r} lies in {parsed[late].iloc[0].year}; write four-digit "
            "years or set data.date_format",
        )


def years(values: pd.Series) -> bool:
    """Whole numbers that can only be years: from 1000 to 2999 (a missing one is named as
    missing dates are)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    known = values.dropna().to_numpy(dtype=np.float64)
    return (
        len(known) > 0
        and bool(np.all(known == np.round(known)))
        and bool(np.all((known >= 1000) & (known <= 2999)))
    )


def quarters(values: pd.Series) -> bool:
    """Whether every value is a quarter as written (`1998 Q1`, `1998-Q1`)."""
    known = values.dropna().astype(str)
    return len(known) > 0 and bool(known.str.fullmatch(_QUARTER).all())


def _quarter_starts(values: pd.Series) -> pd.Series:
    """Each quarter's first day; none where a value is not a quarter."""
    parts = values.astype("string").str.extract(f"^{_QUARTER}$").dropna()
    starts = pd.Series(pd.NaT, index=values.index, name=values.name, dtype="datetime64[ns]")
    months = 3 * parts[1].astype(int) - 2
    starts[parts.index] = pd.to_datetime(parts[0] + "-" + months.astype(str), format="%Y-%m")
    return starts


def _textual(values: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _complete(parsed: pd.Series, values: pd.Series, place: str, how: str) -> pd.Series:
    """`parsed`, unless a date is missing or unread: then the error, with `how` it was read."""
    bad = parsed.isna()
    if bad.any():
        unread = values[bad & values.notna()]
        example = f", e.g. {unread.iloc[0]!r}" if len(unread) else ""
        raise DataError(
            place,
            f"column {values.name!r} has {int(bad.sum())} missing or unparsable dates{how}"
            + example,
        )
    return parsed


def infer(values: pd.Series, place: str) -> str:
    """The one format that reads every value of a text column of dates that ISO 8601 does
    not read (ISO itself when it reads them all, as `max` of nothing); when none does, the
    one that reads the most, for the caller to name a value it cannot read."""
    seen, reads = guesses(values)
    fits = [(f, read) for f, read in reads.items() if read.notna().all()]
    if not fits:
        return max(reads, key=lambda f: int(np.sum(reads[f].notna())), default=ISO)
    (fmt, read), *others = fits
    for other, again in others:
        differ = np.flatnonzero(np.asarray(read != again))
        if len(differ):
            i = differ[0]
            raise DataError(
                place,
                f"column {values.name!r} reads as both {fmt!r} and {other!r}: "
                f"{seen[i]!r} is {read[i]:%-d %B %Y} or {again[i]:%-d %B %Y}; "
                "set data.date_format to the one it uses",
            )
    return fmt


def guesses(values: pd.Series) -> tuple[np.ndarray, dict[str, pd.DatetimeIndex]]:
    """The distinct values ISO 8601 does not read, and what each format their first one may
    be written in reads of them (none when ISO reads every value)."""
    seen = pd.unique(values.dropna().astype(str).to_numpy())
    seen = seen[_reads(seen, ISO).isna()] if len(seen) else seen
    return seen, ({f: _reads(seen, f) for f in _guesses(str(seen[0]))} if len(seen) else {})


def _reads(seen: np.ndarray, fmt: str) -> pd.DatetimeIndex:
    """The values read in the format; none where pandas refuses the whole column (mixed UTC
    offsets, say), for `parse` to name."""
    try:
        return pd.DatetimeIndex(pd.to_datetime(seen, errors="coerce", format=fmt))
    except (ValueError, TypeError):
        return pd.DatetimeIndex([pd.NaT] * len(seen))


def _guesses(first: str) -> list[str]:
    """The formats the value may be written in, month-first and day-first; a year-day-month
    order, which no one writes, is left out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        found = [guess_datetime_format(first, dayfirst=d) for d in (False, True)]
    if not any(found):
        found = [f for f in _SHORT_YEARS if _reads(np.array([first]), f).notna().all()]
    return [f for f in dict.fromkeys(found) if f is not None and not _year_day_month(f)]


def _year_day_month(fmt: str) -> bool:
    at = {d: fmt.find(d) for d in ("%Y", "%d", "%m")}
    return -1 < at["%Y"] < at["%d"] < at["%m"]
