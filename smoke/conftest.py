"""The ml-edge edge smoke suite: options, shared clients, the deployed models, and the plugins of the run.

python -m pytest smoke --edge-url URL --origin-url [REGION=]URL… [--expected-models M1,M2] [--api-key KEY]
[--junitxml FILE] (or EDGE_URL, ORIGIN_URLS / ORIGIN_URL, SMOKE_EXPECTED_MODELS, SMOKE_API_KEY,
SMOKE_RESTRICTED_API_KEY, SMOKE_RESTRICTED_MODELS). `--origin-url` once per region: each region's direct origin is
checked on its own (origins.py).
Models come from the deployed list when given (the stack output `models`), else from GET /models. Keys are sent
as x-api-key to the edge only, and never printed.
"""

import json
import os
import re
from pathlib import Path

import pytest
from catalog import CatalogRead, read_catalog
from edge_client import Client, expect, json_body, with_scheme
from edge_waf import BlockState
from latency import budget_problems
from origins import Origin
from origins import given as given_origins
from origins import problems as origin_problems
from readiness import PROBE_BODY, wait_until_ready
from results import SmokeResults
from retrying import Retries
from warm_up import WarmUps

MAX_SAMPLES = 50
HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # what an x-api-key header can carry as is
CATALOG_READ = pytest.StashKey[CatalogRead]()
ORIGINS = pytest.StashKey[list[Origin]]()


def pytest_addoption(parser):
    group = parser.getgroup("ml-edge smoke")
    group.addoption("--edge-url", default=os.environ.get("EDGE_URL"), help="https URL of the edge (EDGE_URL)")
    group.addoption("--origin-url", action="append", metavar="[REGION=]URL",
                    help="https invoke URL of the API stage; once per region as REGION=URL when the API runs in "
                         "several (ORIGIN_URLS: space-separated REGION=URL; ORIGIN_URL: one)")
    group.addoption("--expected-models", default=os.environ.get("SMOKE_EXPECTED_MODELS", ""),
                    help="comma-separated models deployed (the stack output `models`; SMOKE_EXPECTED_MODELS): "
                         "tested whatever the edge's cached catalog lists, and compared with it")
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
                    help="wait up to SECONDS for the edge to answer on its cached and uncached paths before "
                         "testing (a fresh deploy); default 0")
    group.addoption("--wait-interval", type=float, default=5.0, metavar="SECONDS",
                    help="seconds between two polls while waiting (default 5)")
    group.addoption("--retries", type=int, default=2,
                    help="times a failing check is tried again before it is reported (default 2; 0: never)")
    group.addoption("--retry-backoff", type=float, default=5.0, metavar="SECONDS",
                    help="wait before the first retry, doubled for each next one (default 5); also paces the "
                         "warm-up of cold models and the re-reads of a stale catalog")
    group.addoption("--retry-budget", type=float, default=120.0, metavar="SECONDS",
                    help="most seconds of waiting for retries in one run (default 120)")
    group.addoption("--budgets", type=Path,
                    help="JSON latency budgets in ms: {catalog|predict: {p50, p95}, backends: {kind: …}, "
                         "models: {name: …}}")
    group.addoption("--samples", type=int, default=20,
                    help=f"requests per latency figure (default 20, ≤ {MAX_SAMPLES}; the median is judged from 5, "
                         "the p95 from 20)")
    group.addoption("--request-timeout", type=float, default=15.0, help="seconds per request")
    group.addoption("--results-file", type=Path, help="also write the results table (Markdown) to this file")


def pytest_configure(config):
    config.addinivalue_line("markers", "check(title): the check's title in the results ({param} names a parameter)")
    config.stash[ORIGINS] = given_origins(config.option.origin_url, os.environ)
    results = SmokeResults(config.option.edge_url, config.option.results_file)
    config.pluginmanager.register(results, "ml-edge-smoke-results")
    config.pluginmanager.register(BlockState(), "ml-edge-smoke-edge-waf")
    config.pluginmanager.register(Retries(config.option.retries, config.option.retry_backoff,
                                          config.option.retry_budget), "ml-edge-smoke-retries")
    if config.option.help or config.option.collectonly:
        return
    missing = [flag for flag, value in (("--edge-url/EDGE_URL", config.option.edge_url),
                                        ("--origin-url/ORIGIN_URL (or ORIGIN_URLS)", config.stash[ORIGINS]))
               if not value]
    if missing:
        raise pytest.UsageError(f"the smoke suite needs {' and '.join(missing)}")
    if not config.option.edge_url.startswith("https://"):
        raise pytest.UsageError(f"--edge-url must be an https:// URL, got {config.option.edge_url!r}")
    problems = origin_problems(config.stash[ORIGINS])
    if problems:
        raise pytest.UsageError("; ".join(problems))
    if not 1 <= config.option.samples <= MAX_SAMPLES:
        raise pytest.UsageError(f"--samples must be 1–{MAX_SAMPLES}")
    if config.option.retries < 0 or config.option.retry_backoff < 0 or config.option.retry_budget < 0:
        raise pytest.UsageError("--retries, --retry-backoff and --retry-budget cannot be negative")
    for flag, variable in (("--api-key", "SMOKE_API_KEY"), ("--restricted-api-key", "SMOKE_RESTRICTED_API_KEY")):
        key = getattr(config.option, flag.removeprefix("--").replace("-", "_"))
        if key and not HEADER_SAFE.fullmatch(key.strip()):
            # requests would refuse the header with the value in its message: say so without showing it
            raise pytest.UsageError(f"{flag}/{variable} holds characters an x-api-key header cannot carry "
                                    "(value not shown)")
    if config.option.budgets:
        check_budgets(config.option.budgets)
    if config.option.restricted_api_key and not model_list(config.option.restricted_models):
        raise pytest.UsageError("--restricted-api-key needs --restricted-models/SMOKE_RESTRICTED_MODELS: the "
                                "comma-separated models that key may call")


def check_budgets(path: Path) -> None:
    try:
        problems = budget_problems(json.loads(path.read_text()))
    except (OSError, ValueError) as error:
        problems = [f"unreadable: {error}"]
    if problems:
        raise pytest.UsageError(f"--budgets {path}: " + "; ".join(problems))


def pytest_collection_modifyitems(config, items):
    """Each check's title, known before it runs: a check skipped or failed in its setup is named too."""
    for item in items:
        mark = item.get_closest_marker("check")
        if mark:
            # one origin is a fixture, several a parameter (pytest_generate_tests): either may name the region
            params = {"origin": the_only_origin(config), **(item.callspec.params if hasattr(item, "callspec") else {})}
            item.user_properties.append(("check", mark.args[0].format(**params)))


def model_list(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def pytest_sessionstart(session):
    config = session.config
    if config.option.wait_ready > 0 and config.option.edge_url:
        wait_until_ready(edge_client(config), model_list(config.option.expected_models), config.option.wait_ready,
                         config.option.wait_interval)


def observer(config):
    """Every answer of the edge: its edge location counted for the results, the edge WAF's block caught."""
    results = config.pluginmanager.get_plugin("ml-edge-smoke-results")
    block = config.pluginmanager.get_plugin("ml-edge-smoke-edge-waf")

    def observe(response) -> None:
        results.observe(response)
        block.observe(response)
    return observe


def edge_client(config, key: str | None = None, base_url: str | None = None) -> Client:
    """A client of the edge sending `key` (by default the smoke consumer's) as x-api-key when there is one."""
    key = (key or config.option.api_key or "").strip()
    return Client(base_url or config.option.edge_url, config.option.request_timeout,
                  {"x-api-key": key} if key else None, observer(config))


@pytest.fixture(scope="session")
def edge(pytestconfig) -> Client:
    return edge_client(pytestconfig)


@pytest.fixture(scope="session")
def plain_edge(pytestconfig) -> Client:
    """The edge over plain HTTP, never with a consumer key: a key must not cross the network in the clear."""
    return Client(with_scheme(pytestconfig.option.edge_url, "http"), pytestconfig.option.request_timeout,
                  observe=observer(pytestconfig))


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
    return Client(pytestconfig.option.edge_url, pytestconfig.option.request_timeout, observe=observer(pytestconfig))


def origins_of(config) -> list[Origin]:
    return config.stash.get(ORIGINS, [])


def the_only_origin(config) -> Origin:
    origins = origins_of(config)
    return origins[0] if len(origins) == 1 else Origin(None, "")


@pytest.fixture(scope="session")
def origins(pytestconfig) -> list[Origin]:
    return origins_of(pytestconfig)


@pytest.fixture(scope="session")
def origin(pytestconfig) -> Origin:
    """The one origin given; with several, each check of an origin is parametrized by region instead."""
    return the_only_origin(pytestconfig)


@pytest.fixture
def origin_client(origin, pytestconfig) -> Client:
    # deliberately without the secret header (and without any API key): the origin must refuse it
    return Client(origin.url, pytestconfig.option.request_timeout)


@pytest.fixture(scope="session")
def budgets(pytestconfig) -> dict:
    path = pytestconfig.option.budgets
    return json.loads(path.read_text()) if path else {}


@pytest.fixture(scope="session")
def samples(pytestconfig) -> int:
    return pytestconfig.option.samples


@pytest.fixture(scope="session")
def warm_ups(edge, pytestconfig) -> WarmUps:
    return WarmUps(edge, pytestconfig.option.retry_backoff)


# --- the models: deployed (the stack output) or, without that list, the catalog's ------------------------------

def expected_models_of(config) -> list[str]:
    return model_list(config.option.expected_models)


def catalog_read_of(config) -> CatalogRead:
    """The edge's catalog, read once per run (again while it differs from the deployed models, bounded)."""
    if CATALOG_READ not in config.stash:
        config.stash[CATALOG_READ] = read_catalog(edge_client(config), expected_models_of(config) or None,
                                                  config.option.retries, config.option.retry_backoff)
    return config.stash[CATALOG_READ]


@pytest.fixture(scope="session")
def expected_models(pytestconfig) -> list[str]:
    return expected_models_of(pytestconfig)


@pytest.fixture(scope="session")
def catalog_read(pytestconfig) -> CatalogRead:
    return catalog_read_of(pytestconfig)


@pytest.fixture(scope="session")
def catalog(catalog_read) -> list[dict]:
    expect(catalog_read.models is not None, "the catalog at GET /models", note=catalog_read.problem)
    return catalog_read.models


@pytest.fixture(scope="session")
def sample_model(catalog, expected_models) -> dict:
    """The model the checks of the API as a whole use: the first deployed model the catalog lists."""
    listed = [m for m in catalog if not expected_models or m["name"] in expected_models]
    expect(bool(listed), "a deployed model in the edge's catalog, to send its example",
           note=f"the catalog lists {', '.join(m['name'] for m in catalog)}; deployed: {', '.join(expected_models)}")
    return listed[0]


def pytest_generate_tests(metafunc):
    origins = origins_of(metafunc.config)
    if "origin" in metafunc.fixturenames and len(origins) > 1:
        metafunc.parametrize("origin", origins, ids=[o.region for o in origins], scope="session")
    if "model" in metafunc.fixturenames:
        names = expected_models_of(metafunc.config)
        if not names:
            read = catalog_read_of(metafunc.config)
            names = read.names if read.models is not None else ["catalog-unavailable"]
        metafunc.parametrize("model", names)


@pytest.fixture
def model_spec(model, catalog_read, edge, has_api_key) -> dict:
    """The catalog entry of a model under test (its example); a deployed model the edge's catalog lacks is probed
    on its route and skipped, saying so: the catalog check reports the stale copy once."""
    if catalog_read.models is None:
        pytest.fail(f"expected the catalog at GET /models to list the models; {catalog_read.problem}",
                    pytrace=False)
    spec = catalog_read.spec(model)
    if spec is None:
        probe_unlisted_model(edge, model, has_api_key)
    return spec


def probe_unlisted_model(edge: Client, name: str, has_api_key: bool) -> None:
    path = f"/models/{name}/predict"
    answer = edge.post(path, json=PROBE_BODY).response
    unlisted = f"the edge's catalog does not list {name} (a stale copy: see the catalog check), so there is no " \
               "example to send"
    if not has_api_key:
        pytest.skip(f"not predicted: {unlisted}, and without a consumer key its route cannot be probed")
    expect(answer.status_code == 400, f"the deployed model {name} to have a route: 400 for a malformed body to "
                                      f"POST {path}", answer, note=unlisted)
    json_body(answer, "the refusal")
    pytest.skip(f"not predicted: {unlisted}; its route answers (400 for a malformed body)")
