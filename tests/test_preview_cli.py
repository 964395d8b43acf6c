"""`make preview`: every environment plans, the plan reads well, and nothing secret is printed."""

import re

import pytest
from plan_views import ENVIRONMENTS, REGIONS, distribution

from gitops.cli import preview
from gitops.planning.render import render_plan
from gitops.preview import offline


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_environment_previews_with_exit_0(env, capsys):
    assert preview.main(["--env", env]) == 0
    out = capsys.readouterr().out
    regions = REGIONS[env]  # with several, the preview names them all and has a section per region
    where = f"region {regions[0]}" if len(regions) == 1 else f"regions {', '.join(regions)}"
    assert out.startswith(f"ml-edge offline preview · environment {env} · {where} · ")
    for heading in ("\nEdge  ", "\nModelApi  ", "\nOriginSecret  ", "\nStack outputs\n"):
        assert heading in out


def test_the_origin_secret_is_never_printed(plan):
    (header,) = distribution(plan)["origins"][0]["customHeaders"]
    text = render_plan(plan)
    assert header["value"].value not in text
    assert "X-Origin-Verify: [secret]" in text
    assert "header x-origin-verify equals [secret]" in text


def test_the_plan_shows_what_a_reviewer_checks(plans):
    text = render_plan(plans["prod"])
    for expected in (
        "endpoint REGIONAL",
        "POST  /models/churn/predict            SageMaker endpoint churn-xgb-prod",
        "/models/*/predict  all methods       https-only · not cached (Managed-CachingDisabled)",
        "/models            GET, HEAD, OPTIONS redirect-to-https · cached 0/300/3600 s",
        "https-only · TLSv1.2 · adds X-Origin-Verify: [secret]",
        "viewer certificate: ACM certificate, sni-only, minimum TLSv1.2_2021",
        "*/*: throttling 500 req/s, burst 1000",
        "rule 0 rate-limit-per-ip: more than 2000 requests per IP in 5 minutes → block",
        "authorizer consumer: Lambda request on method.request.header.x-api-key · answers cached 300 s",
        "(HTTP, sends only Accept, Content-Type, X-ML-Edge-Consumer; its predictions mapped onto the contract)",
        "scope REGIONAL · default block · sampled requests off",
        "X-Ray tracing on · presents client certificate ml-edge-prod-api-backend-certificate-a to HTTP model servers",
        "A api.ml-edge.example.com → alias of d",
        "AAAA api.ml-edge.example.com → alias of d",
    ):
        assert expected in text
    assert re.search(r"\n  edgeUrl +https://api\.ml-edge\.example\.com\n", text)


def test_the_rendering_is_stable_between_runs(plans):
    from gitops.planning.plan import plan_environment
    assert render_plan(plan_environment("staging")) == render_plan(plans["staging"])


def test_a_program_bug_exits_3_not_as_a_config_or_policy_result(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(offline, "plan_environment", broken)
    assert preview.main(["--env", "dev"]) == 3
    assert "a bug, not a config problem" in capsys.readouterr().err


def test_a_secret_that_slips_into_the_text_is_still_masked(plan):
    from gitops.planning.render import mask
    (header,) = distribution(plan)["origins"][0]["customHeaders"]
    leaked = f"debug: header value was {header['value'].value}"
    assert mask(leaked, plan) == "debug: header value was [secret]"
