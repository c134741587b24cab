"""The terminal summary says what the run judged on its own, information included."""

import pandas as pd
from rich.console import Console

import gonogo
from gonogo.report.terminal import summary
from tests.conftest import noise_frame, spec


def test_information_is_printed_too():
    """A split by entity on a table with a time is the run's own choice: said, not only in
    verdict.json."""
    frame = noise_frame(400).assign(
        customer=[f"c{i % 40}" for i in range(400)],
        day=pd.date_range("2021-01-01", periods=400),
    )
    result = gonogo.run(spec(data={"time": "day", "entity": "customer"}), data=frame)
    console = Console(record=True, width=400)
    summary(result, console)
    [line] = [s for s in console.export_text().splitlines() if s.startswith("info split.by_entity")]
    assert line.endswith("set split.strategy: time")
