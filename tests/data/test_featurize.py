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
