"""The edge from the outside, one test per promise of the contract (../shared/DESIGN.md, "The HTTP API")."""

import uuid

import pytest
import requests
from edge_client import cache_state, describe, expect, expect_https_redirect, is_cache_hit, json_body
from latency import MIN_FOR_MEDIAN, catalog_budget, judge, model_budget
from origins import REGION_HEADER
from readiness import PROBE_BODY

CACHE_REPEATS = 3  # the catalog must be a cache hit within this many repeats of a first request
NO_RESTRICTED_KEY = "no restricted consumer key given (--restricted-api-key / SMOKE_RESTRICTED_API_KEY)"
# API Gateway checks the API key (and runs the authorizer) before it validates a request's body: without a key
# a malformed body gets the key's 403, not the validation's 400
NO_KEY = "no consumer key given (--api-key / SMOKE_API_KEY): API Gateway checks the key before the body, so " \
         "without one this gets 403"
ORIGIN_SECRET_HEADER = "X-Origin-Verify"
WRONG_SECRET = "ml-edge-smoke-not-the-origin-secret"
# program/ml_edge/api.py, _origin_guard: the regional WAF's custom response. It answers before API Gateway's own
# access checks (AWS WAF is evaluated before resource policies, authorizers and API keys: "Use AWS WAF to protect
# your REST APIs in API Gateway"), and its custom response takes precedence over the API's gateway responses.
GUARD_BODY = {"message": "Forbidden"}
GUARD_CACHE_CONTROL = "no-store"


@pytest.fixture
def record(request):
    """Add a detail and a latency to the check's row of the results (its title is its `check` mark)."""
    def add(detail: str = "", latency: str = "") -> None:
        if detail:
            request.node.user_properties.append(("detail", detail))
        if latency:
            request.node.user_properties.append(("latency", latency))
    return add


@pytest.mark.check("HTTP → HTTPS redirect")
def test_plain_http_redirects_to_https(plain_edge, edge, record):
    answer = plain_edge.get("/health").response
    target = edge.url("/health")
    expect_https_redirect(answer, target)


@pytest.mark.check("plain-HTTP POST → 403, no redirect")
def test_plain_http_post_is_refused_not_redirected(plain_edge, sample_model, record):
    path = f"/models/{sample_model['name']}/predict"
    target = plain_edge.url(path)
    # never with a consumer key: a key must not cross the network in the clear
    answer = plain_edge.post(path, json=sample_model["example"]).response
    expect(not 300 <= answer.status_code < 400 and "Location" not in answer.headers,
           f"no redirect for a plain-HTTP POST to {target} (a 301 comes back as a GET)", answer)
    expect(answer.status_code == 403, f"403 for a plain-HTTP POST to {target} (https-only)", answer)
    # the API answers everything in JSON, CloudFront's own refusal is HTML: JSON means plain HTTP reached the API
    expect("application/json" not in answer.headers.get("Content-Type", ""),
           "the edge's own refusal of a plain-HTTP POST, not an answer of the API", answer)
    # what CloudFront's own error pages carry, for the record: HTML, X-Cache "Error from cloudfront", and no
    # header of the response headers policy need be there (HSTS over plain HTTP is ignored anyway: RFC 6797 §8.1)
    hsts = answer.headers.get("Strict-Transport-Security")
    record(detail=f"CloudFront's own page: {answer.headers.get('Content-Type', 'no Content-Type')}, "
                 f"{cache_state(answer)}, {'HSTS ' + hsts if hsts else 'no HSTS'}")


@pytest.mark.check("TLS verifies · GET /health")
def test_tls_verifies_and_health_is_ok(edge, record):
    timed = edge.get("/health")
    record(detail=cache_state(timed.response), latency=f"{timed.ms:.0f} ms")
    expect(timed.response.status_code == 200, "200 from GET /health", timed.response)
    body = json_body(timed.response, "the health answer")
    expect(isinstance(body, dict) and body.get("status") == "ok", '{"status": "ok", …} from GET /health',
           timed.response)


@pytest.mark.check("GET /models lists the deployed models")
@pytest.mark.no_retry  # the catalog is read again, bounded, before this judges it
def test_catalog_lists_the_deployed_models(catalog_read, expected_models, record):
    if not expected_models:
        pytest.skip("no deployed models given (--expected-models / SMOKE_EXPECTED_MODELS, the stack output "
                    "`models`): nothing to compare the catalog with")
    expect(catalog_read.models is not None, "the catalog at GET /models", note=catalog_read.problem)
    expect(not catalog_read.problem, f"the edge's catalog to list exactly the deployed models after "
                                     f"{catalog_read.reads} reads", note=f"{catalog_read.problem}: invalidate "
                                                                         "/models on the distribution")
    later = f", on read {catalog_read.reads} (read 1: {catalog_read.first_difference})" if catalog_read.reads > 1 \
        else ""
    record(detail=f"{', '.join(expected_models)}{later}")


@pytest.mark.check("GET /models cached at the edge")
def test_catalog_is_served_from_the_edge_cache(edge, record):
    first = edge.get("/models")
    expect(first.response.status_code == 200, "200 from GET /models", first.response)
    models = json_body(first.response, "the catalog").get("models")
    expect(isinstance(models, list) and models and all({"name", "backend", "example"} <= set(m) for m in models),
           "a catalog of models, each with name, backend and example", first.response)
    # repeated over the same kept-alive connection: a new connection may reach another edge location, whose
    # cache is its own; a hit is judged from X-Cache, and told with its edge location and Age
    repeats = []
    for _ in range(CACHE_REPEATS):
        repeats.append(edge.get("/models"))
        if is_cache_hit(repeats[-1].response):
            break
    hit = repeats[-1] if is_cache_hit(repeats[-1].response) else None
    record(detail=f"{len(models)} models; {cache_state(hit.response)}, repeat {len(repeats)}" if hit else "",
           latency=f"{hit.ms:.0f} ms (hit)" if hit else "")
    expect(hit is not None, f"X-Cache: Hit from cloudfront (or RefreshHit) within {CACHE_REPEATS} repeats of "
                            f"GET /models on one connection (first answer: {cache_state(first.response)})",
           repeats[-1].response)


@pytest.mark.check("POST /models/{model}/predict")
def test_model_answers_its_example(edge, warm_ups, record, model_spec):
    name, example = model_spec["name"], model_spec["example"]
    warm = warm_ups.of(model_spec)
    answers = [edge.post(f"/models/{name}/predict", json=example) for _ in range(2)]
    try:
        for answer in answers:
            expect_predictions(answer.response, model_spec, f"200 for the catalog's example of {name}")
        # never from a cache, the edge's or any other on the way: an answer from a cache repeats the request id
        # API Gateway gave the answer it copies (and one replayed by a cache in front of the edge even says
        # "X-Cache: Miss from cloudfront", as stored): two calls, two ids
        ids = [a.response.headers.get("x-amzn-RequestId") for a in answers]
        expect(all(ids) and ids[0] != ids[1], "two distinct x-amzn-RequestId for two identical POSTs (a POST is "
                                              "never answered from a cache)", answers[1].response,
               note=f"the first answer's id: {ids[0]}")
    except AssertionError as failure:
        raise AssertionError(f"{failure} ({warm.describe()})") from None
    count = len(example["instances"])
    record(detail=f"{count} instances → {count} predictions, not cached (2 distinct request ids); {warm.describe()}",
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


@pytest.mark.check("region that served predict")
def test_the_region_that_served_predict_is_reported(edge, sample_model, origins, record):
    """X-ML-Edge-Region of the edge's answer: the region CloudFront reached (Route 53's latency choice for its edge
    location). With several origins given, it must be one of them; with one, it is reported, and an answer
    without it (an API deployed before it named its region) is reported as unknown, not failed."""
    path = f"/models/{sample_model['name']}/predict"
    answer = edge.post(path, json=sample_model["example"]).response
    region = answer.headers.get(REGION_HEADER)
    tested = [origin.region for origin in origins if origin.region]
    several = len(origins) > 1
    expect(region is not None or not several,
           f"{REGION_HEADER} on the edge's answer to POST {path}: several regions are tested "
           f"({', '.join(tested)}), and every answer of the API names its own", answer)
    expect(region in tested or not several, f"POST {path} served by one of the regions tested ({', '.join(tested)})",
           answer, note=f"{REGION_HEADER}: {region}; that region's origin was not checked")
    pop = answer.headers.get("x-amz-cf-pop")
    where = f"{answer.status_code} at {pop}" if pop else str(answer.status_code)
    record(detail=f"{region} ({REGION_HEADER} of POST {path}: {where})" if region else
           f"unknown: the answer to POST {path} carries no {REGION_HEADER} (an API deployed before it named its "
           "region)")


MALFORMED_BODIES = [('{"instances": "not-a-list"}', "instances that are not a list"),
                    ("{not json", "a body that is not JSON")]


@pytest.mark.parametrize(("body", "what"), MALFORMED_BODIES)
@pytest.mark.check("400 for {what}")
def test_malformed_body_gets_400_naming_the_problem(edge, sample_model, has_api_key, record, body, what):
    name = sample_model["name"]
    if not has_api_key:
        pytest.skip(NO_KEY)
    answer = edge.post(f"/models/{name}/predict", data=body, headers={"Content-Type": "application/json"}).response
    expect(answer.status_code == 400, f"400 for {what} sent to {name}", answer)
    message = json_body(answer, "the error").get("message")
    expect(isinstance(message, str) and len(message.strip()) > 0, 'a JSON {"message": …} naming the problem', answer)


@pytest.mark.check("predict without a consumer key → 403")
def test_predict_without_a_consumer_key_is_refused(keyless_edge, sample_model, has_api_key, record):
    if not has_api_key:
        pytest.skip("no consumer key given (--api-key / SMOKE_API_KEY): nothing to compare with")
    answer = keyless_edge.post(f"/models/{sample_model['name']}/predict", json=sample_model["example"]).response
    expect(answer.status_code == 403, f"403 for POST /models/{sample_model['name']}/predict without x-api-key",
           answer)
    expect(isinstance(json_body(answer, "the refusal").get("message"), str), 'a JSON {"message": …}', answer)


@pytest.mark.check("consumer key and its plan")
def test_the_keys_plan_is_reported(pytestconfig, has_api_key, record):
    plan = pytestconfig.option.key_plan
    record(detail=plan or "")
    if not (has_api_key and plan):
        pytest.skip("no consumer key plan given (--key-plan / SMOKE_KEY_PLAN)")


@pytest.mark.check("restricted key on another model → 403")
def test_restricted_key_is_refused_on_another_model(restricted_edge, restricted_models, catalog, expected_models,
                                                    record):
    if restricted_edge is None:
        pytest.skip(NO_RESTRICTED_KEY)
    deployed = expected_models or [m["name"] for m in catalog]
    other = next((name for name in deployed if name not in restricted_models), None)
    if other is None:
        pytest.skip(f"every deployed model is in the restricted key's list ({', '.join(restricted_models)}): "
                    "no other model to try")
    allowed = ", ".join(restricted_models)
    record(detail=f"{other} (the key may call {allowed})")
    # the authorizer refuses before the body is looked at: any body will do for a model the catalog lacks
    spec = next((m for m in catalog if m["name"] == other), None)
    answer = restricted_edge.post(f"/models/{other}/predict", json=spec["example"] if spec else PROBE_BODY).response
    expect(answer.status_code == 403,
           f"403 for the restricted key on {other} (outside its list: {allowed})", answer)
    body = json_body(answer, "the refusal")
    expect(isinstance(body, dict) and isinstance(body.get("message"), str), 'a JSON {"message": …}', answer)


@pytest.mark.check("restricted key on its own model → 200")
def test_restricted_key_predicts_with_its_own_model(restricted_edge, restricted_models, catalog, warm_ups, record):
    if restricted_edge is None:
        pytest.skip(NO_RESTRICTED_KEY)
    own = next((m for m in catalog if m["name"] in restricted_models), None)
    expect(own is not None, f"one of the restricted key's models ({', '.join(restricted_models)}) in the catalog",
           note=f"the catalog lists {', '.join(m['name'] for m in catalog)}")
    warm_ups.of(own)  # its warm-up is told in the model's own row
    record(detail=own["name"])
    answer = restricted_edge.post(f"/models/{own['name']}/predict", json=own["example"]).response
    expect_predictions(answer, own, f"200 for the restricted key on {own['name']} (in its list)")


@pytest.mark.check("404 for an unknown model")
def test_unknown_model_gets_404(edge, record):
    name = f"no-such-model-{uuid.uuid4().hex[:8]}"
    answer = edge.post(f"/models/{name}/predict", json={"instances": [[1]]}).response
    expect(answer.status_code == 404, f"404 for POST /models/{name}/predict", answer)
    expect(isinstance(json_body(answer, "the error").get("message"), str), 'a JSON {"message": …}', answer)


@pytest.mark.check("JSON and Strict-Transport-Security on every answer")
def test_answers_are_json_with_hsts(edge, keyless_edge, sample_model, warm_ups, has_api_key, record):
    name, example = sample_model["name"], sample_model["example"]
    warm_ups.of(sample_model)
    # the answers of the API, errors included: CloudFront adds a response headers policy's headers to what it
    # serves from its cache and what it forwards from the origin (CloudFront developer guide, "Add or remove
    # HTTP headers in CloudFront responses with a policy"); its own error pages are HTML (see the plain-HTTP check)
    answers = [edge.get("/health").response, edge.get("/models").response,
               edge.post(f"/models/{name}/predict", json=example).response,
               edge.post(f"/models/no-such-model-{uuid.uuid4().hex[:8]}/predict", json=example).response,
               keyless_edge.post(f"/models/{name}/predict", json=example).response]
    if has_api_key:
        answers.append(edge.post(f"/models/{name}/predict", data="{not json",
                                 headers={"Content-Type": "application/json"}).response)
    for answer in answers:
        expect("application/json" in answer.headers.get("Content-Type", ""),
               f"Content-Type application/json from {answer.request.method} {answer.request.path_url}", answer)
        hsts = answer.headers.get("Strict-Transport-Security", "")
        expect("max-age=" in hsts and not hsts.strip().startswith("max-age=0"),
               f"a Strict-Transport-Security header from {answer.request.method} {answer.request.path_url} "
               f"({answer.status_code})", answer)
    statuses = ", ".join(str(a.status_code) for a in answers)
    record(detail=f"answers {statuses}")


@pytest.mark.check("origin guard{origin.where}: no or a wrong secret → the WAF's 403")
def test_origin_guard_refuses_callers_without_the_secret(origin, origin_client, sample_model, record):
    """One row per region given: each region's stage has its own guard."""
    predict = f"/models/{sample_model['name']}/predict"
    # GET /health needs no consumer key: only the guard can refuse it, so a 403 there is the guard's own
    probes = [("GET", "/health", {}, f"without {ORIGIN_SECRET_HEADER}"),
              ("GET", "/health", {ORIGIN_SECRET_HEADER: WRONG_SECRET}, f"with a wrong {ORIGIN_SECRET_HEADER}"),
              ("POST", predict, {}, f"without {ORIGIN_SECRET_HEADER}")]
    wrong, named = [], set()
    for method, path, headers, how in probes:
        answer = origin_client.request(method, path, headers=headers,
                                       **({"json": sample_model["example"]} if method == "POST" else {})).response
        if not is_guard_answer(answer):
            mistaken = " (the API's own refusal, not the guard's)" if answer.status_code == 403 else ""
            wrong.append(f"{method} {answer.request.path_url} {how}: {describe(answer)}{mistaken}")
        named.add(answer.headers.get(REGION_HEADER))
    expect(not wrong, f"the origin guard's own answer (403 {GUARD_BODY}, Cache-Control: {GUARD_CACHE_CONTROL}) "
                      "to every caller without the origin secret", note="; ".join(wrong))
    # an API deployed before it named its region names none: only another region's name is a mistake
    others = sorted(name for name in named - {None, origin.region} if name)
    expect(not (origin.region and others), f"the origin given for {origin.region} to answer as {origin.region}",
           note=f"it answered as {', '.join(others)} ({REGION_HEADER}): its URL is another region's")
    answered = sorted(name for name in named if name)
    record(detail=f"GET /health and POST {predict}, without {ORIGIN_SECRET_HEADER} and with a wrong one"
                  + (f"; answered as {', '.join(answered)}" if answered else ""))


def is_guard_answer(answer: requests.Response) -> bool:
    try:
        body = answer.json()
    except ValueError:
        return False
    return (answer.status_code == 403 and body == GUARD_BODY
            and GUARD_CACHE_CONTROL in answer.headers.get("Cache-Control", ""))


def latency_check(record, budget, samples_ms: list[float], label: str, warmed: str = "") -> None:
    verdict = judge(samples_ms, budget)
    n = len(samples_ms)
    record(detail=f"{n} requests{warmed}; judged: {verdict.judged} (budget: {budget.source})",
           latency=verdict.figures)
    if not verdict.judgeable:
        pytest.skip(f"{n} requests are too few to judge {label} against its budget (the median needs "
                    f"≥ {MIN_FOR_MEDIAN}; --samples)")
    expect(not verdict.over, f"{label} within budget ({budget.describe()})",
           note=f"got {', '.join(verdict.over)} over {n} requests ({verdict.figures})")


@pytest.mark.no_retry
@pytest.mark.check("latency GET /models (cached)")
def test_catalog_latency_within_budget(edge, budgets, samples, record):
    timings = [edge.get("/models") for _ in range(samples)]
    for timed in timings:
        expect(timed.response.status_code == 200, "200 from GET /models", timed.response)
    latency_check(record, catalog_budget(budgets), [t.ms for t in timings], "GET /models (cached)")


@pytest.mark.no_retry
@pytest.mark.check("latency POST /models/{model}/predict")
def test_inference_latency_within_budget(edge, model_spec, warm_ups, budgets, samples, has_api_key, record):
    name = model_spec["name"]
    if not has_api_key:
        pytest.skip(NO_KEY)
    warm_ups.of(model_spec)
    timings = [edge.post(f"/models/{name}/predict", json=model_spec["example"]) for _ in range(samples)]
    for timed in timings:
        expect(timed.response.status_code == 200, f"200 from POST /models/{name}/predict", timed.response)
    latency_check(record, model_budget(budgets, name, model_spec.get("backend", "")), [t.ms for t in timings],
                  f"POST /models/{name}/predict", " after a warm-up")
