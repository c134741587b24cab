from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gonogo import DataError, SpecError
from gonogo.checks.label import missing
from gonogo.data.dataset import bind, load, watched
from gonogo.data.split import make_split
from gonogo.problem import parse_problem
from tests.conftest import noise_frame, spec


def test_chicago_binds_with_its_calendar_and_in_time_order(chicago_problem):
    ds = load(chicago_problem)
    assert len(ds.y) == 5698 and ds.task == "regression"
    assert ds.groups["calendar"] == (
        "day_of_week",
        "day_of_year",
        "month",
        "year",
        "holiday",
    )
    assert ds.frame["date"].is_monotonic_increasing
    christmas = ds.frame[ds.frame["date"] == "2015-12-25"].iloc[0]
    assert christmas["holiday"] == 1.0 and christmas["day_of_week"] == "Friday"
    assert "rownames" not in ds.features


def test_features_default_to_every_other_column(churn_frame):
    ds = bind(spec(label={"column": "churn"}, exclude=["rownames"]), churn_frame)
    assert ds.groups == {
        "all": tuple(c for c in churn_frame.columns if c not in ("churn", "rownames"))
    }
    assert ds.classes == ("no", "yes")  # "yes" is recognised as the positive class
    assert ds.y.mean() == pytest.approx((churn_frame["churn"] == "yes").mean())


def test_a_missing_column_suggests_the_nearest(chicago_frame):
    with pytest.raises(
        SpecError,
        match=r"crafted.yaml: features.weather\[1\]: column 'percip2' not "
        r"found in the data \(did you mean 'percip'\?\)",
    ):
        bind(
            spec(label={"column": "ridership"}, features={"weather": ["temp", "percip2"]}),
            chicago_frame,
        )


def test_a_text_label_cannot_be_a_regression(churn_frame):
    with pytest.raises(
        DataError, match="regression needs a numeric label; column 'churn' has values like 'no'"
    ):
        bind(spec(label={"column": "churn", "task": "regression"}), churn_frame)


def test_an_empty_table_is_an_input_error(churn_frame):
    with pytest.raises(DataError, match="no rows"):
        bind(spec(label={"column": "churn"}), churn_frame.iloc[:0])


def test_a_positive_class_that_is_not_in_the_data(churn_frame):
    with pytest.raises(
        SpecError, match=r"label.positive: expected one of \['no', 'yes'\]; found 'maybe'"
    ):
        bind(spec(label={"column": "churn", "positive": "maybe"}), churn_frame)
    stayed = churn_frame[churn_frame["churn"] == "no"]
    with pytest.raises(SpecError, match=r"found 'yes'; label 'churn' has one class only$"):
        bind(spec(label={"column": "churn", "task": "binary", "positive": "yes"}), stayed)


def test_yaml_booleans_match_yes_no_labels(churn_frame):
    ds = bind(spec(label={"column": "churn", "positive": True}), churn_frame)
    assert ds.classes[-1] == "yes"


def test_a_metric_must_fit_the_task(chicago_frame):
    with pytest.raises(SpecError, match="metric: 'roc_auc' does not fit a regression label"):
        bind(spec(label={"column": "ridership"}, metric="roc_auc"), chicago_frame)


def test_rows_without_a_label_are_counted_and_dropped():
    frame = pd.DataFrame({"x": np.arange(10.0), "y": [1.0, None] * 5})
    ds = bind(spec(), frame)
    assert ds.missing_label == 5 and len(ds.y) == 5


def test_unparsable_dates_are_an_input_error():
    frame = pd.DataFrame({"d": ["2020-01-01", "not a date"], "x": [1, 2], "y": [1.0, 2.0]})
    with pytest.raises(DataError, match="data.time: column 'd' has 1 missing or unparsable dates"):
        bind(spec(data={"time": "d"}), frame)


def test_the_label_cannot_be_a_feature():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 2.0]})
    with pytest.raises(SpecError, match="features.g: lists the label 'y'"):
        bind(spec(features={"g": ["x", "y"]}), frame)


def test_a_column_both_excluded_and_named_as_a_feature_is_refused(chicago_frame):
    """It was used, with no word: which did the spec mean?"""
    both = spec(
        label={"column": "ridership", "task": "regression"},
        exclude=["rownames", "temp"],
        features={"weather": ["percip", "temp"], "lags": ["Austin"]},
    )
    with pytest.raises(SpecError, match=r"features.weather: lists 'temp', which exclude lists"):
        bind(both, chicago_frame)


def test_an_unknown_holiday_country_is_named(chicago_frame):
    problem = spec(
        label={"column": "ridership"}, derive={"calendar": {"from": "date", "country": "XX"}}
    )
    with pytest.raises(SpecError, match="derive.calendar.country: unknown country code 'XX'"):
        bind(problem, chicago_frame)


def test_an_arrow_table_is_accepted_and_anything_else_named(churn_frame):
    import pyarrow as pa

    problem = spec(label={"column": "churn"})
    assert len(load(problem, pa.Table.from_pandas(churn_frame)).y) == 5000
    with pytest.raises(
        DataError, match="data: expected a pandas, polars or Arrow table; found list"
    ):
        load(problem, [1, 2, 3])


def test_the_columns_a_run_reads_are_what_the_gate_watches(chicago_problem, chicago_frame):
    columns = list(chicago_frame.columns)
    read = watched(chicago_problem, columns)
    assert set(read) == {"Austin", "Clark_Lake", "Harlem", "temp", "percip", "weather_rain"} | {
        "ridership",
        "date",
    }
    everything = chicago_problem.model_copy(update={"features": None})
    assert set(watched(everything, columns)) == set(columns) - {"rownames"}
    # A lag the spec derives, named as a feature (by name or pattern): its source is read.
    for named in (["ridership_lag_14"], ["ridership_lag_*"]):
        lags = spec(
            label={"column": "ridership", "task": "regression"},
            data={"time": "date"},
            derive={"history": {"column": "ridership", "periods": [14]}},
            features={"past": named, "weather": ["temp"]},
        )
        assert set(watched(lags, columns)) == {"ridership", "date", "temp"}


def _fixture(name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(__file__).parents[1] / "fixtures" / f"{name}.parquet")


def test_blank_labels_in_a_csv_are_missing_not_a_class(tmp_path: Path):
    frame = _fixture("ordinary_cps1985")
    blanked = frame.assign(union=frame["union"].where(frame.index % 7 != 0, ""))
    blanked.loc[3, "union"] = "  "
    path = tmp_path / "cps.csv"
    blanked.to_csv(path, index=False)
    problem = parse_problem(
        {"name": "cps", "data": {"path": "cps.csv"}, "label": {"column": "union"}},
        tmp_path,
        "cps.yaml",
    )
    ds = load(problem)
    assert ds.task == "binary" and ds.classes == ("no", "yes")
    assert ds.missing_label == int((frame.index % 7 == 0).sum()) + 1
    found = missing(problem, ds, make_split(problem, ds))
    assert [f.check for f in found] == ["label.missing"]


def test_a_csvs_time_column_is_read_by_the_specs_format_and_its_offsets_checked(tmp_path):
    """In a CSV, Arrow reads ISO-looking text as dates by itself: 2003-12-01 written as
    %Y-%d-%m was the 1st of December, and offsets from UTC became UTC without a word."""
    days = pd.date_range("2003-01-01", periods=12, freq="D")
    written = [d.strftime("%Y-%d-%m") for d in days] * 5
    pd.DataFrame({"when": written, "y": np.arange(60) % 7.0}).to_csv(tmp_path / "t.csv")
    data = {"path": "t.csv", "time": "when", "date_format": "%Y-%d-%m"}
    problem = parse_problem(
        {"name": "t", "data": data, "label": {"column": "y"}}, tmp_path, "t.yaml"
    )
    assert load(problem).frame["trend"].max() == 11.0  # twelve days, not eleven months
    hours = [f"2003-03-03T0{h}:00{'+02:00' if h % 3 == 0 else 'Z'}" for h in range(9)] * 5
    pd.DataFrame({"when": hours, "y": np.arange(45) % 7.0}).to_csv(tmp_path / "t.csv")
    data.pop("date_format")
    with pytest.raises(DataError, match="data.time: column 'when' mixes UTC offsets"):
        load(parse_problem({"name": "t", "data": data, "label": {"column": "y"}}, tmp_path))


def test_a_calendar_with_no_parts_is_no_group_and_no_hypothesis():
    """Yearly dates have no cycle within the year, and their year is the trend's level; monthly
    ones over 18 months have neither a month nor a year seen twice. An empty group would be
    'measured' at +0.0% and the advice would be to drop it."""
    from gonogo.problem import hypotheses

    for freq, n in (("YS", 7), ("MS", 18)):
        stamps = np.repeat(pd.date_range("2019-01-01", periods=n, freq=freq), 10)
        frame = pd.DataFrame({"date": stamps, "x": np.arange(10 * n) % 5, "y": np.arange(10 * n)})
        problem = spec(label={"column": "y", "task": "regression"}, data={"time": "date"})
        ds = bind(problem, frame)
        assert set(ds.groups) == {"all", "trend"}, freq
        assert [h.group for h in hypotheses(problem, ds.groups)] == ["trend"]
    asked = spec(
        label={"column": "y", "task": "regression"},
        data={"time": "date"},
        hypotheses=[{"name": "seasons", "group": "calendar"}],
    )
    with pytest.raises(SpecError, match="hypotheses.0..group: the calendar of date has no col"):
        bind(asked, frame)


def test_a_calendar_part_left_out_is_explained_where_the_spec_names_it():
    days = pd.date_range("2019-01-01", periods=200, freq="D")  # under two years: no month
    frame = pd.DataFrame({"date": days, "x": np.arange(200) % 5, "y": np.arange(200) % 4})
    base = {"name": "m", "group_by": ["month"], "statistic": "median"}
    problem = spec(
        label={"column": "y", "task": "regression"}, data={"time": "date"}, baselines=[base]
    )
    with pytest.raises(SpecError) as err:
        bind(problem, frame)
    assert str(err.value).startswith(
        "crafted.yaml: baselines[0].group_by[0]: the calendar of date leaves 'month' out: a "
        "cyclic part needs dates spanning two of its cycles"
    )
    assert str(err.value).endswith("it has day_of_week here")


def test_calendar_columns_the_table_holds_already_are_left_out_and_said():
    """mosaicData::Births holds its own weekday (as Mon-Sun and as 1-7), month and year: the
    derived copies measured nothing as a hypothesis ("inconclusive", and advice to find a
    sharper feature). They are left out, each named beside the table's column; the day of
    year, which the table counts another way, stays."""
    from gonogo.problem import hypotheses
    from tests.fixtures.make_fixtures import HERE, SPECS

    frame = pd.read_parquet(HERE / "births.parquet")
    problem = spec(**SPECS["births"])
    ds = bind(problem, frame)
    assert ds.unused["date_day_of_week"] == "same as wday"
    assert ds.unused["date_month"] == "same as month" and ds.unused["date_year"] == "same as year"
    assert ds.groups["calendar"] == ("date_day_of_year",)
    assert [d.columns for d in ds.featurizer.derivations if d.kind == "calendar"] == [
        ("date_day_of_year",)
    ]
    assert "calendar" in [h.group for h in hypotheses(problem, ds.groups)]
    # Every part held: no group, and a hypothesis on it is refused, saying why.
    frame = frame.assign(day_of_year=frame["date"].dt.day_of_year)
    assert "calendar" not in bind(problem, frame).groups
    asked = spec(**SPECS["births"], hypotheses=[{"name": "seasons", "group": "calendar"}])
    with pytest.raises(SpecError, match=r"no column the table does not hold \(date_day_of_week"):
        bind(asked, frame)
    # A part the spec names (a slice, an expression) is kept.
    sliced = bind(spec(**SPECS["births"], slices=["date_month"]), frame)
    assert "date_month" in sliced.groups["calendar"] and "date_month" not in sliced.unused
    summer = {"name": "summer", "expression": "date_month == 'July'"}
    said = bind(spec(**SPECS["births"], baselines=[summer]), frame)
    assert said.groups["calendar"] == ("date_month",)


def test_a_numeric_label_declared_multiclass_suggests_regression(chicago_frame):
    problem = spec(label={"column": "ridership", "task": "multiclass"}, exclude=["rownames"])
    message = (
        r"^crafted.yaml: label.task: column 'ridership' looks numeric with \d+ distinct "
        r"values, not classes; use task: regression$"
    )
    with pytest.raises(SpecError, match=message):
        bind(problem, chicago_frame)


def test_a_numeric_label_with_stray_text_names_the_text_not_97_classes(chicago_frame):
    """A count with an "n/a" and a "lots" among its cells was read as text, inferred
    multiclass and blocked as 97 rare classes; it is inferred a quantity now, and reading it
    names the stray cells, what to fix. Text classes with a few numbers among them stay
    classes."""
    frame = chicago_frame.assign(ridership=chicago_frame["ridership"].round(1).astype(str))
    frame.loc[[3, 70], "ridership"] = ["lots", "many"]
    problem = spec(label={"column": "ridership"}, exclude=["rownames"])
    message = (
        r"^crafted.yaml: label.column: regression needs a numeric label; column 'ridership' "
        r"has values like 'lots' \(under 0.1% of rows: lots, many\); map such a code to a "
        r"number \(a trace of rain to 0, say\) or leave it empty$"
    )
    with pytest.raises(DataError, match=message):
        bind(problem, frame)


def test_a_quantity_with_a_text_code_on_many_rows_is_named_not_read_as_classes():
    """Weather records write a trace of rain as 'T': on 6% of the days it is over the stray
    share, and the rain was read as 140 classes and blocked as rare ones. A few distinct
    codes on under half the rows, beside decimals, are codes in a quantity."""
    from gonogo.data.label import infer_task
    from tests.fixtures.make_fixtures import HERE, SPECS

    frame = pd.read_parquet(HERE / "rain.parquet")
    traces = frame.index[frame["rain"].eq(0)][::4]  # a quarter of the dry days: 6.4%
    frame["rain"] = frame["rain"].round(2).astype(str)
    frame.loc[traces, "rain"] = "T"
    assert infer_task(frame["rain"]) == "regression"
    unset = spec(**{**SPECS["rain"], "label": {"column": "rain"}})
    with pytest.raises(DataError, match=r"values like 'T' \(6.4% of rows: T\); map such a code"):
        bind(unset, frame)
    classes = spec(**{**SPECS["rain"], "label": {"column": "rain", "task": "multiclass"}})
    with pytest.raises(DataError, match=r"and \d+ text value\(s\) \(T\); expected numbers"):
        bind(classes.model_copy(update={"metric": None}), frame)
    # Text classes with many codes, or codes on most rows, stay classes.
    assert infer_task(pd.Series(["T", "T", "N", "1.5"] * 10)) == "multiclass"
    grades = pd.Series(["A", "B", "C", "1", "2"] * 40, name="y")
    labels = noise_frame(200).assign(y=grades)
    assert bind(spec(label={"column": "y"}), labels).task == "multiclass"


def test_a_binary_label_with_more_classes_names_them():
    problem = spec(label={"column": "mode", "task": "binary"})
    message = "binary needs two classes; column 'mode' has 4: beach, boat, charter, pier$"
    with pytest.raises(DataError, match=message):
        bind(problem, _fixture("fishing"))


def test_a_column_named_in_another_case_is_suggested_first():
    with pytest.raises(
        SpecError, match=r"column 'Wage' not found in the data \(did you mean 'wage'\?\)"
    ):
        bind(spec(label={"column": "Wage"}), _fixture("ordinary_cps1985"))


def test_a_missing_baseline_column_is_named_at_its_key():
    problem = spec(label={"column": "wage"}, baselines=[{"name": "b", "column": "wages"}])
    with pytest.raises(SpecError, match=r"crafted.yaml: baselines\[0\].column: column 'wages'"):
        bind(problem, _fixture("ordinary_cps1985"))


def test_a_row_number_is_no_feature_unless_the_spec_names_it(churn_frame):
    assert churn_frame["rownames"].tolist() == list(range(1, len(churn_frame) + 1))
    ds = bind(spec(label={"column": "churn"}), churn_frame)
    assert "rownames" not in ds.features and ds.unused["rownames"] == "row number"
    everything = bind(spec(label={"column": "churn"}, features={"rest": ["*"]}), churn_frame)
    assert "rownames" not in everything.features  # a pattern does not name it
    named = bind(spec(label={"column": "churn"}, features={"n": ["rownames", "*"]}), churn_frame)
    assert "rownames" in named.features
    # The pipeline's data gate watches what a run reads: not the row number, unless named.
    columns = list(churn_frame.columns)
    assert "rownames" not in watched(spec(label={"column": "churn"}), columns)
    assert "rownames" in watched(
        spec(label={"column": "churn"}, features={"n": ["rownames"]}), columns
    )


def test_a_table_of_a_row_number_alone_says_how_to_keep_it(churn_frame):
    with pytest.raises(SpecError, match=r"rownames \(row number\).*only when features names"):
        bind(spec(label={"column": "churn"}), churn_frame[["rownames", "churn"]])


@pytest.mark.parametrize(
    ("name", "numbers", "numbered"),
    [
        ("Unnamed: 0", [*range(0, 30)], True),  # a saved pandas index
        ("rownames", [*range(1, 21), *range(1, 11)], True),  # two files stacked
        ("rownames", [*range(30, 0, -1)], True),  # rows shuffled since they were numbered
        ("rownames", [*range(1947, 1977)], False),  # years, as longley's rownames are
        ("index", [1, 4, 2, 9, 9, 3] * 5, False),  # a score named index
        ("day", [*range(1, 16)] * 2, False),  # a day of the month counts up too
        ("n", [*range(1, 31)], False),
    ],
)
def test_what_counts_as_a_row_number(name, numbers, numbered):
    n = len(numbers)
    frame = pd.DataFrame({name: numbers, "x": np.arange(n) % 7, "y": np.arange(n) % 3})
    ds = bind(spec(label={"column": "y", "task": "regression"}), frame)
    assert (name not in ds.features) is numbered


def test_row_names_as_text_are_no_feature_unless_the_spec_names_them():
    """R's row names of ISLR's Hitters are its players, saved as the first column."""
    names = [f"-{first} {last}" for first in ("Andy", "Alan", "Al") for last in "ABCDEFGHIJ"]
    frame = pd.DataFrame({"rownames": names, "x": np.arange(30) % 7, "y": np.arange(30) % 3})
    problem = spec(label={"column": "y", "task": "regression"})
    assert bind(problem, frame).unused["rownames"] == "row names"
    named = spec(label={"column": "y", "task": "regression"}, features={"all": ["rownames", "x"]})
    assert "rownames" in bind(named, frame).features
    categories = frame.assign(rownames=frame["rownames"].astype("category"))
    assert bind(problem, categories).unused["rownames"] == "row names"
    # A text column of that name whose values repeat names groups of rows, not rows.
    frame["rownames"] = [n.split()[0] for n in names]
    assert "rownames" in bind(problem, frame).features


def test_monthly_dates_get_a_calendar_of_months_and_years():
    """Every date on the 1st (monthly counts): a weekday of the 1st is no signal and a holiday
    only New Year's, so the calendar keeps the month and the year; daily dates keep all the
    parts whose cycle they span twice."""
    months = pd.date_range("2019-01-01", periods=400, freq="MS")
    frame = pd.DataFrame({"date": months, "x": np.arange(400) % 5, "y": np.arange(400) % 4})
    problem = spec(label={"column": "y", "task": "regression"}, data={"time": "date"})
    assert bind(problem, frame).groups["calendar"] == ("month", "year")
    frame["date"] = pd.date_range("2019-01-31", periods=400, freq="ME")  # month ends
    assert bind(problem, frame).groups["calendar"] == ("month", "year")
    frame["date"] = pd.date_range("2019-01-01", periods=400, freq="D")
    # 400 days are one cycle of the year: its parts and the year are left out, the week's stay.
    assert bind(problem, frame).groups["calendar"] == ("day_of_week",)
    frame = pd.concat([frame, frame], ignore_index=True)
    frame["date"] = pd.date_range("2019-01-01", periods=800, freq="D")
    assert bind(problem, frame).groups["calendar"] == (
        "day_of_week",
        "day_of_year",
        "month",
        "year",
    )
    # Exactly two cycles: each date stands for its step, so the last one's step counts.
    two_years = pd.date_range("2021-01-01", "2022-12-31", freq="D")
    assert (
        "month"
        in bind(problem, frame.head(len(two_years)).assign(date=two_years)).groups["calendar"]
    )
    months = frame.head(24).assign(date=pd.date_range("2020-01-01", periods=24, freq="MS"))
    assert bind(problem, months).groups["calendar"] == ("month", "year")
    fortnight = frame.head(14).assign(date=pd.date_range("2020-01-01", periods=14))
    assert "day_of_week" in bind(problem, fortnight).groups["calendar"]
    frame["date"] = pd.date_range("2019-01-01", periods=800, freq="h")  # 33 days, one year
    assert bind(problem, frame).groups["calendar"] == ("day_of_week", "hour")


def test_a_file_read_as_one_column_says_the_delimiter_may_be_wrong(tmp_path: Path, churn_frame):
    churn_frame.head(20).to_csv(tmp_path / "churn.csv", index=False)
    raw = {
        "name": "c",
        "data": {"path": "churn.csv", "delimiter": ";"},
        "label": {"column": "churn"},
    }
    problem = parse_problem(raw, tmp_path, "c.yaml")
    with pytest.raises(
        SpecError,
        match=r"not found in the data \(the file was read as one column, 'rownames,state,",
    ):
        load(problem)


def test_integers_with_gaps_are_numbers_to_every_model(tmp_path):
    """pandas keeps integers with gaps as Int64 and writes them so to Parquet: the run
    stopped on scikit-learn's refusal of pandas' NA, in the first probe and in every fit."""
    from gonogo.candidates.candidate import assemble
    from gonogo.candidates.fitted import fit
    from gonogo.metrics import METRICS
    from tests.conftest import penguins

    problem, frame = penguins()
    frame.astype({"body_mass_g": "Int64", "year": "Int64"}).to_parquet(tmp_path / "p.parquet")
    typed = pd.read_parquet(tmp_path / "p.parquet")
    assert str(typed["body_mass_g"].dtype) == "Int64" and typed["body_mass_g"].isna().any()
    ds = bind(problem, typed)  # as the pipeline binds the files it read
    assert ds.frame["body_mass_g"].dtype == np.float64 and ds.frame["year"].dtype == np.int64
    metric = METRICS["log_loss"]
    models = [c for c in assemble(problem, ds, metric, True) if c.kind == "model"]
    assert {c.name for c in models} == {"linear", "gbm"}
    for c in models:
        fitted = fit(c, c.configs[0], ds, np.arange(len(ds.y)), list(ds.features), metric)
        assert np.isfinite(fitted.predict(typed.head(20))).all()  # new rows, typed alike
