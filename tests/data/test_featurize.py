"""The featurizer adds what it derives row by row, whatever the table's index."""

import pandas as pd

from gonogo.data.featurize import Derivation, Featurizer


def test_a_table_whose_index_repeats_keeps_its_rows():
    calendar = Derivation("calendar", "calendar", "date", None, "", ("month",), None, "ISO8601")
    dates = ["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30"]
    frame = pd.DataFrame({"date": dates, "x": [1, 2, 3, 4]}, index=[0, 0, 1, 1])
    made = Featurizer((calendar,)).derive(frame)
    assert len(made) == 4 and list(made.index) == [0, 0, 1, 1]
    assert made["month"].astype(str).tolist() == ["January", "February", "March", "April"]


def test_a_trend_saved_before_zones_were_kept_reads_its_dates_on_their_clock():
    """A featurizer saved with its origin's offset and no zone served zoned dates; read now
    with the zone, the same rows must give the same days since the origin."""
    saved = Featurizer.from_dict(
        {
            "derivations": [
                {
                    "group": "trend", "kind": "trend", "from": "when", "country": None,
                    "prefix": "", "columns": ["trend"], "origin": "2013-01-01T06:00:00+00:00",
                    "format": "ISO8601",
                }
            ],
            "conversions": {},
        }
    )  # fmt: skip
    (d,) = saved.derivations
    assert (d.origin, d.zone) == ("2013-01-01T06:00:00", "UTC")
    for written in ("2013-01-02T06:00:00Z", "2013-01-02T01:00:00-05:00"):
        assert saved.derive(pd.DataFrame({"when": [written]}))["trend"].tolist() == [1.0]
