"""The real smoke suite, run as CI runs it, against a local stand-in of a deployed environment.

The healthy stand-in passes every check; each injected fault fails its own check (and only that one), with a
message saying what was expected and what came back; each real-world condition users are fine with (a fresh
deploy, cold backends, a briefly stale catalog) passes, and the results say what the suite met.
"""

import importlib
import json
import os
import re
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import pytest
import requests
from forked_pytest import run_pytest
from standin import CONDITIONS, FAULTS, POPS, REGIONS, STALE_AGE_SECONDS, STALE_BRIEFLY_SECONDS, StandIn

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = {"catalog": {"p50": 300, "p95": 400}, "predict": {"p50": 300, "p95": 400},
           "backends": {"http": {"p50": 150}}}
KEY_PLAN = "internal: 10 req/s, burst 20, quota 10000 per day; all models"
DEPLOYED = "iris,sentiment"  # the stack output `models`, as gitops/smoke_run/run.py hands it over
# 5 samples: enough for the median to be judged; failing checks are retried once, after milliseconds
RUN_OPTIONS = ("--samples=5", "--retries=1", "--retry-backoff=0.01")

PREDICTS = {"test_model_answers_its_example[iris]", "test_model_answers_its_example[sentiment]"}
PREDICTIONS = PREDICTS | {"test_restricted_key_predicts_with_its_own_model"}  # every check of a 200 prediction
MODEL_LATENCY = {"test_inference_latency_within_budget[iris]", "test_inference_latency_within_budget[sentiment]"}
RESTRICTED = {"test_restricted_key_is_refused_on_another_model", "test_restricted_key_predicts_with_its_own_model"}
MALFORMED = {'test_malformed_body_gets_400_naming_the_problem[{"instances": "not-a-list"}-instances that are not a '
             'list]', "test_malformed_body_gets_400_naming_the_problem[{not json-a body that is not JSON]"}
CATALOG_MATCH = "test_catalog_lists_the_deployed_models"
GUARD = "test_origin_guard_refuses_callers_without_the_secret"  # one origin given: one check
GUARDS = {f"{GUARD}[{region}]" for region in REGIONS}  # ORIGIN_URLS, as run_smoke gives it: one per region
SECOND_GUARD = f"{GUARD}[{REGIONS[1]}]"
SERVED_BY = "test_the_region_that_served_predict_is_reported"
ALL_CHECKS = {
    "test_plain_http_redirects_to_https", "test_plain_http_post_is_refused_not_redirected",
    "test_tls_verifies_and_health_is_ok", CATALOG_MATCH, "test_catalog_is_served_from_the_edge_cache",
    *PREDICTS, SERVED_BY, *MALFORMED, "test_predict_without_a_consumer_key_is_refused",
    "test_the_keys_plan_is_reported", *RESTRICTED, "test_unknown_model_gets_404", "test_answers_are_json_with_hsts",
    *GUARDS, "test_catalog_latency_within_budget", *MODEL_LATENCY,
}
ONE_ORIGIN_CHECKS = ALL_CHECKS - GUARDS | {GUARD}  # ORIGIN_URL alone, as before regions
SECRET_VARIABLES = ("SMOKE_API_KEY", "SMOKE_RESTRICTED_API_KEY", "SMOKE_RESTRICTED_MODELS", "GITHUB_STEP_SUMMARY",
                    "SMOKE_EXPECTED_MODELS")
NO_KEY = "no consumer key given (--api-key / SMOKE_API_KEY): API Gateway checks the key before the body"


@dataclass
class SmokeRun:
    status: int
    failed: dict[str, str]  # check → failure message
    passed: set[str]
    skipped: dict[str, str]  # check → why
    output: str
    summary: str
    junit: str

    def row(self, title: str) -> str:
        """The results table's row of a check, from its title."""
        return next(line for line in self.summary.splitlines() if line.startswith(f"| {title} |"))


def run_smoke(tmp_path: Path, standin: StandIn, *extra: str, env: dict | None = None) -> SmokeRun:
    ca, junit, summary, budgets = (tmp_path / n for n in ("ca.pem", "junit.xml", "summary.md", "budgets.json"))
    standin.write_ca_bundle(ca)
    budgets.write_text(json.dumps(BUDGETS))
    environment = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    environment.update({"REQUESTS_CA_BUNDLE": str(ca), "GITHUB_STEP_SUMMARY": str(summary),
                        "EDGE_URL": standin.edge_url, "ORIGIN_URL": standin.origin_url,
                        "ORIGIN_URLS": standin.origin_urls_variable,
                        "SMOKE_API_KEY": standin.api_key, "SMOKE_KEY_PLAN": KEY_PLAN,
                        "SMOKE_RESTRICTED_API_KEY": standin.restricted_key,
                        "SMOKE_RESTRICTED_MODELS": ",".join(standin.restricted_models),
                        "SMOKE_EXPECTED_MODELS": DEPLOYED, **(env or {})})
    output = tmp_path / "output.txt"
    status = run_pytest(["smoke", "-p", "no:cacheprovider", f"--junitxml={junit}", f"--budgets={budgets}",
                         *RUN_OPTIONS, *extra], environment, ROOT, output)
    failed, passed, skipped = {}, set(), {}
    if junit.exists():
        for case in ElementTree.parse(junit).iter("testcase"):
            problem = case.find("failure") if case.find("failure") is not None else case.find("error")
            if problem is not None:
                # the message attribute is cut short; the text holds the whole report
                failed[case.get("name")] = f"{problem.get('message', '')}\n{problem.text or ''}"
            elif case.find("skipped") is not None:
                skipped[case.get("name")] = case.find("skipped").get("message", "")
            else:
                passed.add(case.get("name"))
    return SmokeRun(status, failed, passed, skipped, output.read_text(),
                    summary.read_text() if summary.exists() else "", junit.read_text() if junit.exists() else "")


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> tuple[StandIn, SmokeRun]:
    """One run against the healthy stand-in, shared by the tests that only read it."""
    with StandIn() as standin:
        return standin, run_smoke(tmp_path_factory.mktemp("healthy"), standin)


def test_the_healthy_stand_in_passes_every_check(healthy):
    _, run = healthy
    assert run.status == 0, run.output[-3000:]
    assert run.passed == ALL_CHECKS
    assert "(retried)" not in run.summary


# fault → (the checks it must fail, text each failure must contain: one, several, or one per check), in FAULTS order
EXPECTED = {
    "no_redirect": ({"test_plain_http_redirects_to_https"}, "expected 301 with Location https://127.0.0.1:"),
    # every check that reaches the edge over TLS fails with it (the plain-HTTP redirect and the plan do not)
    "untrusted_certificate": (ALL_CHECKS - {"test_plain_http_redirects_to_https", "test_the_keys_plan_is_reported"},
                              "certificate verify failed"),
    "health_not_ok": ({"test_tls_verifies_and_health_is_ok"}, 'expected {"status": "ok", …} from GET /health; got 200'),
    "uncached_catalog": ({"test_catalog_is_served_from_the_edge_cache"},
                         "X-Cache: Hit from cloudfront (or RefreshHit) within 3 repeats of GET /models on one "
                         "connection (first answer: Miss from cloudfront at "),
    # a cached answer replays its request id, and even reaches a caller without a key or with another model's key
    "cached_post": (PREDICTS | {"test_predict_without_a_consumer_key_is_refused",
                                "test_restricted_key_is_refused_on_another_model"}, "; got 200 OK"),
    # replayed as stored, X-Cache says Miss: only the repeated request id gives the replay away
    "post_replayed_verbatim": (PREDICTS | {"test_predict_without_a_consumer_key_is_refused",
                                           "test_restricted_key_is_refused_on_another_model"},
                               {**dict.fromkeys(PREDICTS, "expected two distinct x-amzn-RequestId for two identical "
                                                          "POSTs"),
                                "test_predict_without_a_consumer_key_is_refused": "; got 200 OK",
                                "test_restricted_key_is_refused_on_another_model": "; got 200 OK"}),
    "wrong_prediction_count": (PREDICTIONS, "predictions, one per instance; got 200 OK"),
    "wrong_model_name": (PREDICTIONS, 'expected "model": '),
    # item 1: a stock KServe V1 server's answer, not mapped onto the contract by API Gateway
    "kserve_unmapped": ({"test_model_answers_its_example[sentiment]"},
                        'expected "model": "sentiment" in the answer; got 200 OK; body \'{"predictions": ['),
    "bad_input_5xx": (MALFORMED, "got 502 Bad Gateway"),
    "unknown_model_403": ({"test_unknown_model_gets_404"}, "Missing Authentication Token"),
    "missing_hsts": ({"test_answers_are_json_with_hsts"}, "expected a Strict-Transport-Security header from GET"),
    "missing_hsts_on_errors": ({"test_answers_are_json_with_hsts"},
                               "expected a Strict-Transport-Security header from POST /models/no-such-model-"),
    "html_errors": (MALFORMED | {"test_unknown_model_gets_404", "test_predict_without_a_consumer_key_is_refused",
                                 "test_restricted_key_is_refused_on_another_model", "test_answers_are_json_with_hsts"},
                    "Content-Type application/json"),
    # without a guard GET /health answers, and the keyless POST gets the API's key check: a 403, not the guard's
    "open_origin": (GUARDS,
                    ("GET /v1/health without X-Origin-Verify: got 200 OK",
                     "POST /v1/models/iris/predict without X-Origin-Verify: got 403 Forbidden; body '{\"message\": "
                     "\"Forbidden: send a valid consumer key in x-api-key\"}'",
                     "(the API's own refusal, not the guard's)")),
    "open_second_region": ({SECOND_GUARD}, ("GET /v1/health without X-Origin-Verify: got 200 OK",
                                            f"'X-ML-Edge-Region': '{REGIONS[1]}'")),
    "guard_accepts_any_secret": (GUARDS, "GET /v1/health with a wrong X-Origin-Verify: got 200 OK"),
    "slow": ({"test_inference_latency_within_budget[sentiment]"},
             "POST /models/sentiment/predict within budget (median ≤ 150 ms, p95 ≤ 400 ms (backends.http + predict)); "
             "got median 2"),
    "predict_without_key": ({"test_predict_without_a_consumer_key_is_refused"},
                            "expected 403 for POST /models/iris/predict without x-api-key; got 200 OK"),
    "restricted_key_on_any_model": ({"test_restricted_key_is_refused_on_another_model"},
                                    "expected 403 for the restricted key on sentiment (outside its list: iris); "
                                    "got 200 OK"),
    "restricted_key_refused_on_its_model": ({"test_restricted_key_predicts_with_its_own_model"},
                                            "expected 200 for the restricted key on iris (in its list); "
                                            "got 403 Forbidden; body '{\"message\": \"Forbidden: this consumer key"),
    "plain_http_post_redirected": ({"test_plain_http_post_is_refused_not_redirected"},
                                   "expected no redirect for a plain-HTTP POST to http://127.0.0.1:"),
    # served over plain HTTP, the keyless POST reaches the API, which refuses it: a 403, but the API's JSON one
    "plain_http_post_served": ({"test_plain_http_post_is_refused_not_redirected"},
                               "expected the edge's own refusal of a plain-HTTP POST, not an answer of the API; "
                               "got 403 Forbidden; body '{\"message\": \"Forbidden: send a valid consumer key"),
}
TESTED_ON_THEIR_OWN = {"stale_catalog", "edge_waf_blocks_runner"}  # below, with what else they must show


def test_every_fault_and_condition_of_the_stand_in_has_a_scenario():
    assert set(EXPECTED) | TESTED_ON_THEIR_OWN == set(FAULTS)
    assert all(f"test_{condition}_scenario" in globals() for condition in CONDITIONS)


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_each_fault_fails_its_own_check(tmp_path, fault):
    expected_failures, messages = EXPECTED[fault]
    # the slow fault only matters to the latency checks; running just those keeps the test fast
    selection = ["-k", "latency"] if fault == "slow" else []
    with StandIn({fault}) as standin:
        run = run_smoke(tmp_path, standin, *selection)
    assert run.status == 1, run.output[-3000:]
    assert set(run.failed) == expected_failures, run.output[-3000:]
    if isinstance(messages, dict):  # check → its message
        assert all(messages[check] in text for check, text in run.failed.items()), run.failed
    for message in (messages,) if isinstance(messages, str) else () if isinstance(messages, dict) else messages:
        assert all(message in text for text in run.failed.values()), run.failed
    for key in (standin.api_key, standin.restricted_key):  # not even in a failure message
        assert key not in run.output + run.summary + run.junit


def test_a_stale_catalog_is_one_failure_and_every_deployed_model_is_still_judged(tmp_path):
    with StandIn({"stale_catalog"}) as standin:
        run = run_smoke(tmp_path, standin)
    # the copy lists a removed model (never called: its 404 is no failure) and lacks a new one (still probed)
    assert set(run.failed) == {CATALOG_MATCH}, run.output[-3000:]
    assert ("after 2 reads; the edge's catalog lacks sentiment and lists retired, not deployed (deployed: iris, "
            "sentiment; the copy: Hit from cloudfront at ") in run.failed[CATALOG_MATCH]
    assert f"Age {STALE_AGE_SECONDS} s): invalidate /models on the distribution" in run.failed[CATALOG_MATCH]
    unlisted = ("not predicted: the edge's catalog does not list sentiment (a stale copy: see the catalog check), "
                "so there is no example to send; its route answers (400 for a malformed body)")
    assert run.skipped == {"test_model_answers_its_example[sentiment]": unlisted,
                           "test_inference_latency_within_budget[sentiment]": unlisted}
    assert "retired" not in "".join(run.passed)
    assert "| restricted key on another model → 403 | ✅ pass | sentiment (the key may call iris) |" in run.summary


@pytest.fixture(scope="module")
def fine_conditions(tmp_path_factory) -> SmokeRun:
    """One run meeting three conditions users are fine with: every backend cold (its first call a 504), the
    edge's catalog a copy from before the deploy that expires while the suite reads it again, and an API deployed
    before it named its region, given as one origin (ORIGIN_URL alone, as before regions)."""
    with StandIn({"cold_start", "stale_catalog_briefly", "no_region_header"}) as standin:
        # backoff 0.1 s: reads at 0 and 0.1 s, the copy expires at 0.05 s; the warm-up waits as long
        assert STALE_BRIEFLY_SECONDS < 0.1
        return run_smoke(tmp_path_factory.mktemp("conditions"), standin, "--retry-backoff=0.1",
                         env={"ORIGIN_URLS": ""})


def test_stale_catalog_briefly_scenario(fine_conditions):
    run = fine_conditions
    assert run.status == 0, run.output[-3000:]
    assert run.passed == ONE_ORIGIN_CHECKS and "(retried)" not in run.summary
    assert "| GET /models lists the deployed models | ✅ pass | iris, sentiment, on read 2 (read 1: the edge's " \
           "catalog lacks sentiment and lists retired, not deployed" in run.summary


def test_refresh_hit_scenario(tmp_path):
    """A stale copy the origin confirmed is served from the edge as much as a Hit (X-Cache: RefreshHit)."""
    with StandIn({"refresh_hit"}) as standin:
        run = run_smoke(tmp_path, standin, "-k", "cached_at_the_edge or served_from_the_edge_cache")
    assert run.status == 0, run.output[-3000:]
    assert run.passed == {"test_catalog_is_served_from_the_edge_cache"}
    assert "| ✅ pass | 2 models; RefreshHit from cloudfront at " in run.row("GET /models cached at the edge")


def test_cold_start_scenario(fine_conditions):
    run = fine_conditions
    assert run.status == 0, run.output[-3000:]
    for model in ("iris", "sentiment"):
        row = run.row(f"POST /models/{model}/predict")
        assert "; warm-up: 504 in " in row and " ms → 200 in " in row, row
        assert " after a warm-up; judged: median ≤ " in run.row(f"latency POST /models/{model}/predict")


def test_no_region_header_scenario(fine_conditions):
    """One origin given and no answer naming its region (a deployment from before the API named it): reported as
    unknown, not failed; the one origin's guard is one row, titled as before regions."""
    run = fine_conditions
    assert run.status == 0, run.output[-3000:]
    assert run.row("region that served predict").startswith(
        "| region that served predict | ✅ pass | unknown: the answer to POST /models/iris/predict carries no "
        "X-ML-Edge-Region (an API deployed before it named its region) |")
    assert run.row("origin guard: no or a wrong secret → the WAF's 403").startswith(
        "| origin guard: no or a wrong secret → the WAF's 403 | ✅ pass | GET /health and POST /models/iris/predict, "
        "without X-Origin-Verify and with a wrong one |")
    assert "\nRegion that served predict: unknown (no answer to a predict carried X-ML-Edge-Region)\n" in run.summary


def test_with_several_regions_an_answer_without_its_region_fails_the_region_check_only(tmp_path):
    """Several regions given: the API of this change names its region on every answer, so an edge answer without
    it fails, saying so; the guards, whose answers lack it too, still pass (a missing name is not judged there)."""
    with StandIn({"no_region_header"}) as standin:
        run = run_smoke(tmp_path, standin, "-k", "region_that_served or origin_guard")
    assert set(run.failed) == {SERVED_BY} and run.passed == GUARDS, run.output[-3000:]
    assert (f"expected X-ML-Edge-Region on the edge's answer to POST /models/iris/predict: several regions are "
            f"tested ({', '.join(REGIONS)}), and every answer of the API names its own; got 200 OK") \
        in run.failed[SERVED_BY]


def test_an_origin_given_under_another_regions_name_fails_its_row_and_the_region_served_is_not_tested(tmp_path):
    """ORIGIN_URLS naming eu-west-1's URL ap-southeast-1 (a mistaken mapping): that guard refuses, but as another
    region; and the edge's predict is served by eu-west-1, whose origin then was not among those checked."""
    with StandIn() as standin:
        mistaken = f"{REGIONS[0]}={standin.origin_url} ap-southeast-1={standin.origin_urls[REGIONS[1]]}"
        run = run_smoke(tmp_path, standin, "-k", "origin_guard or region_that_served",
                        env={"ORIGIN_URLS": mistaken})
    mislabelled = f"{GUARD}[ap-southeast-1]"
    assert set(run.failed) == {mislabelled, SERVED_BY} and run.passed == {f"{GUARD}[{REGIONS[0]}]"}, \
        run.output[-3000:]
    assert (f"expected the origin given for ap-southeast-1 to answer as ap-southeast-1; it answered as {REGIONS[1]} "
            "(X-ML-Edge-Region): its URL is another region's") in run.failed[mislabelled]
    assert (f"expected POST /models/iris/predict served by one of the regions tested ({REGIONS[0]}, "
            f"ap-southeast-1); got 200 OK") in run.failed[SERVED_BY]
    assert f"(X-ML-Edge-Region: {REGIONS[1]}; that region's origin was not checked)" in run.failed[SERVED_BY]


def test_an_edge_waf_block_is_one_failure_not_one_per_check(tmp_path):
    with StandIn({"edge_waf_blocks_runner"}) as standin:
        run = run_smoke(tmp_path, standin)
    assert set(run.failed) == {"test_plain_http_redirects_to_https"}, run.output[-3000:]
    assert set(run.skipped) == ALL_CHECKS - set(run.failed) and not run.passed
    message = run.failed["test_plain_http_redirects_to_https"]
    assert "expected the edge to serve this runner; the edge's WAF blocked it with CloudFront's 403 \"Request " \
           "blocked\" page (a Block rule of the edge's web ACL) at GET http://" in message
    assert "'X-Cache': 'Error from cloudfront', 'x-amz-cf-pop': '" in message and "'x-amz-cf-id': '" in message
    assert set(run.skipped.values()) == {"not run: the edge's WAF blocks this runner (see “HTTP → HTTPS redirect”)"}
    assert run.summary.startswith(f"### Edge smoke · {standin.edge_url} · ❌ 1 of {len(ALL_CHECKS)} checks failed")


def test_an_edge_waf_block_met_while_waiting_fails_the_first_check(tmp_path):
    with StandIn({"edge_waf_blocks_runner"}) as standin:
        run = run_smoke(tmp_path, standin, "--wait-ready=5", env={"SMOKE_EXPECTED_MODELS": ""})
    assert list(run.failed) == ["test_plain_http_redirects_to_https"], run.output[-3000:]
    assert "the edge's WAF blocked it with CloudFront's 403 \"Request blocked\" page" in \
        run.row("HTTP → HTTPS redirect")
    # the models are not known: each per-model check is there once, for the unavailable catalog
    assert len(run.skipped) == len(ALL_CHECKS) - 3


def test_fresh_deploy_scenario(tmp_path):
    """Right after a deploy: /health is a cached 200, the uncached paths answer CloudFront's 502 for a moment,
    then the new smoke key is refused for a moment. The suite waits for the uncached path, then retries."""
    with StandIn({"fresh_deploy"}) as standin:
        run = run_smoke(tmp_path, standin, "--wait-ready=10", "--wait-interval=0.05")
    assert run.status == 0, run.output[-3000:]
    assert f"waiting for the edge {standin.edge_url}: POST /models/iris/predict: 502 Bad Gateway (Error from " \
           "cloudfront at" in run.output
    retried = run.row("POST /models/iris/predict")
    assert retried.startswith("| POST /models/iris/predict | ✅ pass (retried) | 2 instances → 2 predictions")
    assert "· retried 1× over" in retried
    assert "; the first try got: expected 200 for the catalog's example of iris; got 403 Forbidden" in retried
    assert run.summary.splitlines()[0].endswith("checks passed (1 retried)")


def test_the_wait_gives_up_with_the_last_answer_of_the_uncached_path(tmp_path):
    # the cached GET /health answers 200 from the start: it alone would have said "ready"
    with StandIn({"fresh_deploy"}, fresh_route_requests=1000) as standin:
        run = run_smoke(tmp_path, standin, "--wait-ready=0.2", "--wait-interval=0.1")
    assert run.status == 4  # a usage error: nothing was tested
    assert f"the edge {standin.edge_url} was not ready after 0.2 s (last: POST /models/iris/predict: 502 Bad " \
           "Gateway (Error from cloudfront at" in run.output


def test_results_table_goes_to_the_step_summary_and_the_terminal(tmp_path):
    with StandIn({"missing_hsts"}) as standin:
        run = run_smoke(tmp_path, standin, f"--results-file={tmp_path / 'results.md'}")
    assert (tmp_path / "results.md").read_text() == run.summary.rstrip("\n") + "\n"
    assert run.summary.startswith(f"### Edge smoke · {standin.edge_url} · ❌ 1 of {len(ALL_CHECKS)} checks failed "
                                  "(1 retried)\n\nEdge location")
    assert "| check | result | detail | latency |" in run.summary
    # retried, then reported, saying so
    failing = run.row("JSON and Strict-Transport-Security on every answer")
    assert failing.startswith("| JSON and Strict-Transport-Security on every answer | ❌ fail (retried) | expected a "
                              "Strict-Transport-Security")
    assert "· retried 1× over " in failing
    assert run.row("POST /models/iris/predict").startswith(
        "| POST /models/iris/predict | ✅ pass | 2 instances → 2 predictions, not cached (2 distinct request ids); "
        "warm-up: 200 in ")
    assert run.row("latency GET /models (cached)").startswith(
        "| latency GET /models (cached) | ✅ pass | 5 requests; judged: median ≤ 300 ms, p95 not judged below 20 "
        "requests (budget: catalog) | median ")
    assert run.summary.strip() in run.output.replace("\r", "")


def test_the_results_name_the_region_that_served_predict_and_each_regions_guard(healthy):
    """The stand-in's edge reaches eu-west-1 (the region nearest its edge locations), not the first region."""
    _, run = healthy
    served = run.row("region that served predict")
    assert served.startswith(f"| region that served predict | ✅ pass | {REGIONS[1]} (X-ML-Edge-Region of POST "
                             "/models/iris/predict: 200 at ")
    assert re.search(rf"\nRegion that served predict \(X-ML-Edge-Region\): {REGIONS[1]} \(\d+ answers\)\n",
                     run.summary), run.summary[:500]
    for region in REGIONS:
        assert run.row(f"origin guard {region}: no or a wrong secret → the WAF's 403").startswith(
            f"| origin guard {region}: no or a wrong secret → the WAF's 403 | ✅ pass | GET /health and POST "
            f"/models/iris/predict, without X-Origin-Verify and with a wrong one; answered as {region} |")


def test_the_results_name_the_edge_locations_and_the_cache_hit_is_judged_on_one_connection(healthy):
    standin, run = healthy
    locations = next(line for line in run.summary.splitlines() if line.startswith("Edge location"))
    assert locations.startswith("Edge locations tested (x-amz-cf-pop): ")
    assert all(f"{pop} (" in locations for pop in POPS)  # each client's connection lands on one location
    hit = run.row("GET /models cached at the edge")
    assert "| ✅ pass | 2 models; Hit from cloudfront at " in hit and ", Age 0 s, repeat 1 |" in hit
    # kept alive: most requests share a few connections
    served = sorted(handler.requests_served for handler in standin.tls_connections)
    assert len(served) <= 8 and served[-1] >= 20, served


def test_missing_urls_are_a_clear_usage_error(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, env={"EDGE_URL": "", "ORIGIN_URL": "", "ORIGIN_URLS": ""})
    assert run.status == 4
    assert "the smoke suite needs --edge-url/EDGE_URL and --origin-url/ORIGIN_URL" in run.output


def test_the_api_keys_are_sent_to_the_edge_only_over_tls_and_never_printed(healthy):
    standin, run = healthy
    # None: the check of a keyless call
    assert set(standin.api_keys_at_edge) == {standin.api_key, standin.restricted_key, None}
    assert standin.api_keys_at_origin and set(standin.api_keys_at_origin) == {None}
    assert standin.api_keys_over_plain_http and set(standin.api_keys_over_plain_http) == {None}
    for key in (standin.api_key, standin.restricted_key):
        assert key not in run.output + run.summary + run.junit
    assert f"| consumer key and its plan | ✅ pass | {KEY_PLAN} |" in run.summary
    assert "| restricted key on another model → 403 | ✅ pass | sentiment (the key may call iris) |" in run.summary
    assert "| restricted key on its own model → 200 | ✅ pass | iris |" in run.summary


def test_without_a_key_the_checks_that_need_one_are_skipped_saying_why_and_predict_fails(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, env={"SMOKE_API_KEY": "", "SMOKE_KEY_PLAN": ""})
    assert run.status == 1
    assert set(run.failed) == PREDICTS, run.output[-3000:]
    assert "got 403 Forbidden" in run.failed["test_model_answers_its_example[iris]"]
    # the 400 checks would get the key check's 403: skipped, not failed
    assert all(run.skipped[check].startswith(NO_KEY) for check in MALFORMED | MODEL_LATENCY), run.skipped
    assert "| predict without a consumer key → 403 | ⏭ skip | no consumer key given (--api-key / SMOKE_API_KEY)" \
           in run.summary
    assert "| JSON and Strict-Transport-Security on every answer | ✅ pass | answers 200, 200, 403, 404, 403 |" \
           in run.summary


def test_without_a_restricted_key_or_the_deployed_models_those_checks_are_skipped_saying_why(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, env={"SMOKE_RESTRICTED_API_KEY": "", "SMOKE_RESTRICTED_MODELS": "",
                                                "SMOKE_EXPECTED_MODELS": ""})
    assert run.status == 0, run.output[-3000:]
    assert run.passed == ALL_CHECKS - RESTRICTED - {CATALOG_MATCH} and set(run.skipped) == RESTRICTED | {CATALOG_MATCH}
    reason = "no restricted consumer key given (--restricted-api-key / SMOKE_RESTRICTED_API_KEY)"
    assert f"| restricted key on another model → 403 | ⏭ skip | {reason} |" in run.summary
    assert f"| restricted key on its own model → 200 | ⏭ skip | {reason} |" in run.summary
    assert "| GET /models lists the deployed models | ⏭ skip | no deployed models given (--expected-models / " \
           "SMOKE_EXPECTED_MODELS, the stack output `models`): nothing to compare the catalog with |" in run.summary


def test_a_restricted_key_that_may_call_every_model_has_no_other_model_to_try(tmp_path):
    with StandIn(restricted_models=("iris", "sentiment")) as standin:
        run = run_smoke(tmp_path, standin)
    assert run.status == 0, run.output[-3000:]
    assert set(run.skipped) == {"test_restricted_key_is_refused_on_another_model"}
    assert run.passed == ALL_CHECKS - set(run.skipped)
    assert "| restricted key on another model → 403 | ⏭ skip | every deployed model is in the restricted key's " \
           "list (iris, sentiment): no other model to try |" in run.summary


def test_a_restricted_key_whose_models_are_not_in_the_catalog_fails(tmp_path):
    with StandIn(restricted_models=("churn",)) as standin:
        run = run_smoke(tmp_path, standin, "--retry-budget=0")
    assert set(run.failed) == {"test_restricted_key_predicts_with_its_own_model"}, run.output[-3000:]
    assert "expected one of the restricted key's models (churn) in the catalog; the catalog lists iris, sentiment" \
           in run.failed["test_restricted_key_predicts_with_its_own_model"]
    # the run's retries are bounded too: with none left, a failure is reported at once, saying so
    assert run.row("restricted key on its own model → 200").endswith(
        "· not retried further: the run's 0 s of retries are spent |  |")


@pytest.mark.parametrize(("env", "message"), [
    ({"SMOKE_RESTRICTED_MODELS": " , "},
     "--restricted-api-key needs --restricted-models/SMOKE_RESTRICTED_MODELS"),
    # requests would refuse such a header with the value in its message
    ({"SMOKE_RESTRICTED_API_KEY": "restricted\rkey-value"},
     "--restricted-api-key/SMOKE_RESTRICTED_API_KEY holds characters an x-api-key header cannot carry (value not "
     "shown)"),
    ({"SMOKE_API_KEY": "consumer key-value"},
     "--api-key/SMOKE_API_KEY holds characters an x-api-key header cannot carry (value not shown)"),
])
def test_unusable_key_options_are_a_usage_error_that_never_shows_the_key(tmp_path, env, message):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, env=env)
    assert run.status == 4
    assert message in run.output
    assert "key-value" not in run.output


# --- the suite's pieces on their own ------------------------------------------------------------------------------

@contextmanager
def smoke_modules():
    sys.path.insert(0, str(ROOT / "smoke"))
    try:
        yield lambda name: importlib.import_module(name)
    finally:
        sys.path.remove(str(ROOT / "smoke"))


def answer(status: int, headers: dict, body: bytes = b"", method: str = "GET",
           url: str = "https://e.example.com/health", key: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response.reason = status, HTTPStatus(status).phrase
    response.headers.update(headers)
    response._content = body
    response.request = requests.Request(method, url, headers={"x-api-key": key} if key else {}).prepare()
    return response


def test_a_failure_message_masks_a_consumer_key_the_answer_echoes_and_carries_the_debugging_headers():
    with smoke_modules() as load:
        describe = load("edge_client").describe
    response = answer(403, {"Content-Type": "application/json", "X-Cache": "Error from cloudfront",
                            "x-amz-cf-pop": "FRA56-P2", "x-amz-cf-id": "cf-id==", "Via": "1.1 abc.cloudfront.net",
                            "x-amzn-RequestId": "req-1", "x-amzn-ErrorType": "AccessDeniedException", "Age": "0",
                            "Server": "not shown"},
                      b'{"message": "key the-consumer-key may not call iris"}', "POST",
                      "https://e.example.com/models/iris/predict", key="the-consumer-key")
    assert describe(response) == (
        "got 403 Forbidden; body '{\"message\": \"key [secret] may not call iris\"}'; headers {'Content-Type': "
        "'application/json', 'X-Cache': 'Error from cloudfront', 'Age': '0', 'x-amz-cf-pop': 'FRA56-P2', "
        "'x-amz-cf-id': 'cf-id==', 'Via': '1.1 abc.cloudfront.net', 'x-amzn-RequestId': 'req-1', "
        "'x-amzn-ErrorType': 'AccessDeniedException'}")


@pytest.mark.parametrize(("location", "same"), [
    ("https://e.example.com/health", True),
    ("https://e.example.com:443/health", True),  # the default port, named
    ("https://E.example.com/health", True),
    ("http://e.example.com/health", False),
    ("https://e.example.com:8443/health", False),
    ("https://e.example.com/", False),
    ("", False),
])
def test_a_redirect_names_the_https_url_with_or_without_the_default_port(location, same):
    with smoke_modules() as load:
        assert load("edge_client").same_https_url(location, "https://e.example.com/health") is same


@pytest.mark.parametrize(("method", "status", "passes"), [
    ("GET", 301, True), ("GET", 307, False), ("HEAD", 301, True), ("OPTIONS", 307, True), ("OPTIONS", 301, True),
    ("POST", 302, False),
])
def test_a_307_is_a_redirect_to_https_for_methods_other_than_get(method, status, passes):
    with smoke_modules() as load:
        expect_https_redirect = load("edge_client").expect_https_redirect
    redirect = answer(status, {"Location": "https://e.example.com:443/health"}, method=method,
                      url="http://e.example.com/health")
    try:
        expect_https_redirect(redirect, "https://e.example.com/health")
        assert passes
    except AssertionError as failure:
        assert not passes, failure


def test_the_edge_waf_is_told_from_cloudfronts_other_refusals():
    with smoke_modules() as load:
        waf_block = load("edge_waf").waf_block
    from standin import HTTPS_ONLY_PAGE, WAF_BLOCK_PAGE
    cloudfront = {"Content-Type": "text/html", "X-Cache": "Error from cloudfront"}
    assert "\"Request blocked\" page" in waf_block(answer(403, cloudfront, WAF_BLOCK_PAGE))
    assert waf_block(answer(403, cloudfront, HTTPS_ONLY_PAGE)) is None  # https-only: plain HTTP refused
    assert waf_block(answer(403, {"Content-Type": "application/json"}, b'{"message": "Forbidden"}')) is None
    assert waf_block(answer(405, {"x-amzn-waf-action": "captcha", "Content-Type": "text/html"})) == \
           "a WAF captcha action (405, x-amzn-waf-action: captcha)"
    assert waf_block(answer(202, {"x-amzn-waf-action": "challenge"})) is not None


def test_origins_come_from_the_command_line_else_origin_urls_else_origin_url():
    with smoke_modules() as load:
        origins = load("origins")
    plain, one = "https://a.execute-api.us-east-1.amazonaws.com/v1", "https://b.execute-api.eu-west-1.amazonaws.com/v1"
    environ = {"ORIGIN_URLS": f" us-east-1={plain}  eu-west-1={one} ", "ORIGIN_URL": plain}
    assert origins.given(None, environ) == [("us-east-1", plain), ("eu-west-1", one)]
    assert origins.given([f"eu-west-1={one}"], environ) == [("eu-west-1", one)]
    assert origins.given(None, {**environ, "ORIGIN_URLS": " "}) == [(None, plain)]
    assert origins.given(None, {}) == []
    # a URL's own "=" names no region
    assert origins.parse("https://o.example.com/v1?a=b") == (None, "https://o.example.com/v1?a=b")
    assert origins.parse("ap-southeast-1=https://o/v1").where == " ap-southeast-1"


@pytest.mark.parametrize(("entries", "problem"), [
    (["us-east-1=http://o/v1"], "--origin-url must be an https:// URL (or region=https://…), got "
                                "'us-east-1=http://o/v1'"),
    (["eu-west-1"], "--origin-url must be an https:// URL (or region=https://…), got 'eu-west-1'"),
    (["eu-west-1=https://a/v1", "eu-west-1=https://b/v1"], "--origin-url: eu-west-1 is given more than once"),
    (["us-east-1=https://a/v1", "https://b/v1"], "--origin-url: with several origins, name each one's region "
                                                 "(region=URL): 1 given without one"),
])
def test_origins_that_cannot_be_tested_are_named(entries, problem):
    with smoke_modules() as load:
        origins = load("origins")
    assert origins.problems([origins.parse(entry) for entry in entries]) == [problem]


def test_origins_that_cannot_be_tested_are_a_usage_error_before_any_check(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, env={"ORIGIN_URLS": f"eu-west-1={standin.origin_url} eu-west-1=http://o"})
    assert run.status == 4 and not run.passed
    assert ("--origin-url must be an https:// URL (or region=https://…), got 'eu-west-1=http://o'; --origin-url: "
            "eu-west-1 is given more than once") in run.output


def test_latency_figures_are_judged_only_on_enough_samples():
    with smoke_modules() as load:
        latency = load("latency")
    budget = latency.Budget(100, 200, "predict")
    # one slow request in ten: the "p95" of ten timings is their maximum, so only the median is judged
    ten = [50] * 9 + [5000]
    verdict = latency.judge(ten, budget)
    assert verdict.judgeable and verdict.over == []
    assert verdict.figures == "median 50 ms · max 5000 ms"
    assert verdict.judged == "median ≤ 100 ms, p95 not judged below 20 requests"
    # twenty: one slow request is the maximum, not the nearest-rank p95 (the 19th)
    twenty = [50] * 19 + [5000]
    assert latency.judge(twenty, budget).over == []
    assert latency.judge(twenty, budget).figures == "median 50 ms · p95 50 ms · max 5000 ms"
    assert latency.judge([50] * 18 + [5000, 5000], budget).over == ["p95 5000 ms > 200 ms"]
    assert latency.judge([150] * 5, budget).over == ["median 150 ms > 100 ms"]
    assert not latency.judge([50] * 4, budget).judgeable


def test_every_model_has_a_budget_and_says_where_it_came_from():
    with smoke_modules() as load:
        model_budget = load("latency").model_budget
    config = {"predict": {"p50": 600, "p95": 2000}, "backends": {"sagemaker": {"p50": 400}},
              "models": {"churn": {"p95": 900}}}
    assert model_budget(config, "churn", "sagemaker") == load("latency").Budget(
        400, 900, "models.churn + backends.sagemaker")
    assert model_budget(config, "iris", "reference").source == "predict"
    assert model_budget({}, "sentiment", "http").describe() == "median ≤ 1000 ms, p95 ≤ 3000 ms (default for http)"
    assert model_budget({}, "iris", "reference").p50 < model_budget({}, "churn", "sagemaker").p50


def test_the_readme_documents_every_option_of_the_suite():
    options = re.findall(r'addoption\("(--[a-z-]+)"', (ROOT / "smoke" / "conftest.py").read_text())
    readme = (ROOT / "README.md").read_text()
    assert "--origin-url" in options and [o for o in options if f"`{o}" not in readme] == []
    assert all(f"`{variable}`" in readme for variable in ("EDGE_URL", "ORIGIN_URL", "ORIGIN_URLS"))


def test_golden_smoke_summary():
    """The README's example summary is the real renderer's output for a fixture of results."""
    with smoke_modules() as load:
        results_module = load("results")
    fixture = json.loads((Path(__file__).parent / "data" / "smoke_rows.json").read_text())
    results = results_module.SmokeResults(fixture["edge_url"])
    results.rows = [{**row, "result": results_module.RESULT[row["result"]] +
                     (results_module.RETRIED if row.get("retried") else "")} for row in fixture["rows"]]
    results.edge_locations = Counter(fixture["edge_locations"])
    results.predict_regions = Counter(fixture["predict_regions"])
    golden = Path(__file__).parent / "golden" / "smoke_summary.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(results.table())
    assert results.table() == golden.read_text()


def test_every_environments_latency_budgets_are_well_formed():
    with smoke_modules() as module:
        latency = module("latency")
        for path in sorted((ROOT / "environments").glob("*/smoke.json")):
            assert latency.budget_problems(json.loads(path.read_text())) == [], path


@pytest.mark.parametrize(("budgets", "problem"), [
    ({"predcit": {"p50": 100}}, "predcit: unknown key (did you mean 'predict'?); allowed: catalog, predict, backends, "
                                "models"),
    ({"catalog": {"p99": 100}}, "catalog.p99: unknown key (did you mean 'p95'?); allowed: p50, p95"),
    ({"backends": {"lambda": {"p50": 1}}}, "backends.lambda: unknown key; allowed: reference, sagemaker, http"),
    ({"models": {"iris": {"p95": "fast"}}}, "models.iris.p95: 'fast' is not a number of ms in 1–60000"),
    ([], "the budgets file must be a JSON object"),
])
def test_a_misspelt_latency_budget_is_named_not_ignored(budgets, problem):
    """A typo in environments/<env>/smoke.json would leave the built-in default in force without a word."""
    with smoke_modules() as module:
        assert problem in module("latency").budget_problems(budgets)


def test_a_bad_budgets_file_is_a_usage_error_before_any_check(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"catalog": {"p50": 100}, "predcit": {"p50": 100}}')
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, f"--budgets={bad}")
    assert run.status == 4
    assert "predcit: unknown key (did you mean 'predict'?)" in run.output
