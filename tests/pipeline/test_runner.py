"""`gonogo pipeline run` on the Chicago table arriving year by year: the heuristic ships first,
a model earns production through the gate (in the configurations the first run chose), a
rerun does nothing, a worse model is refused, and kill -9 or a second run at the same time
leave the store consistent."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from gonogo.pipeline.runner import run
from gonogo.pipeline.store import file_digest
from gonogo.problem import load_problem
from tests.stores import CHICAGO, gonogo

pytestmark = pytest.mark.xdist_group("chicago-pipeline")
HEURISTICS = {"constant", "simple-rule", "two-weeks-ago", "weekday-median"}


def test_the_first_run_ships_the_best_heuristic(chicago_story):
    first = chicago_story.outcomes[0]
    assert (first.status, first.code, first.registered, first.production) == (
        "registered",
        0,
        [1],
        1,
    )
    v1 = chicago_story.tracker().version(1)
    assert v1.role == "heuristic" and v1.tags["gonogo.candidate"] in HEURISTICS
    assert "launch without ML" in first.reasons[0]


def test_a_later_run_blesses_the_model_on_a_new_year(chicago_story):
    second = chicago_story.outcomes[1]
    assert (second.status, second.registered, second.production) == ("registered", [2], 2)
    assert chicago_story.tracker().production().role == "model"
    # The bar of the verdict against the heuristic, and no worse than production.
    over = second.gains["heuristic"]
    assert over["value"] >= chicago_story.problem.success.min_improvement and over["ci"][0] > 0
    assert second.gains["production"]["value"] >= -chicago_story.problem.gate.tolerance
    assert not [f for f in second.findings if f["severity"] == "block"]


def test_a_later_run_fits_the_configurations_the_first_run_chose(chicago_story):
    tracker = chicago_story.tracker()
    v1, v2 = tracker.version(1), tracker.version(2)
    configured = [tracker.client.get_run(v.run_id).data.params["configured"] for v in (v1, v2)]
    assert configured == ["chosen by cross-validation", "as version 1's run chose"]
    first = {
        c["name"]: c["config"] for c in tracker.run_json(v1.run_id, "verdict.json")["candidates"]
    }
    model = tracker.candidate(v2)
    assert model.provenance["config"] == first[v2.tags["gonogo.candidate"]]


def test_a_rerun_on_the_same_spec_and_data_does_nothing(chicago_story):
    third = chicago_story.outcomes[2]
    assert third.cached and third.code == 0
    tracker = chicago_story.tracker()
    assert [v.number for v in tracker.versions()] == [1, 2]
    runs = tracker.client.search_runs([tracker.experiment])
    assert len(runs) == 2 and {r.info.status for r in runs} == {"FINISHED"}
    again = gonogo(
        "pipeline",
        "run",
        CHICAGO,
        "--data",
        chicago_story.data[1],
        "--store",
        chicago_story.root,
        "--json",
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["cached"] is True
    # What the cache says is about that run: production may have moved since.
    assert "  production was version 2 after it" in third.lines()
    assert not any(line.startswith("  production is") for line in third.lines())


def test_the_lineage_names_the_data_spec_and_code(chicago_story):
    from gonogo.pipeline import registry

    made = registry.lineage(f"{chicago_story.name}@2", chicago_story.root)
    files = sorted(made["data"], key=lambda f: f["path"])
    assert [f["path"].rsplit("/", 1)[-1] for f in files] == [
        f"chicago-{y}.parquet" for y in (2001, 2002, 2003, 2004)
    ]
    assert all(f["digest"] == file_digest(__import__("pathlib").Path(f["path"])) for f in files)
    assert made["spec_body"]["name"] == "chicago-ridership" and len(made["spec"]) == 64
    assert made["packages"]["gonogo"] and made["packages"]["scikit-learn"]


def test_rerunning_the_first_run_gates_its_model_against_the_shipped_heuristic(
    chicago_story, new_store
):
    root = chicago_story.replay(new_store, upto=1)
    shutil.rmtree(root / chicago_story.name / "cache" / "run")  # as --no-cache would
    again = run(chicago_story.problem, chicago_story.data[0], root)
    assert again.status in {"registered", "not blessed"} and "heuristic" in again.gains
    assert again.registered == ([2] if again.status == "registered" else [])
    # The heuristic in production was fitted on these very files, holdout included.
    assert any(r.startswith("production was trained on the files of") for r in again.reasons)
    assert not any("production was trained" in r for r in chicago_story.outcomes[1].reasons), (
        chicago_story.outcomes[1].reasons
    )


def test_a_production_saved_in_another_format_starts_the_store_over(chicago_story, new_store):
    """After an upgrade that changed the saved format, production can be neither scored nor
    served: the next run says so and ships the best heuristic again, instead of stopping
    every run on a model it cannot read."""
    root = chicago_story.replay(new_store, upto=1)
    for manifest in (root / "artifacts").rglob("candidate.json"):  # the registered ones
        saved = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**saved, "format": "gonogo.fitted-candidate/1"}))
    later = run(chicago_story.problem, chicago_story.data[1], root)
    assert (later.status, later.registered, later.production) == ("registered", [2], 2)
    assert "production (version 1) was saved by another gonogo" in later.reasons[0]
    assert chicago_story.tracker(root).production().role == "heuristic"


def _variant(tmp_path, **changes):
    """The Chicago spec with some keys replaced, written beside the example's data."""
    body = yaml.safe_load(CHICAGO.read_text()) | changes
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(body))
    return load_problem(path)


def test_a_spec_whose_label_is_not_productions_is_refused(chicago_story, new_store, tmp_path):
    """Another label under the same name is another problem: registered, it would have
    replaced production's predictions of ridership with predictions of temperatures."""
    from gonogo.errors import SpecError

    root = chicago_story.replay(new_store, upto=1)
    temperatures = _variant(tmp_path, label={"column": "temp", "task": "regression"})
    with pytest.raises(SpecError, match=r"label.column: is 'temp', but production \(version 1\)"):
        run(temperatures, chicago_story.data[1], root)
    tracker = chicago_story.tracker(root)
    assert [v.number for v in tracker.versions()] == [1] and tracker.production().number == 1
    # The same label, its task left to inference, is the same problem.
    same = _variant(tmp_path, label={"column": "ridership"})
    assert run(same, chicago_story.data[1], root).status == "registered"


def test_a_worse_model_is_not_blessed_and_the_alias_moves_only_by_hand(
    chicago_story, chicago_spans, new_store, tmp_path
):
    from gonogo.pipeline import registry

    root = chicago_story.replay(new_store, upto=2)
    without_calendar = _variant(
        tmp_path,
        derive={"calendar": False, "trend": False},
        baselines=[{"name": "two-weeks-ago", "expression": "Clark_Lake"}],
        hypotheses=[{"name": "weather forecast is informative", "group": "weather"}],
        slices=["weather_rain"],
    )
    worse = run(without_calendar, str(chicago_spans / "chicago-200[1-5].parquet"), root)
    assert (worse.status, worse.code, worse.registered, worse.production) == (
        "not blessed",
        4,
        [],
        2,
    )
    assert any("worse than the model in production" in r for r in worse.reasons)
    name = chicago_story.name
    assert registry.promote(f"{name}@1", root) == (2, 1)
    assert registry.rollback(name, root) == (1, 2)
    assert registry.rollback(name, root) == (2, 1)
    with pytest.raises(Exception, match="no version held production before version 1; promote"):
        registry.rollback(name, root)
    for version in (1, 2):
        assert registry.lineage(f"{name}@{version}", root)["version"] == version


def _wait_for(condition, process, limit=300.0):
    start = time.monotonic()
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() - start < limit
        time.sleep(0.02)


def _consistent(story, root):
    """Every version loads (its digest checked) and production points at one of them."""
    tracker = story.tracker(root)
    versions = tracker.versions()
    fingerprints = [(v.role, v.tags["gonogo.fingerprint"]) for v in versions]
    assert len(set(fingerprints)) == len(fingerprints)
    for v in versions:
        tracker.candidate(v)
    production = tracker.production()
    assert production is None or production.number in {v.number for v in versions}
    return tracker


def _pipeline(story, data, root):
    args = ["-m", "gonogo", "pipeline", "run", CHICAGO, "--data", data, "--store", root]
    return subprocess.Popen(
        [sys.executable, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _candidate_files(story, root, role):
    fp = story.tracker(root).versions()[0].tags["gonogo.fingerprint"]
    folder = root / story.name / "cache" / "train" / fp / "final" / role
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_kill_during_train_then_a_rerun_gives_the_same_version(chicago_story, new_store):
    root = new_store()
    process = _pipeline(chicago_story, chicago_story.data[0], root)
    statistics = root / chicago_story.name / "cache" / "statistics"
    _wait_for(statistics.exists, process)
    time.sleep(2.0)  # well into the PoC, which takes about 20 s
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _consistent(chicago_story, root).versions() == []
    assert not (root / chicago_story.name / "cache" / "train").exists() or not any(
        (p / "output.json").exists()
        for p in (root / chicago_story.name / "cache" / "train").iterdir()
    )
    again = run(chicago_story.problem, chicago_story.data[0], root)
    assert again.registered == [1] and again.production == 1
    _consistent(chicago_story, root)
    # Seeded and digested: the same bytes as the uninterrupted story's version 1.
    assert _candidate_files(chicago_story, root, "heuristic") == _candidate_files(
        chicago_story, chicago_story.root, "heuristic"
    )


def test_kill_during_register_leaves_no_half_registered_version(chicago_story, new_store):
    root = chicago_story.replay(new_store, upto=1)
    models = lambda: list((root / "artifacts").rglob("MLmodel"))  # noqa: E731
    before = len(models())
    process = _pipeline(chicago_story, chicago_story.data[1], root)
    _wait_for(lambda: len(models()) > before, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    _consistent(chicago_story, root)
    again = run(chicago_story.problem, chicago_story.data[1], root)
    assert again.code == 0 and again.production == 2
    tracker = _consistent(chicago_story, root)
    assert [v.number for v in tracker.versions()] == [1, 2]


def test_two_runs_at_once_on_one_store_both_finish(chicago_story, new_store):
    root = chicago_story.replay(new_store, upto=1)
    both = [_pipeline(chicago_story, chicago_story.data[1], root) for _ in range(2)]
    codes = [p.wait(timeout=600) for p in both]
    outs = [p.communicate()[0].decode() for p in both]
    assert codes == [0, 0], outs
    assert sorted(o.split("\n")[0] for o in outs) == [
        "chicago-ridership: registered",
        "chicago-ridership: unchanged",
    ]
    tracker = _consistent(chicago_story, root)
    assert [v.number for v in tracker.versions()] == [1, 2] and tracker.production().number == 2
    runs = tracker.client.search_runs([tracker.experiment])
    assert len(runs) == 3 and {r.info.status for r in runs} == {"FINISHED"}
