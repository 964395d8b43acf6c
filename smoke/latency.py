"""Latency figures honest about their sample size, and the budget each one is judged against.

With n timings, the median is judged from MIN_FOR_MEDIAN on, a nearest-rank p95 only from MIN_FOR_P95 on: below
that, the "p95" of n timings is their maximum, and one slow request on a shared runner would fail the run. The
maximum is always reported, as the maximum.

Budgets (`--budgets FILE`, environments/<env>/smoke.json), in ms, `p50` meaning the median:
    {"catalog": {"p50": …, "p95": …},            GET /models from the edge cache
     "predict": {"p50": …, "p95": …},            every model, unless one of these says otherwise:
     "backends": {"reference": {…}, "sagemaker": {…}, "http": {…}},
     "models": {"churn": {…}}}
A model's limit comes from the first of models.<name>, backends.<its backend>, predict that sets it, else from
the built-in default of its backend kind: every model has a budget, and the results say where it came from.
"""

import math
import statistics
from dataclasses import dataclass

MIN_FOR_MEDIAN = 5
MIN_FOR_P95 = 20
DEFAULT_CATALOG = {"p50": 300, "p95": 1000}
# by backend kind: a warm Lambda, a SageMaker endpoint, a model server over the internet (each behind the edge)
DEFAULT_BY_BACKEND = {"reference": {"p50": 500, "p95": 1500}, "sagemaker": {"p50": 1000, "p95": 3000},
                      "http": {"p50": 1000, "p95": 3000}}
DEFAULT_PREDICT = {"p50": 1000, "p95": 3000}  # a backend kind this suite does not know
LIMITS = ("p50", "p95")


def nearest_rank(samples_ms: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100)."""
    ordered = sorted(samples_ms)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Budget:
    p50: float
    p95: float
    source: str  # where the limits came from, for the results

    def describe(self) -> str:
        return f"median ≤ {self.p50:.0f} ms, p95 ≤ {self.p95:.0f} ms ({self.source})"


def catalog_budget(config: dict) -> Budget:
    limits = {**DEFAULT_CATALOG, **config.get("catalog", {})}
    return Budget(limits["p50"], limits["p95"], "catalog" if "catalog" in config else "default")


def model_budget(config: dict, name: str, backend: str) -> Budget:
    layers = [(f"models.{name}", config.get("models", {}).get(name, {})),
              (f"backends.{backend}", config.get("backends", {}).get(backend, {})),
              ("predict", config.get("predict", {})),
              (f"default for {backend}", DEFAULT_BY_BACKEND.get(backend, DEFAULT_PREDICT))]
    limits, sources = {}, []
    for source, values in layers:
        taken = [limit for limit in LIMITS if limit in values and limit not in limits]
        limits.update({limit: values[limit] for limit in taken})
        if taken:
            sources.append(source)
    return Budget(limits["p50"], limits["p95"], " + ".join(sources))


@dataclass(frozen=True)
class Verdict:
    figures: str  # what the latency column shows
    judged: str  # what was compared with the budget, for the detail
    over: list[str]  # each limit exceeded, empty when within budget
    judgeable: bool


def judge(samples_ms: list[float], budget: Budget) -> Verdict:
    n = len(samples_ms)
    median, worst = statistics.median(samples_ms), max(samples_ms)
    figures = f"median {median:.0f} ms · max {worst:.0f} ms"
    over, judged = [], []
    if n >= MIN_FOR_MEDIAN:
        judged.append(f"median ≤ {budget.p50:.0f} ms")
        if median > budget.p50:
            over.append(f"median {median:.0f} ms > {budget.p50:.0f} ms")
    if n >= MIN_FOR_P95:
        p95 = nearest_rank(samples_ms, 95)
        figures = f"median {median:.0f} ms · p95 {p95:.0f} ms · max {worst:.0f} ms"
        judged.append(f"p95 ≤ {budget.p95:.0f} ms")
        if p95 > budget.p95:
            over.append(f"p95 {p95:.0f} ms > {budget.p95:.0f} ms")
    else:
        judged.append(f"p95 not judged below {MIN_FOR_P95} requests")
    return Verdict(figures, ", ".join(judged), over, n >= MIN_FOR_MEDIAN)
