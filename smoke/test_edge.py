"""The edge from the outside, one test per promise of the contract (../shared/DESIGN.md, "The HTTP API")."""

import uuid

import pytest
import requests
from edge_client import expect, is_cache_hit, json_body, percentile, with_scheme

CACHE_REPEATS = 2  # the catalog must be a cache hit within this many repeats of a first request
NO_RESTRICTED_KEY = "no restricted consumer key given (--restricted-api-key / SMOKE_RESTRICTED_API_KEY)"


@pytest.fixture
def check(request):
    """Name the check for the results table, with a detail and a latency when there are any."""
    def name(title: str, detail: str = "", latency: str = "") -> None:
        request.node.user_properties.append(("check", title))
        if detail:
            request.node.user_properties.append(("detail", detail))
        if latency:
            request.node.user_properties.append(("latency", latency))
    return name


@pytest.fixture(scope="session")
def catalog(edge) -> list[dict]:
    answer = edge.get("/models").response
    expect(answer.status_code == 200, "GET /models to answer 200", answer)
    return json_body(answer, "the catalog")["models"]


def test_plain_http_redirects_to_https(edge, check):
    check("HTTP → HTTPS redirect")
    target = edge.url("/health")
    answer = requests.get(with_scheme(target, "http"), allow_redirects=False, timeout=edge.timeout)
    expect(answer.status_code == 301 and answer.headers.get("Location") == target,
           f"301 with Location {target} for plain HTTP", answer)


def test_plain_http_post_is_refused_not_redirected(edge, catalog, check):
    check("plain-HTTP POST → 403, no redirect")
    first = catalog[0]
    target = edge.url(f"/models/{first['name']}/predict")
    # never with a consumer key: a key must not cross the network in the clear
    answer = requests.post(with_scheme(target, "http"), json=first["example"], allow_redirects=False,
                           timeout=edge.timeout)
    expect(not 300 <= answer.status_code < 400 and "Location" not in answer.headers,
           f"no redirect for a plain-HTTP POST to {target} (a 301 comes back as a GET)", answer)
    expect(answer.status_code == 403, f"403 for a plain-HTTP POST to {target} (https-only)", answer)
    # the API answers everything in JSON, CloudFront's own refusal is HTML: JSON means plain HTTP reached the API
    expect("application/json" not in answer.headers.get("Content-Type", ""),
           "the edge's own refusal of a plain-HTTP POST, not an answer of the API", answer)


def test_tls_verifies_and_health_is_ok(edge, check):
    timed = edge.get("/health")
    check("TLS verifies · GET /health", latency=f"{timed.ms:.0f} ms")
    expect(timed.response.status_code == 200, "200 from GET /health", timed.response)
    body = json_body(timed.response, "the health answer")
    expect(isinstance(body, dict) and body.get("status") == "ok", '{"status": "ok", …} from GET /health',
           timed.response)


def test_catalog_is_served_from_the_edge_cache(edge, check):
    first = edge.get("/models")
    expect(first.response.status_code == 200, "200 from GET /models", first.response)
    models = json_body(first.response, "the catalog").get("models")
    expect(isinstance(models, list) and models and all({"name", "backend", "example"} <= set(m) for m in models),
           "a catalog of models, each with name, backend and example", first.response)
    repeats = [edge.get("/models") for _ in range(CACHE_REPEATS)]
    hit = next((r for r in repeats if is_cache_hit(r.response)), None)
    check("GET /models cached at the edge", detail=f"{len(models)} models",
          latency=f"{hit.ms:.0f} ms (hit)" if hit else "")
    expect(hit is not None, f"X-Cache: Hit from cloudfront (or RefreshHit) within {CACHE_REPEATS} repeats of "
                            "GET /models", repeats[-1].response)


def test_model_answers_its_example(edge, check, model_spec):
    name, example = model_spec["name"], model_spec["example"]
    answers = [edge.post(f"/models/{name}/predict", json=example) for _ in range(2)]
    check(f"POST /models/{name}/predict")
    for answer in answers:
        expect_predictions(answer.response, model_spec, f"200 for the catalog's example of {name}")
        expect(not is_cache_hit(answer.response), "a POST never answered from the edge cache", answer.response)
    count = len(example["instances"])
    check(f"POST /models/{name}/predict", detail=f"{count} instances → {count} predictions, not cached",
          latency=f"{answers[0].ms:.0f} ms")


def expect_predictions(answer: requests.Response, model: dict, expected_status: str) -> None:
    """200 JSON naming the model, with one prediction per instance of its catalog example."""
    name, count = model["name"], len(model["example"]["instances"])
    expect(answer.status_code == 200, expected_status, answer)
    body = json_body(answer, "the prediction")
    expect(isinstance(body, dict) and body.get("model") == name, f'"model": "{name}" in the answer', answer)
    predictions = body.get("predictions")
    expect(isinstance(predictions, list) and len(predictions) == count, f"{count} predictions, one per instance",
           answer)


@pytest.mark.parametrize(("body", "what"), [
    ('{"instances": "not-a-list"}', "instances that are not a list"),
    ("{not json", "a body that is not JSON"),
])
def test_malformed_body_gets_400_naming_the_problem(edge, catalog, check, body, what):
    name = catalog[0]["name"]
    check(f"400 for {what}")
    answer = edge.post(f"/models/{name}/predict", data=body, headers={"Content-Type": "application/json"}).response
    expect(answer.status_code == 400, f"400 for {what} sent to {name}", answer)
    message = json_body(answer, "the error").get("message")
    expect(isinstance(message, str) and len(message.strip()) > 0, 'a JSON {"message": …} naming the problem', answer)


def test_predict_without_a_consumer_key_is_refused(keyless_edge, catalog, has_api_key, check):
    check("predict without a consumer key → 403")
    if not has_api_key:
        pytest.skip("no consumer key given (--api-key / SMOKE_API_KEY): nothing to compare with")
    first = catalog[0]
    answer = keyless_edge.post(f"/models/{first['name']}/predict", json=first["example"]).response
    expect(answer.status_code == 403, f"403 for POST /models/{first['name']}/predict without x-api-key", answer)
    expect(isinstance(json_body(answer, "the refusal").get("message"), str), 'a JSON {"message": …}', answer)


def test_the_keys_plan_is_reported(pytestconfig, has_api_key, check):
    plan = pytestconfig.option.key_plan
    check("consumer key and its plan", detail=plan or "")
    if not (has_api_key and plan):
        pytest.skip("no consumer key plan given (--key-plan / SMOKE_KEY_PLAN)")


def test_restricted_key_is_refused_on_another_model(restricted_edge, restricted_models, catalog, check):
    check("restricted key on another model → 403")
    if restricted_edge is None:
        pytest.skip(NO_RESTRICTED_KEY)
    other = next((m for m in catalog if m["name"] not in restricted_models), None)
    if other is None:
        pytest.skip(f"every catalog model is in the restricted key's list ({', '.join(restricted_models)}): "
                    "no other model to try")
    allowed = ", ".join(restricted_models)
    check("restricted key on another model → 403", detail=f"{other['name']} (the key may call {allowed})")
    answer = restricted_edge.post(f"/models/{other['name']}/predict", json=other["example"]).response
    expect(answer.status_code == 403,
           f"403 for the restricted key on {other['name']} (outside its list: {allowed})", answer)
    body = json_body(answer, "the refusal")
    expect(isinstance(body, dict) and isinstance(body.get("message"), str), 'a JSON {"message": …}', answer)


def test_restricted_key_predicts_with_its_own_model(restricted_edge, restricted_models, catalog, check):
    check("restricted key on its own model → 200")
    if restricted_edge is None:
        pytest.skip(NO_RESTRICTED_KEY)
    own = next((m for m in catalog if m["name"] in restricted_models), None)
    expect(own is not None, f"one of the restricted key's models ({', '.join(restricted_models)}) in the catalog",
           note=f"the catalog lists {', '.join(m['name'] for m in catalog)}")
    check("restricted key on its own model → 200", detail=own["name"])
    answer = restricted_edge.post(f"/models/{own['name']}/predict", json=own["example"]).response
    expect_predictions(answer, own, f"200 for the restricted key on {own['name']} (in its list)")


def test_unknown_model_gets_404(edge, check):
    check("404 for an unknown model")
    name = f"no-such-model-{uuid.uuid4().hex[:8]}"
    answer = edge.post(f"/models/{name}/predict", json={"instances": [[1]]}).response
    expect(answer.status_code == 404, f"404 for POST /models/{name}/predict", answer)
    expect(isinstance(json_body(answer, "the error").get("message"), str), 'a JSON {"message": …}', answer)


def test_answers_are_json_with_hsts(edge, catalog, check):
    check("JSON and Strict-Transport-Security on every answer")
    first = catalog[0]
    answers = [edge.get("/health").response, edge.get("/models").response,
               edge.post(f"/models/{first['name']}/predict", json=first["example"]).response]
    for answer in answers:
        expect("application/json" in answer.headers.get("Content-Type", ""),
               f"Content-Type application/json from {answer.request.method} {answer.request.path_url}", answer)
        hsts = answer.headers.get("Strict-Transport-Security", "")
        expect("max-age=" in hsts and not hsts.strip().startswith("max-age=0"),
               f"a Strict-Transport-Security header from {answer.request.method} {answer.request.path_url}",
               answer)


def test_origin_refuses_callers_without_the_secret(origin, catalog, check):
    check("origin without the secret header → 403")
    answers = [origin.get("/health").response,
               origin.post(f"/models/{catalog[0]['name']}/predict", json=catalog[0]["example"]).response]
    for answer in answers:
        expect(answer.status_code == 403,
               f"403 from the origin for {answer.request.method} {answer.request.path_url} without the secret",
               answer)


def latency_check(check, budgets, kind: str, samples_ms: list[float], label: str) -> None:
    p50, p95 = percentile(samples_ms, 50), percentile(samples_ms, 95)
    budget = budgets[kind]
    check(f"latency {label}", detail=f"{len(samples_ms)} requests; budget p50 {budget['p50']} ms, p95 "
                                     f"{budget['p95']} ms", latency=f"p50 {p50:.0f} ms · p95 {p95:.0f} ms")
    expect(p50 <= budget["p50"] and p95 <= budget["p95"],
           f"{label} within budget (p50 ≤ {budget['p50']} ms, p95 ≤ {budget['p95']} ms)",
           note=f"got p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(samples_ms)} requests")


def test_catalog_latency_within_budget(edge, budgets, samples, check):
    timings = [edge.get("/models") for _ in range(samples)]
    for timed in timings:
        expect(timed.response.status_code == 200, "200 from GET /models", timed.response)
    latency_check(check, budgets, "catalog", [t.ms for t in timings], "GET /models (cached)")


def test_inference_latency_within_budget(edge, catalog, budgets, samples, check):
    first = catalog[0]
    timings = [edge.post(f"/models/{first['name']}/predict", json=first["example"]) for _ in range(samples)]
    for timed in timings:
        expect(timed.response.status_code == 200, f"200 from POST /models/{first['name']}/predict", timed.response)
    latency_check(check, budgets, "predict", [t.ms for t in timings], f"POST /models/{first['name']}/predict")

