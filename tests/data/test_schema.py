"""A refusing column reads a request's values as text the way the model does, whatever type
they come in, so the check and the model agree on what training never held."""

from __future__ import annotations

import pyarrow as pa
import pytest

from gonogo.data.schema import Field, InputSchema
from gonogo.errors import DataError

SCHEMA = InputSchema((Field("plan", "text", True, ("1", "True", "gold"), unseen="refuse"),))


@pytest.mark.parametrize(
    ("values", "unseen"),
    [
        (pa.array(["gold", None]), None),
        (pa.array([None, None]), None),
        (pa.array([True]), None),  # read as 'True', as the model reads it
        (pa.array(["gold", "tin"], pa.large_string()), "tin"),
        (pa.array(["gold", "tin"]).dictionary_encode(), "tin"),
        (pa.array([1.0]), "1.0"),  # the model reads '1.0', not the '1' it was trained on
    ],
)
def test_an_unseen_level_is_named_whatever_type_it_comes_in(values, unseen):
    rows = pa.table({"plan": values})
    if unseen is None:
        SCHEMA.refuse_unseen(rows, "rows")
        return
    with pytest.raises(DataError, match=f"^rows: column 'plan': '{unseen}' is a category"):
        SCHEMA.refuse_unseen(rows, "rows")


def test_the_policy_is_kept_only_where_it_refuses():
    missing = Field("plan", "text", True, ("gold",))
    assert "unseen" not in missing.to_dict()
    back = InputSchema.from_dict(SCHEMA.to_dict())
    assert back == SCHEMA and back.fields[0].unseen == "refuse"
    InputSchema.from_dict(InputSchema((missing,)).to_dict()).refuse_unseen(
        pa.table({"plan": ["tin"]}), "rows"
    )  # the default reads it as missing: nothing raised


def test_dates_written_as_text_are_never_refused_as_unseen_levels():
    import pandas as pd

    from gonogo.data.dataset import bind
    from tests.conftest import spec

    frame = pd.DataFrame(
        {
            "day": [f"2017-01-{d:02d}" for d in range(1, 29)],  # as a CSV holds them
            "shop": ["north", "south"] * 14,
            "y": [float(d % 7) for d in range(28)],
        }
    )
    ds = bind(spec(data={"time": "day", "unseen": "refuse"}), frame)
    fields = {f.name: f for f in ds.schema.fields}
    assert fields["day"].categories is None and fields["shop"].categories == ("north", "south")
    later = pa.table({"day": ["2018-03-01"], "shop": ["north"]})
    ds.schema.refuse_unseen(later, "rows")  # a new day is no unseen level
    with pytest.raises(DataError, match="'west'"):
        ds.schema.refuse_unseen(pa.table({"day": ["2018-03-01"], "shop": ["west"]}), "rows")


def test_the_columns_typed_as_dates_are_named():
    import pandas as pd

    frame = pd.DataFrame(
        {"at": pd.date_range("2017-01-01", periods=3, tz="UTC"), "day": ["2017-01-01"] * 3}
    )
    assert InputSchema.learn(frame, ["day", "at"]).dated() == ["at"]


def test_a_missing_lag_says_what_it_is():
    import pandas as pd

    schema = InputSchema((Field("births_lag_7", "number", False), Field("wday", "text", False)))
    with pytest.raises(DataError, match=r"'births_lag_7' \(a lag: births 7 steps before, which"):
        schema.conform(pd.DataFrame({"wday": ["Mon"]}), "rows")
