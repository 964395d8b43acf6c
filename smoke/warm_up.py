"""Each model is warmed up before the calls that are timed or asserted.

A backend that scales to zero (SageMaker serverless, KServe with scale-to-zero) answers its first request late,
or not within API Gateway's integration timeout (a 504). That is the first user's experience after a quiet
hour, not an outage: the suite calls each model's catalog example until the backend answers (a 2xx or 4xx; a
bounded number of tries with backoff), then times and asserts warm calls, and says what the warm-up met.
"""

import time
from dataclasses import dataclass

from edge_client import Client, NoAnswer
from edge_waf import EdgeBlocked

TRIES = 4
TIMEOUT_SECONDS = 35  # longer than API Gateway's 29 s integration timeout: a cold call may take all of it


@dataclass(frozen=True)
class WarmUp:
    calls: list[str]  # what each warm-up call got
    seconds: float

    @property
    def refused(self) -> bool:
        return self.calls[-1].startswith("4")

    def describe(self) -> str:
        if self.refused:
            return f"not warmed up: the warm-up call got {self.calls[-1]}"
        if len(self.calls) == 1:
            return f"warm-up: {self.calls[0]}"
        return f"warm-up: {' → '.join(self.calls)} ({self.seconds:.1f} s)"


class WarmUps:
    """One warm-up per model and run, done by the first check that needs the model."""

    def __init__(self, client: Client, backoff_seconds: float):
        self.client = client
        self.backoff_seconds = backoff_seconds
        self.done: dict[str, WarmUp] = {}

    def of(self, model: dict) -> WarmUp:
        """The model's warm-up; done again when the last one was refused before the backend (a 4xx: a key not
        live yet, say), never again after a backend that stayed cold (its checks report it)."""
        name = model["name"]
        if name not in self.done or self.done[name].refused:
            self.done[name] = self._warm_up(model)
        return self.done[name]

    def _warm_up(self, model: dict) -> WarmUp:
        calls, started = [], time.monotonic()
        for attempt in range(TRIES):
            try:
                timed = self.client.post(f"/models/{model['name']}/predict", json=model["example"],
                                         timeout=max(self.client.timeout, TIMEOUT_SECONDS))
                calls.append(f"{timed.response.status_code} in {timed.ms:.0f} ms")
                if timed.response.status_code < 500:
                    break
            except EdgeBlocked:
                raise
            except NoAnswer as error:
                calls.append(f"no answer ({error.kind})")
            if attempt + 1 < TRIES:
                time.sleep(self.backoff_seconds * 2 ** attempt)
        return WarmUp(calls, time.monotonic() - started)
