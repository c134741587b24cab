from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gonogo
from gonogo import SpecError
from gonogo.candidates.expression import Expression
from tests.conftest import noise_frame, spec

FRAME = pd.DataFrame({"calls": [1, 4, 6], "plan": ["no", "yes", "no"], "lag": [2.0, np.nan, 8.0]})


def _eval(text: str) -> list:
    return Expression(text, list(FRAME.columns), "baselines[0].expression").evaluate(FRAME).tolist()


def test_arithmetic_comparison_and_logic():
    assert _eval("calls * 2 + 1") == [3, 9, 13]
    assert _eval("calls >= 4 and plan == 'yes'") == [False, True, False]
    assert _eval("not calls > 3") == [True, False, False]
    assert _eval("1 < calls <= 4") == [False, True, False]
    assert _eval("10 if calls > 3 else 0") == [0, 10, 10]
    assert _eval("max(calls, 5)") == [5, 5, 6]


def test_missing_values_stay_missing():
    out = _eval("lag * 1.5")
    assert out[0] == 3.0 and np.isnan(out[1])


def test_an_unknown_column_is_named():
    named = r"baselines\[0\].expression: column 'cals' not found in the data \(did you mean 'calls'"
    with pytest.raises(SpecError, match=named):
        _eval("cals > 3")


@pytest.mark.parametrize(
    "code",
    [
        "__import__('os').system('touch {marker}')",
        "open('{marker}', 'w')",
        "calls.__class__",
        "(lambda: 1)()",
        "[c for c in calls]",
        "exec('x = 1')",
    ],
)
def test_python_code_is_rejected_and_never_run(tmp_path: Path, code: str):
    marker = tmp_path / "ran"
    with pytest.raises(SpecError, match="is not allowed; use only column names"):
        _eval(code.format(marker=marker))
    assert not marker.exists()


def test_a_column_that_is_no_python_name_goes_in_backticks():
    """R's tables name columns `oc.gc`; a spaced name is no Python name either."""
    frame = pd.DataFrame({"oc.gc": [3.0, 1.0], "oc gr": [2.0, 2.0], "calls": [1, 2]})
    columns = list(frame.columns)
    text = "'gc' if `oc.gc` <= `oc gr` and calls > 1 else 'gr'"
    expression = Expression(text, columns, "baselines[0].expression")
    assert expression.evaluate(frame).tolist() == ["gr", "gc"]
    assert expression.columns == ["calls", "oc gr", "oc.gc"]
    with pytest.raises(
        SpecError, match=r"column 'oc.gc' is not a Python name: write it in backticks, `oc.gc`"
    ):
        Expression("oc.gc * 2", columns, "baselines[0].expression")
    with pytest.raises(SpecError, match="column 'oc.gr' not found"):
        Expression("`oc.gr` * 2", columns, "baselines[0].expression")


def test_a_syntax_error_is_one_line():
    with pytest.raises(SpecError) as err:
        _eval("calls >")
    assert "not a valid expression" in str(err.value) and "\n" not in str(err.value)


def test_a_baseline_expression_reading_the_label_is_refused():
    problem = spec(baselines=[{"name": "echo", "expression": "y * 1.0"}])
    with pytest.raises(SpecError, match=r"baselines\[0\].expression: 'y' is label.column"):
        gonogo.run(problem, data=noise_frame(200))
