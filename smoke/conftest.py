"""The ml-edge edge smoke suite: options, shared clients, model discovery, and the results table.

python -m pytest smoke --edge-url URL --origin-url URL [--api-key KEY] [--restricted-models M1,M2] [--junitxml FILE]
(or EDGE_URL, ORIGIN_URL, SMOKE_API_KEY, SMOKE_RESTRICTED_API_KEY, SMOKE_RESTRICTED_MODELS). It needs nothing else:
models come from GET /models. Keys are sent as x-api-key to the edge only, and never printed.
"""

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest
from edge_client import Client, NoAnswer, expect, json_body
from results import SmokeResults

DEFAULT_BUDGETS_MS = {"catalog": {"p50": 300, "p95": 1000}, "predict": {"p50": 1000, "p95": 3000}}
MAX_SAMPLES = 50
HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # what an x-api-key header can carry as is


def pytest_addoption(parser):
    group = parser.getgroup("ml-edge smoke")
    group.addoption("--edge-url", default=os.environ.get("EDGE_URL"), help="https URL of the edge (EDGE_URL)")
    group.addoption("--origin-url", default=os.environ.get("ORIGIN_URL"),
                    help="https invoke URL of the API stage (ORIGIN_URL)")
    group.addoption("--api-key", default=os.environ.get("SMOKE_API_KEY"),
                    help="consumer API key sent as x-api-key (SMOKE_API_KEY); optional")
    group.addoption("--key-plan", default=os.environ.get("SMOKE_KEY_PLAN"),
                    help="the limits of the key's usage plan, reported in the results (SMOKE_KEY_PLAN)")
    group.addoption("--restricted-api-key", default=os.environ.get("SMOKE_RESTRICTED_API_KEY"),
                    help="a consumer key limited to some models (SMOKE_RESTRICTED_API_KEY; prefer the variable: a "
                         "command line is visible to other processes); optional")
    group.addoption("--restricted-models", default=os.environ.get("SMOKE_RESTRICTED_MODELS", ""),
                    help="comma-separated models the restricted key may call (SMOKE_RESTRICTED_MODELS)")
    group.addoption("--wait-ready", type=float, default=0.0, metavar="SECONDS",
                    help="poll GET /health for up to SECONDS before testing (a fresh distribution); default 0")
    group.addoption("--wait-interval", type=float, default=5.0, metavar="SECONDS",
                    help="seconds between two polls while waiting (default 5)")
    group.addoption("--budgets", type=Path, help="JSON latency budgets in ms: {catalog|predict: {p50, p95}}")
    group.addoption("--samples", type=int, default=10, help=f"requests per latency measurement (≤ {MAX_SAMPLES})")
    group.addoption("--request-timeout", type=float, default=15.0, help="seconds per request")
    group.addoption("--results-file", type=Path, help="also write the results table (Markdown) to this file")


def pytest_configure(config):
    config.pluginmanager.register(SmokeResults(config.option.edge_url, config.option.results_file),
                                  "ml-edge-smoke-results")
    if config.option.help or config.option.collectonly:
        return
    missing = [flag for flag, value in (("--edge-url/EDGE_URL", config.option.edge_url),
                                        ("--origin-url/ORIGIN_URL", config.option.origin_url)) if not value]
    if missing:
        raise pytest.UsageError(f"the smoke suite needs {' and '.join(missing)}")
    for flag, value in (("--edge-url", config.option.edge_url), ("--origin-url", config.option.origin_url)):
        if not value.startswith("https://"):
            raise pytest.UsageError(f"{flag} must be an https:// URL, got {value!r}")
    if not 1 <= config.option.samples <= MAX_SAMPLES:
        raise pytest.UsageError(f"--samples must be 1–{MAX_SAMPLES}")
    for flag, variable in (("--api-key", "SMOKE_API_KEY"), ("--restricted-api-key", "SMOKE_RESTRICTED_API_KEY")):
        key = getattr(config.option, flag.removeprefix("--").replace("-", "_"))
        if key and not HEADER_SAFE.fullmatch(key.strip()):
            # requests would refuse the header with the value in its message: say so without showing it
            raise pytest.UsageError(f"{flag}/{variable} holds characters an x-api-key header cannot carry "
                                    "(value not shown)")
    if config.option.restricted_api_key and not model_list(config.option.restricted_models):
        raise pytest.UsageError("--restricted-api-key needs --restricted-models/SMOKE_RESTRICTED_MODELS: the "
                                "comma-separated models that key may call")


def model_list(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def pytest_sessionstart(session):
    seconds = session.config.option.wait_ready
    if seconds > 0 and session.config.option.edge_url:
        wait_until_ready(edge_client(session.config), seconds, session.config.option.wait_interval)


def wait_until_ready(client: Client, seconds: float, interval: float = 5.0) -> None:
    """A new distribution takes minutes to propagate: wait for GET /health to answer 200 once, then test.
    The wait never retries a check; it only delays the start, and gives up with the last answer it saw."""
    deadline = time.monotonic() + seconds
    last = "no answer yet"
    while True:
        try:
            answer = client.get("/health").response
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.reason}"
        except NoAnswer as error:
            last = error.kind
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise pytest.UsageError(f"{client.url('/health')} was not ready after {seconds:.0f} s (last: {last})")
        print(f"waiting for {client.url('/health')}: {last}; {remaining:.0f} s left", file=sys.stderr)
        time.sleep(min(interval, remaining))


def edge_client(config, key: str | None = None) -> Client:
    """A client of the edge sending `key` (by default the smoke consumer's) as x-api-key when there is one."""
    key = (key or config.option.api_key or "").strip()
    return Client(config.option.edge_url, config.option.request_timeout, {"x-api-key": key} if key else None)


@pytest.fixture(scope="session")
def edge(pytestconfig) -> Client:
    return edge_client(pytestconfig)


@pytest.fixture(scope="session")
def has_api_key(pytestconfig) -> bool:
    # a flag, never the key: pytest prints a failing test's arguments
    return bool(pytestconfig.option.api_key)


@pytest.fixture(scope="session")
def restricted_edge(pytestconfig) -> Client | None:
    """The edge with the restricted consumer's key, None without one (its checks are then skipped)."""
    key = pytestconfig.option.restricted_api_key
    return edge_client(pytestconfig, key) if key and key.strip() else None


@pytest.fixture(scope="session")
def restricted_models(pytestconfig) -> list[str]:
    return model_list(pytestconfig.option.restricted_models)


@pytest.fixture(scope="session")
def keyless_edge(pytestconfig) -> Client:
    return Client(pytestconfig.option.edge_url, pytestconfig.option.request_timeout)


@pytest.fixture(scope="session")
def origin(pytestconfig) -> Client:
    # deliberately without the secret header (and without any API key): the origin must refuse it
    return Client(pytestconfig.option.origin_url, pytestconfig.option.request_timeout)


@pytest.fixture(scope="session")
def budgets(pytestconfig) -> dict:
    path = pytestconfig.option.budgets
    loaded = json.loads(path.read_text()) if path else {}
    return {kind: {**limits, **loaded.get(kind, {})} for kind, limits in DEFAULT_BUDGETS_MS.items()}


@pytest.fixture(scope="session")
def samples(pytestconfig) -> int:
    return pytestconfig.option.samples


# --- models, discovered from the catalog --------------------------------------------------------------------------

class CatalogUnavailable:
    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return "catalog-unavailable"


def discover_models(config) -> list:
    try:
        answer = edge_client(config).get("/models").response
        expect(answer.status_code == 200, "GET /models to answer 200", answer)
        models = json_body(answer, "the catalog")["models"]
        expect(bool(models), "at least one model in the catalog", answer)
        return models
    except (AssertionError, KeyError, TypeError) as error:
        return [CatalogUnavailable(str(error))]


def pytest_generate_tests(metafunc):
    if "model" in metafunc.fixturenames:
        models = discover_models(metafunc.config)
        ids = [m["name"] if isinstance(m, dict) else repr(m) for m in models]
        metafunc.parametrize("model", models, ids=ids)


@pytest.fixture
def model_spec(model) -> dict:
    if isinstance(model, CatalogUnavailable):
        pytest.fail(f"expected the catalog at GET /models to list the models; {model.reason}")
    return model
