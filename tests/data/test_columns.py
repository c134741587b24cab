"""Features and exclusions named by pattern on the insurance mailing table (85 columns:
M* socio-demographics of the postcode, P* contribution and A* number of policies per product,
and the label Purchase)."""

from pathlib import Path

import pandas as pd
import pytest

from gonogo import SpecError
from gonogo.data.dataset import bind
from tests.conftest import spec


@pytest.fixture(scope="module")
def caravan() -> pd.DataFrame:
    return pd.read_parquet(Path(__file__).parents[1] / "fixtures" / "caravan.parquet")


def _starting(frame: pd.DataFrame, prefix: str) -> tuple[str, ...]:
    return tuple(c for c in frame.columns if c.startswith(prefix) and c != "Purchase")


def test_patterns_name_groups_and_never_take_the_label(caravan):
    features = {"demographics": ["M*"], "products": ["P*", "A*"]}
    ds = bind(spec(label={"column": "Purchase"}, features=features), caravan)
    assert ds.groups["demographics"] == _starting(caravan, "M")
    assert ds.groups["products"] == _starting(caravan, "P") + _starting(caravan, "A")
    assert "Purchase" not in ds.features and len(ds.features) == 85


def test_a_star_is_all_the_others(caravan):
    features = {"car": ["PPERSAUT", "APERSAUT"], "rest": ["*"]}
    ds = bind(spec(label={"column": "Purchase"}, features=features, exclude=["MOS*"]), caravan)
    assert set(ds.groups["car"]).isdisjoint(ds.groups["rest"])
    assert len(ds.groups["rest"]) == 85 - 2 - 2  # but the two named and the two excluded
    assert ds.unused == {"MOSTYPE": "excluded", "MOSHOOFD": "excluded", "Purchase": "label"}


def test_columns_left_out_of_the_features_are_listed(caravan):
    ds = bind(spec(label={"column": "Purchase"}, features={"products": ["P*"]}), caravan)
    assert set(ds.unused) == {"Purchase", *_starting(caravan, "M"), *_starting(caravan, "A")}
    assert ds.unused["MOSTYPE"] == "not in features"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"features": {"g": ["M*", "Z*"]}}, r"features.g\[1\]: pattern 'Z\*' matches no column"),
        ({"exclude": ["Q*"]}, r"exclude\[0\]: pattern 'Q\*' matches no column"),
        ({"features": {"g": ["mostype"]}}, r"features.g\[0\]: .* \(did you mean 'MOSTYPE'\?\)"),
        ({"features": {"a": ["*"], "b": ["*"]}}, r"features.b: '\*' is all the others: one group"),
        ({"exclude": ["*"]}, r"exclude: '\*' would exclude every column"),
    ],
)
def test_an_entry_that_names_nothing_is_a_spec_error(caravan, fields, message):
    with pytest.raises(SpecError, match=message):
        bind(spec(label={"column": "Purchase"}, **fields), caravan)


def test_a_pattern_leaves_an_existing_systems_column_to_its_own_group(caravan):
    problem = spec(
        label={"column": "Purchase"},
        features={"demographics": ["M*"]},
        baselines=[{"name": "segment", "column": "MOSTYPE"}],
    )
    ds = bind(problem, caravan)
    assert ds.groups["segment"] == ("MOSTYPE",) and "MOSTYPE" not in ds.groups["demographics"]
