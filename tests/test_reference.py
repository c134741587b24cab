"""The spec reference is generated from the spec's models and cannot drift from them."""

from pathlib import Path

from gonogo.problem import model_of, sections
from gonogo.reference import render

SPEC_MD = Path(__file__).resolve().parents[1] / "docs" / "spec.md"


def test_docs_spec_md_is_the_reference_the_models_give():
    assert SPEC_MD.read_text(encoding="utf-8") == render(), "run `make docs` and commit"


def test_every_key_is_described_with_an_example():
    # A key holding a section (`data`, `baselines`) is exemplified by that section's keys.
    bare = [
        f"{path or 'top level'}: {name}"
        for path, model in sections()
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
        or ("E.g." not in (field.description or "") and model_of(field.annotation) is None)
    ]
    assert bare == []


def test_every_section_and_the_grammar_are_in_the_reference():
    text = render()
    paths = [path for path, _ in sections() if path]
    assert paths == [
        "decision",
        "decision.costs",
        "data",
        "label",
        "derive.<group>",
        "success",
        "baselines[]",
        "models[]",
        "hypotheses[]",
        "split",
        "gate",
        "gate.columns.<column>",
    ]
    assert all(f"## `{p}`" in text for p in paths)
    assert "| `date_format` | str (length ≥ 1) | `null` |" in text
    assert "abs/log/log1p/exp/sqrt/min/max/round" in text and "`day_of_week`" in text
