"""Dates written as text are read in one format per column, never value by value."""

from pathlib import Path

import pandas as pd
import pytest

from gonogo import DataError
from gonogo.data import dates
from gonogo.data.dataset import load
from gonogo.data.featurize import Featurizer
from gonogo.problem import parse_problem


def _parse(values: list, fmt: str | None = None) -> list[str]:
    parsed, _ = dates.parse(pd.Series(values, name="d"), "data.time", fmt)
    return parsed.dt.strftime("%Y-%m-%d").tolist()


@pytest.mark.parametrize(
    ("values", "read"),
    [
        (["13/01/2014", "08/01/2014"], ["2014-01-13", "2014-01-08"]),  # 13 cannot be a month
        (["01/13/2014", "08/01/2014"], ["2014-01-13", "2014-08-01"]),
        (["2014-01-08", "2014-01-13 10:00"], ["2014-01-08", "2014-01-13"]),
        (["8.1.2014", "13.1.2014"], ["2014-01-08", "2014-01-13"]),
        (["Jan 8, 2014", "Feb 13, 2014"], ["2014-01-08", "2014-02-13"]),
        # Two-digit years, which pandas does not guess: as spreadsheets export timestamps.
        (["8/6/20 18:57", "12/14/20 9:05"], ["2020-08-06", "2020-12-14"]),
        (["31.12.99", "1.1.00"], ["1999-12-31", "2000-01-01"]),
        (["31/12/20 10:00", "13/01/21 11:00"], ["2020-12-31", "2021-01-13"]),
    ],
)
def test_one_format_reads_the_whole_column(values, read):
    assert _parse(values) == read


def test_a_column_both_orders_read_is_refused():
    message = (
        r"data.time: column 'd' reads as both '%m/%d/%Y' and '%d/%m/%Y': '12/01/2014' is "
        r"1 December 2014 or 12 January 2014; set data.date_format to the one it uses"
    )
    with pytest.raises(DataError, match=message):
        _parse(["12/01/2014", "08/01/2014"])
    with pytest.raises(DataError, match=r"reads as both '%m/%d/%y' and '%d/%m/%y'"):
        _parse(["12/01/14", "08/01/14"])
    assert _parse(["12/01/2014", "08/01/2014"], "%d/%m/%Y") == ["2014-01-12", "2014-01-08"]


@pytest.mark.parametrize("values", [[3, 40, 250], [0.5, 2.0], [True, False], [1999.5, 2000.0]])
def test_numbers_are_not_read_as_dates(values):
    # pandas reads 250 as 1970-01-01 00:00:00.000000250: an order of nothing, silently.
    with pytest.raises(DataError, match=r"data.time: column 'd' holds (numbers|booleans), not"):
        _parse(values)


@pytest.mark.parametrize("values", [[1976, 1982, 1976], [1976.0, 1982.0, 1976.0]])
def test_whole_numbers_that_can_only_be_years_are_years(values):
    """A panel's year column (AER's PSID7682) as data.time: each year its 1 January."""
    assert _parse(values) == ["1976-01-01", "1982-01-01", "1976-01-01"]
    _, fmt = dates.parse(pd.Series(values, name="d"), "data.time")
    assert fmt == "%Y" and _parse([str(int(v)) for v in values], fmt) == _parse(values)


def test_quarters_are_read_as_their_first_day():
    """fpp3's quarterly tables print `1998 Q1`: no strftime format reads them."""
    assert _parse(["1998 Q1", "1998 Q4", "1999 Q2"]) == ["1998-01-01", "1998-10-01", "1999-04-01"]
    assert _parse(["1998Q3", "1998-q2"]) == ["1998-07-01", "1998-04-01"]
    _, fmt = dates.parse(pd.Series(["1998 Q1"], name="d"), "data.time")
    assert fmt == dates.QUARTER and _parse(["2001 Q2"], fmt) == ["2001-04-01"]
    with pytest.raises(DataError, match=r"1 missing or unparsable dates \(format '%Y Q%q'\), e.g"):
        _parse(["1998 Q1", "1998 Q5"], dates.QUARTER)


@pytest.mark.parametrize(
    ("values", "fmt", "message"),
    [
        (["2020-01-01", "not a date"], None, "1 missing or unparsable dates .* e.g. 'not a date'"),
        (["2014-01-08", "08/01/2014"], None, r"'08/01/2014' is 1 August 2014 or 8 January"),
        (
            ["2014-01-08", "13/01/2014", "Jan 9 2014"],
            None,
            r"\(format '%d/%m/%Y' inferred, or ISO 8601 where it reads no date; set data.date_format "
            r"if it is another\), e.g. 'Jan 9 2014'",
        ),
        (["2014-01-08", None], None, "column 'd' has 1 missing or unparsable dates"),
        ([1980, None, 1981], None, "column 'd' has 1 missing or unparsable dates$"),
        (["soon", "later"], None, r"2 missing .*\(no date format found that reads them; set"),
        ([None, None], None, r"has 2 missing or unparsable dates \(format 'ISO8601' inferred"),
        (["6/15/65", "1/1/69"], None, r"'6/15/65' lies in 2065; write four-digit years or set"),
        (["08/01/2014"], "%Q", "date format '%Q' does not work"),
        # Summer time: read as one zone, a local hour would shift; pandas' advice named utc=True.
        (["2024-03-30T10:00+01:00", "2024-04-01T10:00+02:00"], None, "mixes UTC offsets"),
    ],
)
def test_what_no_format_reads_is_named(values, fmt, message):
    with pytest.raises(DataError, match=message):
        _parse(values, fmt)


def _day_first(tmp_path: Path, chicago_frame: pd.DataFrame, days: int = 31) -> Path:
    """Chicago's rows as a CSV with day-first dates (of days 1 to `days` only), shuffled."""
    rows = chicago_frame[pd.to_datetime(chicago_frame["date"]).dt.day <= days]
    rows = rows.sample(frac=1.0, random_state=0).assign(
        date=pd.to_datetime(rows["date"]).dt.strftime("%d/%m/%Y")
    )
    path = tmp_path / "chicago.csv"
    rows.to_csv(path, index=False)
    return path


def _problem(path: Path, **data: str):
    raw = {
        "name": "day-first",
        "data": {"path": path.name, "time": "date", **data},
        "label": {"column": "ridership", "task": "regression"},
        "exclude": ["rownames"],
    }
    return parse_problem(raw, path.parent, "day-first.yaml")


def test_day_first_dates_order_time_and_make_the_calendar(tmp_path: Path, chicago_frame):
    ds = load(_problem(_day_first(tmp_path, chicago_frame)))
    truth = pd.to_datetime(chicago_frame["date"])
    assert (ds.raw["ridership"].to_numpy() == chicago_frame["ridership"].to_numpy()).all()
    assert ds.frame["day_of_year"].tolist() == truth.dt.day_of_year.tolist()
    # A server reads its requests' dates in the format learned here.
    made = Featurizer.from_dict(ds.featurizer.to_dict())
    assert [d.format for d in made.derivations] == ["%d/%m/%Y", "%d/%m/%Y"]
    again = made.transform(ds.raw.head(50))
    pd.testing.assert_series_equal(again["trend"], ds.frame["trend"].head(50))


def test_ambiguous_dates_are_refused_until_the_spec_settles_them(tmp_path: Path, chicago_frame):
    path = _day_first(tmp_path, chicago_frame, days=12)
    with pytest.raises(
        DataError, match=r"data.time: column 'date' reads as both .* data.date_format"
    ):
        load(_problem(path))
    ds = load(_problem(path, date_format="%d/%m/%Y"))
    truth = pd.to_datetime(chicago_frame["date"])
    assert ds.frame["day_of_year"].tolist() == truth[truth.dt.day <= 12].dt.day_of_year.tolist()


def test_timestamps_with_a_time_of_day_add_the_hour(tmp_path: Path, chicago_frame):
    # Half-hourly readings written day-first with their time: one format, and the time of
    # day to the minute (half past seven is 7.5: a half-hour's own level, not its hour's).
    times = pd.date_range("2014-01-11", periods=192, freq="30min")  # 13 January settles it
    frame = pd.DataFrame({"when": times.strftime("%d/%m/%Y %H:%M"), "y": range(192)})
    frame.sample(frac=1.0, random_state=0).to_csv(tmp_path / "demand.csv", index=False)
    raw = {
        "name": "demand",
        "data": {"path": "demand.csv", "time": "when"},
        "label": {"column": "y"},
    }
    ds = load(parse_problem(raw, tmp_path, "demand.yaml"))
    assert ds.groups["calendar"][-1] == "hour"
    assert ds.frame["hour"].tolist() == list(times.hour + times.minute / 60)
    assert ds.y.tolist() == list(range(192))


def test_a_day_first_model_reads_iso_rows_too(tmp_path: Path, chicago_frame):
    # Rows for a model learned from day-first text come from JSON clients and databases
    # written the ISO way; rows in neither format are still refused, in the learned one's terms.
    ds = load(_problem(_day_first(tmp_path, chicago_frame)))
    rows = ds.raw.head(50).assign(date=chicago_frame["date"].head(50).astype(str).to_numpy())
    again = ds.featurizer.transform(rows)
    pd.testing.assert_series_equal(again["trend"], ds.frame["trend"].head(50))
    with pytest.raises(DataError, match=r"unparsable dates.*'%d/%m/%Y'"):
        ds.featurizer.transform(rows.assign(date="Jan 5th"))


@pytest.mark.parametrize("fmt", [None, "mixed", "%d/%m/%Y"])
def test_iso_dates_beside_another_format_are_read_as_iso(fmt):
    """A spreadsheet's edits leave ISO dates in a day-first column; `mixed`, which the spec
    once passed to pandas, read `01/07/1967` month-first, value by value, and said nothing."""
    values = ["13/07/1967", "1967-08-01", "01/09/1967"]
    assert _parse(values, fmt) == ["1967-07-13", "1967-08-01", "1967-09-01"]
    with pytest.raises(DataError, match=r"'01/07/1967' is 7 January 1967 or 1 July 1967"):
        _parse(["01/07/1967", "1967-08-01"], "mixed")


def test_the_iso_reading_beside_a_format_is_whole_dates_in_the_same_zone():
    # A bare year or month is no ISO date beside day-first ones: refused, not 1 January.
    with pytest.raises(DataError, match=r"1 missing or unparsable dates .*, e.g. '1967'"):
        _parse(["13/07/1967", "1967"], "%d/%m/%Y")
    # An instant with an offset beside local dates would shift a local hour: refused.
    with pytest.raises(DataError, match="mixes UTC offsets or time zones"):
        _parse(["13/07/1967", "1967-08-01T10:00:00Z"], "%d/%m/%Y")
    assert _parse(["13/07/1967", "1967-08-01T10:00:00.123456789"]) == ["1967-07-13", "1967-08-01"]


def test_a_model_saved_with_the_word_mixed_reads_as_it_was_trained():
    """An earlier gonogo saved `mixed` with the model and read each value on its own (month
    first where either reads); a model trained now saves the format inferred instead."""
    from gonogo.data.featurize import Derivation, Featurizer

    saved = Derivation("calendar", "calendar", "d", None, "", ("month",), None, dates.MIXED)
    made = Featurizer((saved,)).derive(pd.DataFrame({"d": ["05/07/2001", "2001-08-01"]}))
    assert made["month"].astype(str).tolist() == ["May", "August"]
    assert dates.parse(pd.Series(["13/07/2001", "05/07/2001"], name="d"), "t", "mixed")[1] == (
        "%d/%m/%Y"
    )
