from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gonogo import SpecError, load_problem, parse_problem
from tests.conftest import EXAMPLES


def test_the_chicago_spec_loads_typed(chicago_problem):
    p = chicago_problem
    assert p.label.column == "ridership" and p.label.task == "regression"
    assert p.features == {
        "lags": ["Austin", "Clark_Lake", "Harlem"],
        "weather": ["temp", "percip", "weather_rain"],
    }
    assert p.derive["calendar"].source == "date"
    assert p.base_dir == (EXAMPLES / "chicago").resolve()


def _error(raw, **kw) -> str:
    with pytest.raises(SpecError) as err:
        parse_problem(raw, source="p.yaml", **kw)
    message = str(err.value)
    assert "\n" not in message
    return message


BASE = {"name": "x", "label": {"column": "y"}}


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (None, "p.yaml: the spec is empty; expected a mapping of fields"),
        ({**BASE, "label": "y"}, "p.yaml: label: expected a mapping of fields; found 'y'"),
        ({**BASE, "bootstrap": "many"}, "p.yaml: bootstrap: expected a whole number; found 'many'"),
        (
            {"name": "x", "lable": {"column": "y"}},
            "(did you mean 'label'?) (also label: required field is missing)",
        ),
    ],
)
def test_type_errors_are_said_in_the_spec_s_words_not_pydantic_s(raw, said):
    message = _error(raw)
    assert said in message and "Input should" not in message and "instance of" not in message


def test_a_misspelled_key_is_named_with_its_path():
    assert _error({**BASE, "lable": {"column": "y"}}).startswith(
        "p.yaml: lable: unknown key (did you mean 'label'?)"
    )
    assert "label.colum: unknown key" in _error({"name": "x", "label": {"colum": "y"}})


def test_a_missing_required_field_is_named():
    assert _error({"label": {"column": "y"}}) == "p.yaml: name: required field is missing"


def test_an_unknown_metric_lists_the_choices():
    message = _error({**BASE, "metric": "accuracyy"})
    assert "metric: expected one of mae" in message and "'accuracyy'" in message


def test_a_wrong_type_shows_what_was_found():
    assert "split.holdout" in _error({**BASE, "split": {"holdout": 1.5}})
    assert "found 'lots'" in _error({**BASE, "seed": "lots"})


def test_a_calendar_the_spec_derives_is_measured_like_one_gonogo_adds():
    """`gonogo init` writes the calendar it finds into the spec; a spec hypothesis on a
    group replaces gonogo's, and a lag group the spec derives is the spec's to test."""
    from gonogo.problem import hypotheses

    derive = {"calendar": {"from": "day"}, "past": {"column": "y", "periods": [7]}}
    raw = {**BASE, "data": {"time": "day"}, "derive": derive}
    names = {h.group: h.name for h in hypotheses(parse_problem(raw))}
    assert names == {
        "calendar": "the calendar of day is a signal",
        "trend": "the trend of day is a signal",
    }
    tested = [{"name": "seasons matter", "group": "calendar"}]
    names = {h.group: h.name for h in hypotheses(parse_problem({**raw, "hypotheses": tested}))}
    assert names["calendar"] == "seasons matter"


def test_a_spec_reads_back_from_its_record():
    """The pipeline records a version's spec with every field (model_dump); export reads it
    back to make the lags. A calendar's record holds the lag fields at their defaults, which
    the calendar refused as "by goes with lags"."""
    derive = {"calendar": {"from": "day"}, "past": {"column": "y", "periods": [7]}}
    problem = parse_problem({**BASE, "data": {"time": "day"}, "derive": derive})
    assert parse_problem(problem.model_dump(mode="json", by_alias=True)) == problem


def test_an_empty_features_group_is_refused():
    raw = {**BASE, "features": {"a": ["x"], "lags": []}}
    assert _error(raw) == (
        "p.yaml: features.lags: lists no columns; expected a column name or a pattern (or leave "
        "the group out)"
    )


def test_hypothesis_groups_must_exist():
    raw = {**BASE, "features": {"a": ["x"]}, "hypotheses": [{"name": "h", "group": "b"}]}
    assert "hypotheses[0].group: expected a feature group (a); found 'b'" in _error(raw)
    alone = {**BASE, "hypotheses": [{"name": "h", "group": "careers"}]}
    assert _error(alone).endswith(
        "expected a feature group (all); found 'careers'; without features, the columns are "
        "one group, all"
    )


def test_a_baseline_is_exactly_one_kind():
    raw = {**BASE, "baselines": [{"name": "b", "expression": "x", "column": "x"}]}
    assert "baselines[0]" in _error(raw) and "exactly one of" in _error(raw)


def test_a_decision_is_words_or_words_and_one_kind_of_costs():
    words = parse_problem({**BASE, "decision": "who is called"})
    assert words.decision.what == "who is called" and words.decision.costs is None
    priced = parse_problem({**BASE, "decision": {"costs": {"under": 2, "over": 1, "unit": "EUR"}}})
    assert priced.decision.costs is not None and priced.decision.costs.task == "regression"
    mixed = {**BASE, "decision": {"costs": {"true_positive": -5, "under": 1}}}
    assert "decision.costs: costs are one of" in _error(mixed) and "binary and regression" in (
        _error(mixed)
    )
    nothing = {**BASE, "decision": {"costs": {"unit": "EUR"}}}
    assert "found none" in _error(nothing)
    typo = {**BASE, "decision": {"costs": {"true_positiv": 1}}}
    assert "unknown key (did you mean 'true_positive'?)" in _error(typo)


def test_a_drift_bound_may_exceed_one_standard_deviation():
    # Wasserstein in training standard deviations: a seasonal number moves by more than one.
    assert parse_problem({**BASE, "gate": {"drift": 2.0}}).gate.drift == 2.0
    assert "gate.drift" in _error({**BASE, "gate": {"drift": 0}})


def test_a_misspelt_gate_key_is_suggested():
    assert "gate.drfit: unknown key (did you mean 'drift'?)" in _error(
        {**BASE, "gate": {"drfit": 1}}
    )


def test_a_text_files_dialect_is_one_character_and_a_decimal_mark():
    tabs = parse_problem({**BASE, "data": {"path": "x.tsv", "delimiter": "tab", "decimal": ","}})
    assert (tabs.data.delimiter, tabs.data.decimal) == ("\t", ",")
    both = {**BASE, "data": {"path": "x.csv", "delimiter": ",", "decimal": ","}}
    assert "data: a comma cannot be both the delimiter and the decimal mark" in _error(both)
    assert "data.decimal" in _error({**BASE, "data": {"path": "x.csv", "decimal": ";"}})
    assert "data.delimiter" in _error({**BASE, "data": {"path": "x.csv", "delimiter": ";;"}})


def test_a_model_setting_that_json_cannot_hold_is_refused():
    model = {"name": "m", "estimator": "sklearn.linear_model.Ridge"}
    nan = {**BASE, "models": [{**model, "grid": {"alpha": [1.0, float("nan")]}}]}
    assert _error(nan).endswith("models[0]: grid.alpha: expected finite numbers (null for None)")
    inf = {**BASE, "models": [{**model, "params": {"solver": {"tol": [float("-inf")]}}}]}
    assert "params.solver: expected finite numbers" in _error(inf)
    fine = {**BASE, "models": [{**model, "grid": {"alpha": [1, 0.5, None]}}]}
    assert parse_problem(fine).models[0].grid == {"alpha": [1, 0.5, None]}


def test_reserved_and_repeated_candidate_names_are_refused():
    raw = {**BASE, "baselines": [{"name": "constant", "column": "x"}]}
    assert "'constant'" in _error(raw)


@pytest.mark.parametrize(
    ("more", "said"),
    [
        # The label as a baseline scored itself (a KeyError once the schema read it).
        ({"baselines": [{"name": "b", "column": "y"}]}, "baselines[0].column: 'y' is label.column"),
        (
            {"data": {"time": "t", "entity": "y"}},
            "data.entity: 'y' is label.column; expected another column",
        ),
        (
            {"data": {"time": "t", "entity": "t"}},
            "data.entity: 't' is data.time; expected another column",
        ),
        (
            {"data": {"time": "t"}, "baselines": [{"name": "b", "column": "t"}]},
            "baselines[0].column: 't' is data.time",
        ),
        (
            {"data": {"entity": "e"}, "baselines": [{"name": "b", "column": "e"}]},
            "baselines[0].column: 'e' is data.entity",
        ),
        (
            {"data": {"time": "t"}, "derive": {"past": {"column": "x", "by": "y", "periods": [1]}}},
            "derive.past.by: 'y' is label.column",
        ),
        (  # a traceback (KeyError) at fit time
            {"baselines": [{"name": "b", "group_by": ["x", "y"]}]},
            "baselines[0].group_by: 'y' is label.column",
        ),
    ],
)
def test_a_column_in_two_roles_is_refused(more, said):
    assert said in _error({**BASE, **more})


def test_malformed_yaml_names_the_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nlabel: {column: y\nseed: 0\n")
    with pytest.raises(SpecError, match=r"bad.yaml: malformed YAML at line \d+"):
        load_problem(path)


def test_a_key_given_twice_is_refused_at_its_second_line(tmp_path: Path):
    """YAML readers keep the last value of a repeated key without a word."""
    path = tmp_path / "twice.yaml"
    path.write_text("name: x\nlabel: {column: y}\nmetric: mae\nmetric: rmse\n")
    with pytest.raises(SpecError, match="line 4, column 1: the key 'metric' is given twice$"):
        load_problem(path)
    path.write_text("name: x\nlabel:\n  column: y\n  task: binary\n  column: z\n")
    with pytest.raises(SpecError, match="line 5, column 3: the key 'column' is given twice$"):
        load_problem(path)
    # A merge key is no repeat: `<<` brings in an anchor's keys, which the mapping may override.
    path.write_text(
        "name: x\nlabel: {column: y}\nbaselines:\n"
        "  - &base {name: a, group_by: [g], statistic: median}\n  - {<<: *base, name: b}\n"
    )
    merged = load_problem(path).baselines[1]
    assert (merged.name, merged.group_by) == ("b", ["g"])


def test_a_missing_spec_file(tmp_path: Path):
    with pytest.raises(SpecError, match="nope.yaml: file not found"):
        load_problem(tmp_path / "nope.yaml")


def test_a_spec_that_is_not_a_mapping(tmp_path: Path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(SpecError, match="expected a mapping of fields; found list"):
        load_problem(path)


SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "name",
        "label",
        "data",
        "features",
        "metric",
        "split",
        "baselines",
        "models",
        "hypotheses",
        "success",
        "derive",
        "seed",
        "bootstrap",
        "typo",
    ]
)


@settings(max_examples=300, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_any_mapping_is_a_problem_or_a_one_line_error(raw):
    try:
        parse_problem(raw, source="p.yaml")
    except SpecError as err:
        assert "\n" not in str(err) and str(err).startswith("p.yaml")


def test_a_key_with_a_line_break_is_quoted_on_one_line():
    with pytest.raises(SpecError) as err:
        parse_problem(
            {"name": "x", "label": {"column": "y"}, "baselines": [{"\n": None}]}, source="p.yaml"
        )
    assert str(err.value).startswith("p.yaml: baselines[0].'\\n': unknown key")
    assert "\n" not in str(err.value)
