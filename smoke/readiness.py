"""`--wait-ready`: wait until a freshly deployed edge answers on its cached and its uncached paths.

A cached `GET /health` says little after a deploy: the copy may predate it, and a new distribution, execute-api
name, WAF association or authorizer permission takes seconds to minutes to be live. So readiness also needs an
uncached answer from the API itself: a predict of a deployed model, with the consumer key when there is one, and a
body the request validation refuses, so that no model backend (cold, or broken: that is for the checks to say)
is involved. A 200 or a JSON 4xx carrying a message is the API answering through the edge (a key that is not
live yet answers 403: the checks retry it); CloudFront's own errors (HTML, 502/503/504), API Gateway's 5xx (a
missing authorizer permission) and no answer mean not yet. Readiness never judges a check; it only delays the
start, and gives up with the last answer it saw.
"""

import sys
import time

import pytest
from edge_client import Client, NoAnswer, cache_state
from edge_waf import EdgeBlocked

PROBE_BODY = {"instances": "readiness probe"}  # refused by request validation, before any backend


def probe(client: Client, expected_models: list[str]) -> str | None:
    """None when the edge is ready, else what is not."""
    health = client.get("/health").response
    if health.status_code != 200:
        return f"GET /health: {health.status_code} {health.reason} ({cache_state(health)})"
    models = expected_models or catalog_names(client)
    if not models:
        return "GET /models: no model listed yet"
    path = f"/models/{models[0]}/predict"
    answer = client.post(path, json=PROBE_BODY).response
    is_json = "application/json" in answer.headers.get("Content-Type", "")
    try:
        message = answer.json().get("message") if is_json else None
    except (ValueError, AttributeError):
        message = None
    if answer.status_code == 200 or (400 <= answer.status_code < 500 and isinstance(message, str)):
        return None
    return f"POST {path}: {answer.status_code} {answer.reason} ({cache_state(answer)})"


def catalog_names(client: Client) -> list[str]:
    answer = client.get("/models").response
    try:
        return [m["name"] for m in answer.json()["models"]] if answer.status_code == 200 else []
    except (ValueError, KeyError, TypeError):
        return []


def wait_until_ready(client: Client, expected_models: list[str], seconds: float, interval: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            last = probe(client, expected_models)
        except EdgeBlocked:
            return  # the first check reports it
        except NoAnswer as error:
            last = error.kind
        if last is None:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise pytest.UsageError(f"the edge {client.base_url} was not ready after {seconds:g} s (last: {last})")
        print(f"waiting for the edge {client.base_url}: {last}; {remaining:.0f} s left", file=sys.stderr)
        time.sleep(min(interval, remaining))
