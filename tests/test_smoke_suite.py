"""The real smoke suite, run as CI runs it, against a local stand-in of a deployed environment.

The healthy stand-in passes every check; each injected fault fails its own check (and only that one), with a
message saying what was expected and what came back.
"""

import json
import os
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from forked_pytest import run_pytest
from standin import FAULTS, StandIn

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = {"catalog": {"p50": 300, "p95": 400}, "predict": {"p50": 300, "p95": 400}}
KEY_PLAN = "internal: 10 req/s, burst 20, quota 10000 per day; all models"

ALL_CHECKS = {
    "test_plain_http_redirects_to_https", "test_tls_verifies_and_health_is_ok",
    "test_catalog_is_served_from_the_edge_cache", "test_model_answers_its_example[iris]",
    "test_model_answers_its_example[sentiment]",
    'test_malformed_body_gets_400_naming_the_problem[{"instances": "not-a-list"}-instances that are not a list]',
    "test_malformed_body_gets_400_naming_the_problem[{not json-a body that is not JSON]",
    "test_unknown_model_gets_404", "test_answers_are_json_with_hsts", "test_origin_refuses_callers_without_the_secret",
    "test_catalog_latency_within_budget", "test_inference_latency_within_budget",
    "test_predict_without_a_consumer_key_is_refused", "test_the_keys_plan_is_reported",
    "test_plain_http_post_is_refused_not_redirected", "test_restricted_key_is_refused_on_another_model",
    "test_restricted_key_predicts_with_its_own_model",
}
PREDICTS = {"test_model_answers_its_example[iris]", "test_model_answers_its_example[sentiment]"}
PREDICTIONS = PREDICTS | {"test_restricted_key_predicts_with_its_own_model"}  # every check of a 200 prediction
RESTRICTED = {"test_restricted_key_is_refused_on_another_model", "test_restricted_key_predicts_with_its_own_model"}
SECRET_VARIABLES = ("SMOKE_API_KEY", "SMOKE_RESTRICTED_API_KEY", "SMOKE_RESTRICTED_MODELS", "GITHUB_STEP_SUMMARY")
MALFORMED = {c for c in ALL_CHECKS if c.startswith("test_malformed_body")}


@dataclass
class SmokeRun:
    status: int
    failed: dict[str, str]  # check → failure message
    passed: set[str]
    skipped: set[str]
    output: str
    summary: str
    junit: str


def run_smoke(tmp_path: Path, standin: StandIn, *extra: str, env: dict | None = None) -> SmokeRun:
    ca, junit, summary, budgets = (tmp_path / n for n in ("ca.pem", "junit.xml", "summary.md", "budgets.json"))
    standin.write_ca_bundle(ca)
    budgets.write_text(json.dumps(BUDGETS))
    environment = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    environment.update({"REQUESTS_CA_BUNDLE": str(ca), "GITHUB_STEP_SUMMARY": str(summary),
                        "EDGE_URL": standin.edge_url, "ORIGIN_URL": standin.origin_url,
                        "SMOKE_API_KEY": standin.api_key, "SMOKE_KEY_PLAN": KEY_PLAN,
                        "SMOKE_RESTRICTED_API_KEY": standin.restricted_key,
                        "SMOKE_RESTRICTED_MODELS": ",".join(standin.restricted_models), **(env or {})})
    output = tmp_path / "output.txt"
    status = run_pytest(["smoke", "-p", "no:cacheprovider", f"--junitxml={junit}", f"--budgets={budgets}",
                         "--samples=2", *extra], environment, ROOT, output)
    failed, passed, skipped = {}, set(), set()
    if junit.exists():
        for case in ElementTree.parse(junit).iter("testcase"):
            problem = case.find("failure") if case.find("failure") is not None else case.find("error")
            if problem is not None:
                failed[case.get("name")] = problem.get("message", "")
            elif case.find("skipped") is not None:
                skipped.add(case.get("name"))
            else:
                passed.add(case.get("name"))
    return SmokeRun(status, failed, passed, skipped, output.read_text(),
                    summary.read_text() if summary.exists() else "", junit.read_text() if junit.exists() else "")


def test_the_healthy_stand_in_passes_every_check(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin)
    assert run.status == 0, run.output[-3000:]
    assert run.passed == ALL_CHECKS


# fault → (the checks it must fail, text the failure must contain), in FAULTS order
EXPECTED = {
    "no_redirect": ({"test_plain_http_redirects_to_https"}, "expected 301 with Location https://127.0.0.1:"),
    # every check that needs the catalog fails with it (the plain-HTTP redirect does not)
    "untrusted_certificate": ((ALL_CHECKS - PREDICTS - {"test_plain_http_redirects_to_https",
                                                         "test_the_keys_plan_is_reported"})
                              | {"test_model_answers_its_example[catalog-unavailable]"}, "certificate verify failed"),
    "health_not_ok": ({"test_tls_verifies_and_health_is_ok"}, 'expected {"status": "ok", …} from GET /health; got 200'),
    "uncached_catalog": ({"test_catalog_is_served_from_the_edge_cache"},
                         "X-Cache: Hit from cloudfront (or RefreshHit) within 2 repeats of GET /models; got 200 OK; "
                         "headers {'Content-Type': 'application/json', 'X-Cache': 'Miss from cloudfront'"),
    # a cached answer even reaches a caller without a key, or with a key restricted to other models
    "cached_post": (PREDICTS | {"test_predict_without_a_consumer_key_is_refused",
                                "test_restricted_key_is_refused_on_another_model"}, "; got 200 OK"),
    "wrong_prediction_count": (PREDICTIONS, "predictions, one per instance; got 200 OK"),
    "wrong_model_name": (PREDICTIONS, 'expected "model": '),
    "bad_input_5xx": (MALFORMED, "got 502 Bad Gateway"),
    "unknown_model_403": ({"test_unknown_model_gets_404"}, "Missing Authentication Token"),
    "missing_hsts": ({"test_answers_are_json_with_hsts"}, "expected a Strict-Transport-Security header from GET"),
    "html_errors": (MALFORMED | {"test_unknown_model_gets_404", "test_predict_without_a_consumer_key_is_refused",
                                 "test_restricted_key_is_refused_on_another_model"},
                    "as JSON (Content-Type application/json); got"),
    "open_origin": ({"test_origin_refuses_callers_without_the_secret"},
                    "expected 403 from the origin for GET /v1/health without the secret; got 200 OK"),
    "predict_without_key": ({"test_predict_without_a_consumer_key_is_refused"},
                            "expected 403 for POST /models/iris/predict without x-api-key; got 200 OK"),
    "restricted_key_on_any_model": ({"test_restricted_key_is_refused_on_another_model"},
                                    "expected 403 for the restricted key on sentiment (outside its list: iris); "
                                    "got 200 OK"),
    "restricted_key_refused_on_its_model": ({"test_restricted_key_predicts_with_its_own_model"},
                                            "expected 200 for the restricted key on iris (in its list); "
                                            "got 403 Forbidden; headers {'Content-Type': 'application/json'"),
    "plain_http_post_redirected": ({"test_plain_http_post_is_refused_not_redirected"},
                                   "expected no redirect for a plain-HTTP POST to https://127.0.0.1:"),
    # served over plain HTTP, the keyless POST reaches the API, which refuses it: a 403, but the API's JSON one
    "plain_http_post_served": ({"test_plain_http_post_is_refused_not_redirected"},
                               "expected the edge's own refusal of a plain-HTTP POST, not an answer of the API; "
                               "got 403 Forbidden; headers {'Content-Type': 'application/json'"),
    "slow": ({"test_catalog_latency_within_budget", "test_inference_latency_within_budget"},
             "within budget (p50 ≤ 300 ms, p95 ≤ 400 ms); got p50 3"),
}


def test_every_fault_of_the_stand_in_has_a_scenario():
    assert set(EXPECTED) == set(FAULTS) - {"warming_up"}  # warming_up is for the wait, below


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_each_fault_fails_its_own_check(tmp_path, fault):
    expected_failures, message = EXPECTED[fault]
    # the slow fault only matters to the latency checks; running just those keeps the test fast
    selection = ["-k", "latency", "--samples=2"] if fault == "slow" else []
    with StandIn({fault}) as standin:
        run = run_smoke(tmp_path, standin, *selection)
    assert run.status == 1, run.output[-3000:]
    assert set(run.failed) == expected_failures, run.output[-3000:]
    assert all(message in text for text in run.failed.values()), run.failed
    for key in (standin.api_key, standin.restricted_key):  # not even in a failure message
        assert key not in run.output + run.summary + run.junit


def test_waiting_for_a_fresh_deploy_lets_a_warming_edge_pass(tmp_path):
    with StandIn({"warming_up"}) as standin:
        run = run_smoke(tmp_path, standin, "--wait-ready=10", "--wait-interval=0.2")
    assert run.status == 0, run.output[-3000:]
    assert "waiting for https://127.0.0.1:" in run.output


def test_the_wait_gives_up_with_the_last_answer(tmp_path):
    with StandIn({"warming_up"}) as standin:
        run = run_smoke(tmp_path, standin, "--wait-ready=0.6", "--wait-interval=0.2")
    assert run.status == 4  # a usage error: nothing was tested
    assert "/health was not ready after 1 s (last: 503 Service Unavailable)" in run.output


def test_results_table_goes_to_the_step_summary_and_the_terminal(tmp_path):
    with StandIn({"missing_hsts"}) as standin:
        run = run_smoke(tmp_path, standin, f"--results-file={tmp_path / 'results.md'}")
    assert (tmp_path / "results.md").read_text() == run.summary.rstrip("\n") + "\n"
    assert run.summary.startswith(f"### Edge smoke · {standin.edge_url} · ❌ 1 of 17 checks failed")
    assert "| check | result | detail | latency |" in run.summary
    assert "| JSON and Strict-Transport-Security on every answer | ❌ fail | expected a Strict-Transport-Security" \
           in run.summary
    assert "| POST /models/iris/predict | ✅ pass | 2 instances → 2 predictions, not cached |" in run.summary
    assert "| latency GET /models (cached) | ✅ pass | 2 requests; budget p50 300 ms, p95 400 ms | p50 " in run.summary
    assert run.summary.strip() in run.output.replace("\r", "")


def test_missing_urls_are_a_clear_usage_error(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, env={"EDGE_URL": "", "ORIGIN_URL": ""})
    assert run.status == 4
    assert "the smoke suite needs --edge-url/EDGE_URL and --origin-url/ORIGIN_URL" in run.output


def test_the_api_keys_are_sent_to_the_edge_only_over_tls_and_never_printed(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin)
    assert run.status == 0, run.output[-3000:]
    # None: the check of a keyless call
    assert set(standin.api_keys_at_edge) == {standin.api_key, standin.restricted_key, None}
    assert standin.api_keys_at_origin and set(standin.api_keys_at_origin) == {None}
    assert standin.api_keys_over_plain_http and set(standin.api_keys_over_plain_http) == {None}
    for key in (standin.api_key, standin.restricted_key):
        assert key not in run.output + run.summary + run.junit
    assert f"| consumer key and its plan | ✅ pass | {KEY_PLAN} |" in run.summary
    assert "| restricted key on another model → 403 | ✅ pass | sentiment (the key may call iris) |" in run.summary
    assert "| restricted key on its own model → 200 | ✅ pass | iris |" in run.summary


def test_without_a_key_the_key_checks_are_skipped_and_predict_fails(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, env={"SMOKE_API_KEY": "", "SMOKE_KEY_PLAN": ""})
    assert run.status == 1
    assert set(run.failed) >= {"test_model_answers_its_example[iris]"}
    assert "got 403 Forbidden" in run.failed["test_model_answers_its_example[iris]"]
    assert "| predict without a consumer key → 403 | ⏭ skip | no consumer key given (--api-key / SMOKE_API_KEY)" \
           in run.summary


def test_without_a_restricted_key_its_checks_are_skipped_saying_why(tmp_path):
    with StandIn() as standin:
        run = run_smoke(tmp_path, standin, env={"SMOKE_RESTRICTED_API_KEY": "", "SMOKE_RESTRICTED_MODELS": ""})
    assert run.status == 0, run.output[-3000:]
    assert run.passed == ALL_CHECKS - RESTRICTED and run.skipped == RESTRICTED
    reason = "no restricted consumer key given (--restricted-api-key / SMOKE_RESTRICTED_API_KEY)"
    assert f"| restricted key on another model → 403 | ⏭ skip | {reason} |" in run.summary
    assert f"| restricted key on its own model → 200 | ⏭ skip | {reason} |" in run.summary


def test_a_restricted_key_that_may_call_every_model_has_no_other_model_to_try(tmp_path):
    with StandIn(restricted_models=("iris", "sentiment")) as standin:
        run = run_smoke(tmp_path, standin)
    assert run.status == 0, run.output[-3000:]
    assert run.skipped == {"test_restricted_key_is_refused_on_another_model"}
    assert run.passed == ALL_CHECKS - run.skipped
    assert "| restricted key on another model → 403 | ⏭ skip | every catalog model is in the restricted key's " \
           "list (iris, sentiment): no other model to try |" in run.summary


def test_a_restricted_key_whose_models_are_not_in_the_catalog_fails(tmp_path):
    with StandIn(restricted_models=("churn",)) as standin:
        run = run_smoke(tmp_path, standin)
    assert set(run.failed) == {"test_restricted_key_predicts_with_its_own_model"}, run.output[-3000:]
    assert "expected one of the restricted key's models (churn) in the catalog; the catalog lists iris, sentiment" \
           in run.failed["test_restricted_key_predicts_with_its_own_model"]


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


def test_a_failure_message_masks_a_consumer_key_the_answer_echoes():
    sys.path.insert(0, str(ROOT / "smoke"))
    try:
        from edge_client import describe
    finally:
        sys.path.remove(str(ROOT / "smoke"))
    response = requests.Response()
    response.status_code, response.reason = 403, "Forbidden"
    response.headers["Content-Type"] = "application/json"
    response._content = b'{"message": "key the-consumer-key may not call iris"}'
    response.request = requests.Request("POST", "https://e.example.com/models/iris/predict",
                                        headers={"x-api-key": "the-consumer-key"}).prepare()
    assert describe(response) == ("got 403 Forbidden; headers {'Content-Type': 'application/json'}; "
                                  "body '{\"message\": \"key [secret] may not call iris\"}'")


def test_golden_smoke_summary():
    """The README's example summary is the real renderer's output for a fixture of results."""
    sys.path.insert(0, str(ROOT / "smoke"))
    try:
        from results import RESULT, SmokeResults
    finally:
        sys.path.remove(str(ROOT / "smoke"))
    fixture = json.loads((Path(__file__).parent / "data" / "smoke_rows.json").read_text())
    results = SmokeResults(fixture["edge_url"])
    results.rows = [{**row, "result": RESULT[row["result"]]} for row in fixture["rows"]]
    golden = Path(__file__).parent / "golden" / "smoke_summary.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(results.table())
    assert results.table() == golden.read_text()
