"""The model gate on Chicago: a model that learned the calendar is blessed over the heuristic;
one without the calendar is not blessed over it, and the reasons say why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from gonogo.data.dataset import bind
from gonogo.errors import DataError
from gonogo.pipeline.blessing import bless
from gonogo.pipeline.train import train
from gonogo.problem import Problem, parse_problem
from tests.conftest import EXAMPLES

CUT = pd.Timestamp("2015-08-29")  # the last year of the data is the fresh span


def _without_calendar() -> Problem:
    raw = yaml.safe_load((EXAMPLES / "chicago" / "problem.yaml").read_text())
    raw["derive"] = {"calendar": False}
    raw["baselines"] = [b for b in raw["baselines"] if "group_by" not in b]
    raw["hypotheses"] = [h for h in raw["hypotheses"] if h["group"] != "calendar"]
    raw["slices"] = ["weather_rain"]
    return parse_problem(raw, source="no-calendar.yaml")


@pytest.fixture(scope="module")
def spans(chicago_frame, chicago_problem, chicago_result):
    dates = pd.to_datetime(chicago_frame["date"])
    past, fresh = chicago_frame[dates < CUT], chicago_frame[dates >= CUT]
    config = next(c.config for c in chicago_result.candidates if c.name == "gbm")
    ds = bind(chicago_problem, past)
    production = train(chicago_problem, "gbm", config, ds=ds)
    heuristic = train(chicago_problem, "two-weeks-ago", ds=ds)
    plain = _without_calendar()
    worse = train(plain, "gbm", config, ds=bind(plain, past))
    return fresh, production, heuristic, worse


def test_a_model_with_the_calendar_is_blessed_over_the_heuristic(chicago_problem, spans):
    fresh, production, heuristic, _ = spans
    blessing = bless(chicago_problem, production, heuristic, fresh)
    assert blessing.blessed, blessing.reasons
    gain = blessing.gains["heuristic"]
    assert gain.ci[0] > chicago_problem.success.min_improvement


def test_a_model_without_the_calendar_is_not_blessed(chicago_problem, spans):
    fresh, production, heuristic, worse = spans
    blessing = bless(chicago_problem, worse, heuristic, fresh, production=production)
    assert not blessing.blessed
    assert blessing.gains["production"].ci[1] < -chicago_problem.gate.tolerance
    assert any("worse than the model in production" in r for r in blessing.reasons)
    # Each slice of the spec's raw columns where it loses beyond the tolerance is named.
    slices = [r for r in blessing.reasons if r.startswith("on weather_rain = ")]
    assert len(slices) >= 1 and all("worse (mae" in r for r in slices)


def test_a_production_the_heuristic_beats_is_said_whatever_the_new_model(
    chicago_problem, chicago_frame, chicago_result, spans
):
    """A model trained on 2001-2002 alone, in production in 2016: ridership moved away from
    what it learned, and two weeks ago beats it. The gate that judges a newer model says so,
    and what to do, where it only gave the newer one's gains."""
    fresh, good, heuristic, worse = spans
    early = chicago_frame[pd.to_datetime(chicago_frame["date"]) < pd.Timestamp("2003-01-01")]
    config = next(c.config for c in chicago_result.candidates if c.name == "gbm")
    old = train(chicago_problem, "gbm", config, ds=bind(chicago_problem, early))
    stale = bless(chicago_problem, good, heuristic, fresh, production=old)
    assert stale.behind is not None and stale.behind.startswith(
        "does worse than the heuristic two-weeks-ago on these rows (-"
    )
    assert "`gonogo models promote` a heuristic's version, or roll back" in stale.behind
    assert bless(chicago_problem, worse, heuristic, fresh, production=good).behind is None


def test_slices_on_derived_columns_are_judged(chicago_problem, spans):
    """The spec slices on day_of_week, which only the calendar derives: the model in
    production derives it, so the model without the calendar is judged on each weekday."""
    fresh, production, heuristic, worse = spans
    blessing = bless(chicago_problem, worse, heuristic, fresh, production=production)
    days = [r for r in blessing.reasons if r.startswith("on day_of_week = ")]
    assert days and all("worse (mae" in r for r in days)


def test_production_is_judged_on_the_rows_of_files_it_never_saw(
    chicago_problem, chicago_frame, spans
):
    """Evaluation rows from files production was trained on would make it look better than
    it is: with enough others, it is judged on those alone (and said so), else on all."""
    fresh, production, heuristic, worse = spans
    learned = chicago_frame[pd.to_datetime(chicago_frame["date"]) < CUT].tail(200)
    rows = pd.concat([learned, fresh], ignore_index=True)
    unseen = np.arange(len(rows)) >= len(learned)
    mixed = bless(chicago_problem, worse, heuristic, rows, production, unseen)
    alone = bless(chicago_problem, worse, heuristic, fresh, production)
    assert (mixed.rows, mixed.judged, mixed.seen) == (len(rows), len(fresh), 0)
    assert mixed.gains["production"] == alone.gains["production"]
    assert mixed.gains["heuristic"] != alone.gains["heuristic"]  # the heuristic saw none
    few = unseen & (np.arange(len(rows)) < len(learned) + 10)
    partly = bless(chicago_problem, worse, heuristic, rows, production, few)
    assert (partly.judged, partly.seen) == (len(rows), len(rows) - 10)


def test_fresh_rows_without_the_label_are_named(chicago_problem, spans):
    fresh, production, heuristic, _ = spans
    with pytest.raises(DataError, match="rows: column 'ridership' \\(the label\\) is missing"):
        bless(chicago_problem, production, heuristic, fresh.drop(columns=["ridership"]))
