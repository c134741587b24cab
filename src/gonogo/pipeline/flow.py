"""The pipeline's chain after ingest: the data gate, training, the model gate, and what is
logged and registered. Loaded only when a run has something to do."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

from gonogo.candidates.fitted import FittedCandidate
from gonogo.candidates.pinned import Pinned
from gonogo.candidates.store import OtherFormatError
from gonogo.checks.finding import Finding
from gonogo.data import dialect
from gonogo.data.label import LabelCodec
from gonogo.data.statistics import file_schemas, shown
from gonogo.errors import SpecError
from gonogo.pipeline import steps
from gonogo.pipeline.blessing import Blessing
from gonogo.pipeline.choice import Choice, described, recorded
from gonogo.pipeline.gates import passes
from gonogo.pipeline.ingest import Ingested, spec_digest
from gonogo.pipeline.outcome import Outcome
from gonogo.pipeline.store import Store
from gonogo.pipeline.tracking import RunLog, Tracker, Version, log_run, packages
from gonogo.problem import Problem


def _finding(f: Finding) -> dict[str, Any]:
    return {"check": f.check, "severity": f.severity, "message": f.message}


FIRST = (
    "the first run ships the best heuristic (launch without ML); a model takes production "
    "only through the gate of a later run"
)

OTHER = (
    "production (version {}) was saved by another gonogo, in a format this one does not read: "
    "it cannot be scored or served here, so this run starts over"
)
SEEN = (
    "production was trained on the files of {seen} of the {rows} evaluation rows, and the "
    "others are too few to judge it on, so the comparison with production favors it: a loss "
    "to it is no evidence against the new model; compare the two on rows neither saw, then "
    "promote by hand"
)

BLOCKED = (
    "the PoC blocks on this data (the findings marked poc.blocked): the spec's formulation "
    "needs fixing, whatever the new files hold"
)


def _seen(blessing: Blessing) -> list[str]:
    """How production was judged: on the evaluation rows of files it was not trained on
    (said when there are others), or on all of them, in its favor, when those are too few."""
    if blessing.seen:
        return [SEEN.format(seen=blessing.seen, rows=blessing.rows)]
    if blessing.judged < blessing.rows:
        return [
            f"production was judged on the {blessing.judged} of the {blessing.rows} evaluation "
            "rows that come from files it was not trained on"
        ]
    return []


@dataclass
class _Context:
    problem: Problem
    store: Store
    ingested: Ingested
    tracker: Tracker
    log: RunLog = field(default_factory=RunLog)


def _describe(ctx: _Context, production: Version | None) -> None:
    """What every logged run carries: its spec, data, schema and lineage."""
    spec = spec_digest(ctx.problem)
    ctx.log.tags |= {"gonogo.spec": spec, "gonogo.version": packages()["gonogo"]}
    ctx.log.params |= {"spec_digest": spec, "files": len(ctx.ingested.files)}
    if production is not None:
        ctx.log.params["production_before"] = production.number
    data = [{"path": p, "digest": d} for p, d in ctx.ingested.files]
    ctx.log.documents["lineage.json"] = {
        "spec": spec,
        "spec_body": ctx.problem.model_dump(mode="json", by_alias=True),
        "data": data,
        "packages": packages(),
        "python": platform.python_version(),
    }
    ctx.log.files.append(ctx.store.schema_file)
    ctx.log.inputs += [(p, d, "training") for p, d in ctx.ingested.files]


def _gate(ctx: _Context, production: Version | None) -> list[Finding]:
    """The data gate on the files production has not seen, against the schema (inferred from
    the data on a first run) and the statistics of production's training data. The
    statistics of all the data, the next runs' reference, are logged once the data passes."""
    found: list[Finding] = []
    given = dialect.given(ctx.problem)
    if production is None:
        stats = steps.statistics(ctx.store, ctx.ingested, given)
        # Before the schema is written: a wrong limit leaves no schema behind.
        steps.gate_columns(ctx.problem, list(stats.columns), stats.schema().dated())
        steps.schema(ctx.store, stats)
    else:
        reference, seen = ctx.tracker.reference(production)
        schema = steps.schema(ctx.store, reference)
        new = ctx.ingested.new(seen)
        if not new.files:  # nothing to gate, but a spec's limits on no column are still wrong
            steps.gate_columns(ctx.problem, schema.names, schema.dated())
        else:
            current = steps.statistics(ctx.store, new, given)
            share = len(new.files) / max(len(seen), 1)
            paths = new.paths()
            columns = [s.names for s in file_schemas(paths, "data", given)]
            files = dict(zip(shown(paths), columns, strict=True))
            found = steps.validate(ctx.problem, schema, reference, current, share, files)
            ctx.log.documents["anomalies.json"] = [_finding(f) for f in found]
            ctx.log.documents["new-statistics.json"] = current.to_dict()
    _describe(ctx, production)
    if passes(found):
        stats = steps.statistics(ctx.store, ctx.ingested, given)
        ctx.log.documents["statistics.json"] = stats.to_dict()
    return found


def _finish(ctx: _Context, outcome: Outcome, registered: dict[str, str] | None = None) -> Outcome:
    """Log the run, register what it earned (the alias moving last), and remember it. What
    the run decided (its outcome tag and outcome.json) is recorded after all of that: a run
    that crashed on the way is marked failed and claims nothing."""
    outcome.run_id, uris = log_run(ctx.tracker, ctx.log)
    with ctx.tracker.failing(outcome.run_id):
        for role, fp in (registered or {}).items():
            tags = {"gonogo.candidate": str(ctx.log.params.get(f"{role}_name", role))}
            made = ctx.tracker.register(role, uris[role], outcome.run_id, fp, tags)
            outcome.registered.append(made)
        if outcome.registered:
            ctx.tracker.move(outcome.registered[-1])
        ctx.tracker.conclude(outcome.run_id, outcome.status, outcome.decision())
    production = ctx.tracker.production()
    outcome.production = production.number if production else None
    return outcome


def _estimates(blessing: Blessing) -> dict[str, dict[str, Any]]:
    return {k: {"value": e.value, "ci": list(e.ci)} for k, e in blessing.gains.items()}


def _trained_log(ctx: _Context, trained: steps.Trained) -> None:
    out = trained.output
    ctx.log.tags["gonogo.verdict"] = out["decision"]
    ctx.log.params |= {f"{r}_name": n for r, n in out["names"].items()}
    ctx.log.metrics |= {f"holdout.{k}": v for k, v in out["metrics"].items() if v is not None}
    ctx.log.files += [trained.folder / "verdict.json", trained.folder / "report.html"]


def _models(ctx: _Context, trained: steps.Trained, roles: list[str]) -> dict[str, str]:
    rows = trained.holdout()
    fp = trained.output["fingerprint"]
    for role in roles:
        ctx.log.models[role] = (trained.folder / "final" / role, rows)
    return dict.fromkeys(roles, fp)


Serving = tuple[Version | None, FittedCandidate | None]


def _serving(ctx: _Context, known: Serving = (None, None)) -> Serving:
    """Production's version and candidate (loaded again only if the alias moved; None when
    another gonogo saved it, in a format this one does not read)."""
    production = ctx.tracker.production()
    if production is None or production == known[0]:
        return production, known[1]
    try:
        return production, ctx.tracker.candidate(production)
    except OtherFormatError:
        return production, None


def _register(ctx: _Context, trained: steps.Trained, serving: Serving) -> Outcome:
    """The model gate and registration, under the store's lock: against production as it is
    now, which another run may have moved since this one started."""
    production, current = _serving(ctx, serving)
    if production is None or current is None:
        # A production another gonogo saved cannot be scored or served here: start over.
        other = [] if production is None else [OTHER.format(production.number)]
        first = Outcome("registered", ctx.problem.name, reasons=[*other, FIRST])
        return _finish(ctx, first, _models(ctx, trained, ["heuristic"]))
    same_fit = production.tags.get("gonogo.fingerprint") == trained.output["fingerprint"]
    if same_fit and production.role == "model":
        same = f"production (version {production.number}) already is what this run trains"
        return _finish(ctx, Outcome("unchanged", ctx.problem.name, reasons=[same]))
    roles: list[str] = []
    outcome = Outcome("not blessed", ctx.problem.name)
    if trained.has("model"):
        seen = ctx.tracker.reference(production)[1]
        blessing = steps.evaluate(ctx.problem, trained, current, seen)
        outcome.reasons, outcome.gains = list(blessing.reasons), _estimates(blessing)
        outcome.reasons += _seen(blessing)
        if blessing.behind is not None:
            said = f"production (version {production.number}) {blessing.behind}"
            outcome.findings.append(
                {"check": "model.production_behind", "severity": "warn", "message": said}
            )
        ctx.log.documents["gate.json"] = {"blessed": blessing.blessed} | outcome.decision()
        roles += ["model"] if blessing.blessed else []
    else:
        outcome.reasons = [
            "the PoC found no model to train: " + "; ".join(trained.output["reasons"])
        ]
    if roles:
        outcome.status = "registered"
    return _finish(ctx, outcome, _models(ctx, trained, roles))


def _pinned(ctx: _Context, production: Version | None, choice: Choice) -> Pinned | None:
    """The configurations to fit: as given, else those of the run that trained production
    (none on a first run, or when choosing afresh)."""
    if choice.given is not None or choice.reselect or production is None:
        return choice.given
    verdict = ctx.tracker.run_json(production.run_id, "verdict.json")
    return recorded(verdict, f"version {production.number}'s run", ctx.problem.name)


def _same_label(ctx: _Context, serving: Serving) -> None:
    """Refuse a spec whose label is not production's (another column; another task or
    positive class where both specs name one): it is another problem, whose versions would
    replace production's with predictions of something else."""
    production, candidate = serving
    if production is None or candidate is None:  # no production, or another gonogo's
        return
    body = ctx.tracker.run_json(production.run_id, "lineage.json").get("spec_body", {})
    was = body.get("label") or {}
    now = ctx.problem.label.model_dump(mode="json", by_alias=True)
    for key in ("column", "task", "positive"):
        if key != "column" and None in (was.get(key), now.get(key)):
            continue
        _same(ctx, production, key, now.get(key), was.get(key))
    # Where inference decides: the task, or a binary label's positive class.
    binary = "binary" in (was.get("task"), now.get("task"), candidate.codec.task)
    inferred = None in (was.get("task"), now.get("task")) or (
        binary and None in (was.get("positive"), now.get("positive"))
    )
    learned = steps.label_codec(ctx.problem, ctx.ingested) if inferred else None
    if learned is not None:
        _same_codec(ctx, production, learned, candidate.codec)


def _same_codec(ctx: _Context, production: Version, now: LabelCodec, was: LabelCodec) -> None:
    """The task and positive class the files give the label, against production's, where a
    spec left them to inference: a 0/1 column production learned as classes, called a
    quantity now, would have its probabilities replaced by amounts."""
    given = ctx.problem.label
    for key in ("task", "positive"):
        how = "" if getattr(given, key) is not None else " (inferred from the data)"
        _same(ctx, production, key, getattr(now, key), getattr(was, key), how)


def _same(
    ctx: _Context, production: Version, key: str, now: object, was: object, how: str = ""
) -> None:
    if now != was:
        raise SpecError(
            f"{ctx.problem.source}: label.{key}",
            f"is {now!r}{how}, but production (version {production.number}) was trained with "
            f"{was!r}: another label is another problem; give its spec another name",
        )


def execute(problem: Problem, store: Store, ingested: Ingested, choice: Choice) -> Outcome:
    """Gate, train, gate, log and register: a run that was not cached."""
    ctx = _Context(problem, store, ingested, Tracker(store))
    serving = _serving(ctx)  # loaded first: a tampered version stops the run before it trains
    _same_label(ctx, serving)
    pinned = _pinned(ctx, serving[0], choice)
    ctx.log.params["configured"] = described(pinned)
    findings = _gate(ctx, serving[0])
    trained = None
    if passes(findings):
        trained = steps.train(problem, store, ingested, pinned)
        _trained_log(ctx, trained)
        if trained.blocked:
            findings += [Finding("poc.blocked", "block", m) for m in trained.output["blocking"]]
    if not passes(findings) or trained is None:
        failed = Outcome("data gate failed", problem.name, findings=[_finding(f) for f in findings])
        failed.reasons = [BLOCKED] if trained is not None and trained.blocked else []
        with store.lock():
            return _finish(ctx, failed)
    with store.lock():
        outcome = _register(ctx, trained, serving)
    outcome.findings = [_finding(f) for f in findings]
    return outcome
