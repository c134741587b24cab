"""The pipeline on a no-go problem (hawks told apart by one measurement): the heuristic is what
production serves; a broken span fails the data gate with every problem named; bad input —
a tampered version, a broken schema file, an unknown name or alias, an unreachable tracking
server — is one line, exit 2, and nothing is written."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pandas as pd
import pytest
import yaml

from gonogo.data.schema import InputSchema
from gonogo.errors import InputError
from gonogo.pipeline.blessing import Blessing
from gonogo.pipeline.flow import BLOCKED, SEEN, _seen
from gonogo.pipeline.runner import run
from gonogo.problem import load_problem, parse_problem
from tests.conftest import noise_frame
from tests.stores import HAWKS, gonogo

pytestmark = pytest.mark.xdist_group("hawks-pipeline")


def _runs(story, root):
    tracker = story.tracker(root)
    return len(tracker.client.search_runs([tracker.experiment])), len(tracker.versions())


def _spec(story):
    return story.problem.base_dir / "hawks.yaml"


def _span(folder, rows: pd.DataFrame):
    """A folder holding the story's first file and `rows` as a second one."""
    folder.mkdir()
    pd.read_parquet(HAWKS).to_parquet(folder / "hawks-1.parquet", index=False)
    rows.to_parquet(folder / "hawks-2.parquet", index=False)
    return str(folder / "hawks-*.parquet")


def test_on_a_no_go_problem_production_serves_the_heuristic(hawks_story):
    first = hawks_story.outcomes[0]
    assert (first.status, first.registered, first.production) == ("registered", [1], 1)
    tracker = hawks_story.tracker()
    production = tracker.production()
    assert production.role == "heuristic"
    run = tracker.client.get_run(production.run_id)
    assert run.data.tags["gonogo.verdict"] == "no-go"
    served = tracker.candidate(production)
    assert served.kind == "baseline" and served.name == production.tags["gonogo.candidate"]


def test_the_heuristic_production_serves_is_the_family_the_poc_scored(hawks_story):
    tracker = hawks_story.tracker()
    production = tracker.production()
    verdict = tracker.run_json(production.run_id, "verdict.json")
    scored = next(
        c for c in verdict["candidates"] if c["name"] == production.tags["gonogo.candidate"]
    )
    assert scored["config"]["family"] in ("threshold", "rate", "tree", "rank")
    assert tracker.candidate(production).estimator.settled() == scored["config"]


def test_the_data_gate_names_a_new_category_a_dropped_column_and_drift(
    hawks_story, new_store, tmp_path
):
    root = hawks_story.replay(new_store, upto=1)
    before = _runs(hawks_story, root)
    rows = pd.read_parquet(HAWKS).sample(200, random_state=1)
    rows.loc[rows.index[:40], "Age"] = "J"  # juveniles: a category the schema has not seen
    rows["Tail"] = rows["Tail"] * 1.4
    data = _span(tmp_path / "spans", rows.drop(columns=["Wing"]))
    done = gonogo("pipeline", "run", _spec(hawks_story), "--data", data, "--store", root, "--json")
    assert done.returncode == 3, done.stderr
    outcome = json.loads(done.stdout)
    blocks = {
        (f["check"], f["message"].split()[0])
        for f in outcome["findings"]
        if f["severity"] == "block"
    }
    assert {
        ("data.unseen_categories", "Age"),
        ("data.missing_column", "Wing"),
        ("data.drift", "Tail"),
    } <= blocks
    assert outcome["status"] == "data gate failed" and outcome["production"] == 1
    # The failed run is logged for the record; nothing is registered.
    assert _runs(hawks_story, root) == (before[0] + 1, before[1])


def _one_line_exit_2(done):
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    return done.stderr


def test_a_tampered_version_is_refused_and_nothing_is_written(hawks_story, new_store, tmp_path):
    root = hawks_story.replay(new_store, upto=1)
    before = _runs(hawks_story, root)
    (manifest,) = (root / "artifacts").rglob("candidate.json")
    manifest.write_text(manifest.read_text().replace('"rows": ', '"rows": 1', 1))
    data = _span(tmp_path / "spans", pd.read_parquet(HAWKS).iloc[::-1])
    done = gonogo("pipeline", "run", _spec(hawks_story), "--data", data, "--store", root)
    assert "does not match its digest" in _one_line_exit_2(done)
    assert _runs(hawks_story, root) == before


def test_a_schema_edited_into_nonsense_is_named_by_its_line(hawks_story, new_store, tmp_path):
    root = hawks_story.replay(new_store, upto=1)
    before = _runs(hawks_story, root)
    schema = root / "hawks" / "schema.yaml"
    text = schema.read_text()
    line = text[: text.index("type: number")].count("\n") + 1
    schema.write_text(text.replace("type: number", "type: numbr", 1))
    data = _span(tmp_path / "spans", pd.read_parquet(HAWKS).iloc[::-1])
    done = gonogo("pipeline", "run", _spec(hawks_story), "--data", data, "--store", root)
    assert f"schema.yaml:{line}: " in _one_line_exit_2(done)
    assert _runs(hawks_story, root) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("models", "show", "hawks@staging"), "hawks@staging: no such version or alias"),
        (("models", "show", "hawks@"), "hawks@: expected NAME, NAME@ALIAS or NAME@VERSION"),
        (("models", "promote", "hawks@7"), "hawks@7: no such version or alias"),
        (("models", "promote", "hawks"), "promote needs a version number"),
        (("lineage", "owls@production"), "owls: no problem of this name"),
        (("lineage", "hawk@production"), "in the tracking store sqlite"),
        (("serve", "hawk"), "hawk: no problem of this name in the tracking store sqlite"),
        (("runs", "show", "hawks", "0123abc"), "tracking sqlite"),
        (("models", "rollback", "hawks"), "nothing to roll back to"),
    ],
)
def test_an_unknown_name_alias_or_run_is_one_line(hawks_story, args, message):
    before = _runs(hawks_story, hawks_story.root)
    said = _one_line_exit_2(gonogo(*args, "--store", hawks_story.root))
    assert message in said
    if args[1].split("@")[0] == "hawk":  # the name the store holds, nearest first
        assert said.rstrip().endswith("(did you mean 'hawks'?)")
    assert _runs(hawks_story, hawks_story.root) == before


def test_an_unreachable_tracking_server_is_one_line(hawks_story, tmp_path):
    root = tmp_path / "store"
    done = gonogo(
        "pipeline",
        "run",
        _spec(hawks_story),
        "--store",
        root,
        env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"},
    )
    assert "tracking http://127.0.0.1:9" in _one_line_exit_2(done)
    assert not root.exists()


def test_without_a_store_the_registry_commands_say_so(tmp_path):
    done = gonogo("models", "list", "hawks", "--store", tmp_path / "nowhere")
    assert "no gonogo store here" in _one_line_exit_2(done)
    assert not (tmp_path / "nowhere").exists()


def test_a_store_moved_elsewhere_reads_its_own_artifacts(hawks_story, tmp_path):
    first, moved = tmp_path / "first", tmp_path / "moved"
    shutil.copytree(hawks_story.root, first)
    hawks_story.tracker(first)  # opened where it was copied, then moved on
    shutil.copytree(first, moved)
    shutil.rmtree(first)
    tracker = hawks_story.tracker(moved)
    served = tracker.candidate(tracker.production())
    done = gonogo("models", "show", "hawks", "--store", moved)
    assert served.name == hawks_story.tracker().production().tags["gonogo.candidate"]
    assert done.returncode == 0, done.stderr
    text = (moved / "mlflow.db").read_bytes().decode(errors="ignore")
    assert str(first) not in text and str(hawks_story.root) not in text


@pytest.fixture
def small_spec(tmp_path):
    noise_frame(n=400).to_parquet(tmp_path / "noise.parquet", index=False)
    path = tmp_path / "noise.yaml"
    path.write_text(
        yaml.safe_dump(
            {"name": "noise", "label": {"column": "y"}, "data": {"path": "noise.parquet"}}
        )
    )
    return path


def test_a_poc_run_is_tracked_when_asked(small_spec, new_store, tmp_path):
    from gonogo.pipeline.store import Store
    from gonogo.pipeline.tracking import Tracker

    root = new_store()
    done = gonogo("run", small_spec, "--out", tmp_path / "out", "--track", "--store", root, "-q")
    assert done.returncode == 0, done.stderr
    tracker = Tracker(Store(root, "noise"), create=False)
    (run,) = tracker.client.search_runs([tracker.experiment])
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text())
    assert (
        run.data.tags["gonogo.kind"] == "poc"
        and run.data.tags["gonogo.verdict"] == verdict["verdict"]
    )
    assert {f"holdout.{c['name']}" for c in verdict["candidates"]} == set(run.data.metrics)
    logged = {a.path for a in tracker.client.list_artifacts(run.info.run_id)}
    assert logged == {"verdict.json", "report.html"}


def test_an_unreachable_tracking_server_stops_a_poc_run_before_it_writes(small_spec, tmp_path):
    done = gonogo(
        "run",
        small_spec,
        "--out",
        tmp_path / "out",
        env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"},
    )
    assert "tracking http://127.0.0.1:9" in _one_line_exit_2(done)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["logging its heuristic", "moving the alias"])
def test_a_run_that_crashes_on_the_way_claims_no_outcome(where, small_spec, new_store, monkeypatch):
    """The disk fills while the first run logs its heuristic, or as it moves the alias after
    registering it: one line naming the store, the run marked failed and saying nothing of
    what it decided, nothing in production; the next run registers as a first."""
    from gonogo.pipeline import tracking

    root = new_store()
    problem = load_problem(small_spec)

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        if where == "logging its heuristic":
            patched.setattr(tracking, "_log_model", full_disk)
        else:
            patched.setattr(tracking.Tracker, "move", lambda *_: full_disk())
        with pytest.raises((InputError, OSError), match="No space left on device"):
            run(problem, root=root)
    tracker = tracking.Tracker(tracking.Store(root, "noise"), create=False)
    (crashed,) = tracker.client.search_runs([tracker.experiment])
    assert crashed.info.status == "FAILED" and "gonogo.outcome" not in crashed.data.tags
    logged = {a.path for a in tracker.client.list_artifacts(crashed.info.run_id)}
    assert "outcome.json" not in logged and tracker.production() is None
    again = run(problem, root=root)
    assert (again.status, again.registered) == ("registered", [1])
    runs = tracker.client.search_runs([tracker.experiment], order_by=["attributes.start_time"])
    assert [r.data.tags.get("gonogo.outcome") for r in runs] == [None, "registered"]
    assert tracker.run_json(runs[1].info.run_id, "outcome.json")["status"] == "registered"


def _other_configs(verdict, problem, ds):
    """The verdict with every model pinned to a configuration its run did not choose, and the
    rule to another family."""
    from gonogo.pipeline.train import candidates

    grids = {c.name: c.configs for c in candidates(problem, ds)}
    for entry in verdict["candidates"]:
        if "family" in entry["config"]:
            entry["config"] = {
                "family": "threshold" if entry["config"]["family"] == "tree" else "tree"
            }
            continue
        others = [c for c in grids[entry["name"]] if c != entry["config"]]
        entry["config"] = others[0] if others else entry["config"]
    return verdict


def test_the_pipeline_fits_the_configurations_a_poc_chose(small_spec, new_store, tmp_path):
    from gonogo.candidates.store import load
    from gonogo.data.dataset import load as load_data
    from gonogo.pipeline.store import Store
    from gonogo.pipeline.tracking import Tracker
    from gonogo.problem import load_problem

    done = gonogo("run", small_spec, "--out", tmp_path / "out", "-q")
    assert done.returncode == 0, done.stderr
    problem = load_problem(small_spec)
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text())
    pinned = _other_configs(verdict, problem, load_data(problem))
    (tmp_path / "pinned.json").write_text(json.dumps(pinned))
    root = new_store()
    args = ("pipeline", "run", small_spec, "--store", root, "--config", tmp_path / "pinned.json")
    done = gonogo(*args, "--json")
    assert done.returncode == 0, done.stderr
    (train,) = (root / "noise" / "cache" / "train").iterdir()
    tracker = Tracker(Store(root, "noise"), create=False)
    (logged,) = tracker.client.search_runs([tracker.experiment])
    assert logged.data.params["configured"] == f"as {tmp_path / 'pinned.json'} chose"
    chose = json.loads((train / "verdict.json").read_text())
    assert [c["config"] for c in chose["candidates"]] == [c["config"] for c in pinned["candidates"]]
    model = load(train / "final" / "model")
    assert model.provenance["config"] == next(
        c["config"] for c in pinned["candidates"] if c["name"] == chose["best_model"]
    )
    # A configuration the candidates do not have stops the run before it writes.
    pinned["candidates"][-1]["config"] = {"max_depth": 99}
    (tmp_path / "pinned.json").write_text(json.dumps(pinned))
    elsewhere = tmp_path / "elsewhere"
    done = gonogo(*args[:3], "--store", elsewhere, "--config", tmp_path / "pinned.json")
    assert "configuration {'max_depth': 99} is not one of" in _one_line_exit_2(done)
    assert not elsewhere.exists()


def test_a_query_is_ingested_as_a_snapshot_of_its_result(new_store, tmp_path, monkeypatch):
    import pyarrow as pa

    from gonogo.errors import DataError
    from gonogo.pipeline.ingest import snapshot
    from gonogo.pipeline.store import Store
    from gonogo.pipeline.tracking import Tracker

    frame = noise_frame(n=400)
    frame.to_parquet(tmp_path / "noise.parquet", index=False)
    raw = {"name": "noise-sql", "label": {"column": "y"}}
    query = "SELECT * FROM 'noise.parquet' WHERE x3 > -9"
    problem = parse_problem(raw | {"data": {"sql": query}}, tmp_path, "q.yaml")
    root = new_store()
    first = run(problem, None, root)
    assert first.status == "registered" and first.registered == [1]
    (kept,) = (root / "noise-sql" / "snapshots").glob("*.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(kept), frame, check_dtype=False)
    tracker = Tracker(Store(root, "noise-sql"), create=False)
    lineage = tracker.run_json(tracker.version(1).run_id, "lineage.json")
    assert [d["path"] for d in lineage["data"]] == [str(kept)]
    assert lineage["spec_body"]["data"]["sql"] == query
    # The same rows again: the same snapshot, nothing to do.
    assert run(problem, None, root).cached
    assert len(list((root / "noise-sql" / "snapshots").iterdir())) == 1
    # A query that fails, or whose result Parquet cannot hold, writes nothing.
    broken = parse_problem(raw | {"data": {"sql": "SELECT * FROM 'none.parquet'"}}, source="q.yaml")
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(DataError, match=r"q.yaml: data.sql: query .* failed"):
        run(broken, None, elsewhere)
    interval = "SELECT INTERVAL 1 DAY AS wait, * FROM 'noise.parquet'"
    odd = parse_problem(raw | {"data": {"sql": interval}}, tmp_path, "q.yaml")
    with pytest.raises(DataError, match="q.yaml: data.sql: its result cannot be kept as Parquet"):
        run(odd, None, elsewhere)
    assert not (elsewhere / "noise-sql").exists()
    # The name is the content's: the same rows in other batches give the same snapshot.
    table = pa.Table.from_pandas(frame, preserve_index=False)
    digests = set()
    for size in (37, 1000):
        batches = pa.Table.from_batches(table.to_batches(max_chunksize=size))
        monkeypatch.setattr("gonogo.data.sql.read", lambda _p, t=batches: t)
        digests.add(snapshot(problem, tmp_path / f"by-{size}")[1])
    assert len(digests) == 1


def test_a_blocked_poc_is_said_to_be_the_formulation(new_store, tmp_path):
    frame = noise_frame(n=400)
    frame["copy"] = frame["y"]  # the label itself among the inputs: the PoC blocks
    frame.to_parquet(tmp_path / "leak.parquet", index=False)
    spec = {"name": "leak", "label": {"column": "y"}, "data": {"path": "leak.parquet"}}
    (tmp_path / "leak.yaml").write_text(yaml.safe_dump(spec))
    done = run(load_problem(tmp_path / "leak.yaml"), None, new_store())
    assert done.status == "data gate failed" and done.code == 3
    assert any(f["check"] == "poc.blocked" for f in done.findings)
    assert done.reasons == [BLOCKED]


def test_how_production_was_judged_is_said_when_it_had_seen_some_rows():
    assert _seen(Blessing(True, (), rows=500, judged=500)) == []
    [fresh] = _seen(Blessing(True, (), rows=500, judged=120))
    assert fresh == (
        "production was judged on the 120 of the 500 evaluation rows that come from files it "
        "was not trained on"
    )
    [favored] = _seen(Blessing(True, (), rows=500, judged=500, seen=490))
    assert favored == SEEN.format(seen=490, rows=500)
    assert "a loss to it is no evidence against the new model" in favored


def test_a_schema_edited_to_let_the_data_through_runs_again(new_store, tmp_path):
    from gonogo.data import schemafile
    from gonogo.pipeline.store import Store

    first = noise_frame(n=400)
    later = first.iloc[:200].copy()  # training's rows again, but for x0 in 3% of them
    later.iloc[:6, later.columns.get_loc("x0")] = first["x0"].max() + 0.5
    first.to_parquet(tmp_path / "a.parquet", index=False)
    later.to_parquet(tmp_path / "b.parquet", index=False)
    spec = {"name": "bounds", "label": {"column": "y"}, "data": {"path": "a.parquet"}}
    (tmp_path / "bounds.yaml").write_text(yaml.safe_dump(spec))
    problem, root = load_problem(tmp_path / "bounds.yaml"), new_store()
    run(problem, str(tmp_path / "a.parquet"), root)
    both = str(tmp_path / "[ab].parquet")
    stopped = run(problem, both, root)
    assert [f["check"] for f in stopped.findings] == ["data.out_of_range"]
    assert stopped.findings[0]["message"].endswith("give it gate.columns.x0.out_of_range")
    assert run(problem, both, root).cached  # the same schema: nothing to do
    path = Store(root, problem.name).schema_file
    path.write_text(path.read_text() + "# reviewed: a comment changes nothing\n")
    assert run(problem, both, root).cached
    schema = schemafile.read(path)
    bounded = [replace(f, maximum=10.0) if f.name == "x0" else f for f in schema.fields]
    schemafile.write(InputSchema(tuple(bounded)), path)  # the team's bound admits them
    through = run(problem, both, root)
    assert not through.cached and through.status != "data gate failed"
    assert run(problem, both, root).cached


def test_gate_limits_on_a_column_the_problem_does_not_read_stop_a_rerun_too(small_spec, new_store):
    """Checked on every run, not only where there are files to gate: a rerun on the same data
    with a misspelt column in gate.columns would otherwise pass with the limits unused."""
    from gonogo.errors import SpecError

    root = new_store()
    run(load_problem(small_spec), None, root)
    raw = yaml.safe_load(small_spec.read_text()) | {"gate": {"columns": {"x9": {"drift": 0.5}}}}
    small_spec.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError, match=r"gate.columns.x9: is not a column the problem reads"):
        run(load_problem(small_spec), None, root)


def test_a_task_the_data_gave_production_is_held_against_a_spec_that_states_another(
    small_spec, new_store
):
    """Production learned the 0/1 label as classes, its task left to inference: a spec that
    calls it a quantity passes the comparison of specs, and is refused by what the files give
    the label, before it trains, logs or registers anything (and before production's
    configurations, which a regression's candidates do not have, are named)."""
    from gonogo.pipeline.store import Store
    from gonogo.pipeline.tracking import Tracker

    root = new_store()
    done = gonogo("pipeline", "run", small_spec, "--store", root)
    assert done.returncode == 0, done.stderr
    body = yaml.safe_load(small_spec.read_text())
    small_spec.write_text(yaml.safe_dump(body | {"label": {"column": "y", "task": "regression"}}))
    done = gonogo("pipeline", "run", small_spec, "--store", root)
    assert (
        "label.task: is 'regression', but production (version 1) was trained with 'binary'"
        in _one_line_exit_2(done)
    )
    tracker = Tracker(Store(root, "noise"), create=False)
    assert [v.number for v in tracker.versions()] == [1]
    assert len(tracker.client.search_runs([tracker.experiment])) == 1


def test_production_is_judged_on_the_evaluation_rows_of_files_it_never_saw(
    hawks_story, new_store, tmp_path
):
    """A random holdout over both files holds rows of the file production was trained on:
    it is judged on those of the new file alone, and the outcome says on how many."""
    import re

    root = hawks_story.replay(new_store, upto=1)
    data = _span(tmp_path / "spans", pd.read_parquet(HAWKS).sample(frac=1.0, random_state=2))
    done = gonogo("pipeline", "run", _spec(hawks_story), "--data", data, "--store", root, "--json")
    assert done.returncode in (0, 4), done.stderr
    said = [r for r in json.loads(done.stdout)["reasons"] if r.startswith("production was")]
    [(judged, rows)] = [
        re.fullmatch(r"production was judged on the (\d+) of the (\d+) .*", r).groups()
        for r in said
    ]
    assert 0.3 < int(judged) / int(rows) < 0.7  # the new file's share of a random holdout
