"""The outer split's jobs start with the costliest, as the candidates' inner fits foretell, so
that the worker processes end together."""

from __future__ import annotations

from gonogo.candidates.candidate import assemble
from gonogo.evaluation.outer import Job, Plan, Work
from gonogo.evaluation.selection import Fitter, choose
from gonogo.metrics import METRICS
from tests.conftest import bound, noise_frame


def test_the_costliest_jobs_go_first():
    problem, ds, split = bound(noise_frame(n=2000), split={"outer": 1})
    metric = METRICS["roc_auc"]
    wanted = ("constant", "linear", "gbm")
    candidates = [c for c in assemble(problem, ds, metric, split.ordered) if c.name in wanted]
    fitter = Fitter(ds, metric)
    folds = {fold.selection: fold for fold in split.outer}
    chosen = choose(fitter, candidates, folds, problem.seed, 1, lambda _: None)
    work = Work({"x0": ("x0",)}, {}, problem.seed)
    plan = Plan(fitter, candidates, split, chosen, work)
    jobs = plan.jobs()
    costs = [plan.cost(job) for job in jobs]
    assert costs == sorted(costs, reverse=True) and costs[-1] > 0
    # Boosting's inner fits cost far more per row than the constant's, so its fit goes first
    # though both train on the same rows; the best model on a tenth of them, after its fit.
    fits = [candidates[job.candidate].name for job in jobs if job.kind == "fit"]
    assert fits.index("gbm") < fits.index("constant")
    best = plan.best(0, "model")
    tenth = Job(0, "curve", best, fraction=0.1)
    assert tenth in jobs and jobs.index(tenth) > jobs.index(Job(0, "fit", best))
