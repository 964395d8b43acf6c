"""A failing check is tried again, a bounded number of times with backoff, before it is reported.

Right after a deploy a new API key, WAF association, Lambda permission or execute-api name takes seconds to
minutes to be live everywhere; a check that meets one of them half-way fails once and passes on the next try.
The results say which checks needed a retry (and what the first try got), so a flapping edge stays visible.
Bounded twice: per check (`retries`) and per run (`budget_seconds` of waiting in all), so a broken environment
is reported in minutes. Not retried: latency checks (their figure already aggregates many requests; trying until
it passes would hide a regression that shows half the time), the edge WAF's block, skips and pytest.fail.
"""

import time
from dataclasses import dataclass, field

import pytest
from edge_waf import EdgeBlocked

NO_RETRY = "no_retry"


@dataclass
class Retries:
    retries: int
    backoff_seconds: float
    budget_seconds: float
    waited: float = 0.0
    retried: dict[str, str] = field(default_factory=dict)  # node id → what the retries were

    def pytest_configure(self, config):
        config.addinivalue_line("markers", f"{NO_RETRY}: a failure of this check is reported at once")

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        if pyfuncitem.get_closest_marker(NO_RETRY) or self.retries <= 0:
            return None  # pytest calls the test as usual
        arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        first_failure, tries, started = None, 0, time.monotonic()
        while True:
            tries += 1
            try:
                pyfuncitem.obj(**arguments)
                break
            except EdgeBlocked:
                raise
            except AssertionError as failure:
                first_failure = first_failure or str(failure).splitlines()[0][:200]
                wait = self.backoff_seconds * 2 ** (tries - 1)
                if tries > self.retries or self.waited + wait > self.budget_seconds:
                    spent = tries <= self.retries
                    self.note(pyfuncitem, tries, started, first_failure, passed=False, budget_spent=spent)
                    raise
                self.waited += wait
                time.sleep(wait)
        self.note(pyfuncitem, tries, started, first_failure, passed=True)
        return True

    def note(self, item, tries: int, started: float, first_failure: str | None, passed: bool,
             budget_spent: bool = False) -> None:
        parts = []
        if tries > 1:
            parts.append(f"retried {tries - 1}× over {time.monotonic() - started:.1f} s")
        if budget_spent:
            parts.append(f"not retried further: the run's {self.budget_seconds:.0f} s of retries are spent")
        if not parts:
            return
        what = ", then ".join(parts)
        if passed:
            what += f"; the first try got: {first_failure}"
        self.retried[item.nodeid] = what
        item.user_properties.append(("retried", what))
