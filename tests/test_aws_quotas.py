"""The quota guardrails on prod's three-region plan: it passes; one over a quota is blocked (aws-quotas) naming the
quota, the region, the count and the limit; above 80 % it warns (aws-quotas-headroom); a raised quota recorded in
the config lets it through; usage is counted per region. Faulted plans copy prod's resources and add to them."""

import copy
import json
from dataclasses import replace

import pytest
from test_regional_guardrails import engine_view

from gitops.policy.policy_check import evaluate
from gitops.stacks.environments import policy_config_file
from guardrails import aws_quotas
from guardrails.aws_quotas import API_KEY, RULE, api_resources
from guardrails.aws_quotas_headroom import RULE as HEADROOM_RULE
from guardrails.rule import Resource
from ml_edge.resource_types import DISTRIBUTION, FUNCTION, HEALTH_CHECK, REST_API, USAGE_PLAN

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]


@pytest.fixture(scope="module")
def prod(plans):
    assert plans["prod"].config.regions == REGIONS
    return plans["prod"]


@pytest.fixture
def stack(prod) -> list[Resource]:
    return engine_view(prod)


def messages(rule, resources, config=None) -> list[str]:
    return [f.message(f.resource) for f in rule.stack_findings(resources, config)]


def in_region(resources, kind, region) -> list[Resource]:
    return [r for r in resources if r.type == kind and (r.props.get("region") or r.provider.get("region")) == region]


def with_copies(resources, kind, region, total) -> list[Resource]:
    """The stack with `kind` in `region` copied until the region has `total` of them."""
    found = in_region(resources, kind, region)
    assert found, f"prod plans no {kind} in {region}"
    extra = [replace(found[0], name=f"{found[0].name}-copy{i}", urn=f"{found[0].urn}-copy{i}")
             for i in range(total - len(found))]
    return resources + extra


def test_prod_is_within_every_quota_and_far_from_them(stack):
    assert messages(RULE, stack) == []
    assert messages(HEADROOM_RULE, stack) == []
    counted = {(q.key, scope) for q, scope, *_ in aws_quotas.usage(stack, RULE.settings(None))}
    assert {key for key, _ in counted} == {q.key for q in aws_quotas.QUOTAS}  # each quota finds what it counts
    assert len([s for k, s in counted if k == "usage-plans-per-region"]) == 3  # one count per region


def test_the_resources_of_an_api_are_its_paths_prefixes_and_the_root():
    assert api_resources({"paths": {"/models/a/predict": {}, "/models/b/predict": {}, "/health": {}}}) == 7


def test_one_usage_plan_over_the_quota_in_a_region_is_blocked_naming_quota_region_count_limit(stack):
    faulted = with_copies(stack, USAGE_PLAN, "eu-west-1", 301)
    (message,) = messages(RULE, faulted)
    assert "API Gateway usage plans per account per Region in eu-west-1" in message
    assert "301 of 300" in message and "at most 300" in message and "L-E8693075" in message
    assert messages(HEADROOM_RULE, faulted) == []  # blocked, not also warned


def test_at_exactly_the_quota_it_is_not_blocked_but_warned(stack):
    at_quota = with_copies(stack, USAGE_PLAN, "eu-west-1", 300)
    assert messages(RULE, at_quota) == []
    assert len(messages(HEADROOM_RULE, at_quota)) == 1


def test_above_80_percent_warns_and_at_80_percent_does_not(stack):
    assert messages(HEADROOM_RULE, with_copies(stack, USAGE_PLAN, "us-east-1", 240)) == []
    (warning,) = messages(HEADROOM_RULE, with_copies(stack, USAGE_PLAN, "us-east-1", 241))
    assert "usage plans per account per Region in us-east-1" in warning and "241 of 300 (80.3 %" in warning
    assert messages(RULE, with_copies(stack, USAGE_PLAN, "us-east-1", 241)) == []


def test_counted_per_region_not_across_regions(stack):
    """Prod has 3 usage plans per region: 298 more in one region is 301 there; 100 in each region is fine."""
    spread = stack
    for region in REGIONS:
        spread = with_copies(spread, USAGE_PLAN, region, 200)
    assert len([r for r in spread if r.type == USAGE_PLAN]) == 600
    assert messages(RULE, spread) == []
    (message,) = messages(RULE, with_copies(stack, USAGE_PLAN, "ap-southeast-1", 301))
    assert "in ap-southeast-1" in message


def test_a_raised_quota_in_the_config_lets_it_through(stack):
    faulted = with_copies(stack, USAGE_PLAN, "eu-west-1", 301)
    raised = {"raised": {"usage-plans-per-region": 500}}
    assert messages(RULE, faulted, raised) == []
    assert messages(HEADROOM_RULE, faulted, raised) == []  # 301 of 500: 60 %
    (message,) = messages(RULE, with_copies(stack, USAGE_PLAN, "eu-west-1", 501), raised)
    assert "501 of 500" in message


def test_api_keys_per_region(stack):
    (message,) = messages(RULE, with_copies(stack, API_KEY, "us-east-1", 10_001))
    assert "API keys per account per Region in us-east-1" in message and "10001 of 10000" in message


def test_a_rest_api_with_more_than_300_resources_is_blocked(stack):
    api = in_region(stack, REST_API, "eu-west-1")[0]
    body = json.loads(api.props["body"])
    existing = api_resources(body)
    for i in range(301 - existing):  # each new top-level path is one more resource
        body["paths"][f"/extra{i}"] = {}
    big = replace(api, props={**api.props, "body": json.dumps(body)})
    faulted = [big if r is api else r for r in stack]
    (message,) = messages(RULE, faulted)
    assert f"resources per REST API in eu-west-1, REST API {api.name}" in message and "301 of 300" in message


def test_cache_behaviours_per_distribution(stack):
    (distribution,) = [r for r in stack if r.type == DISTRIBUTION]
    props = copy.deepcopy(distribution.props)
    ordered = props.get("orderedCacheBehaviors") or []
    props["orderedCacheBehaviors"] = ordered + [dict(ordered[0], pathPattern=f"/x{i}/*")
                                                for i in range(75 - len(ordered))]  # + the default: 76
    faulted = [replace(r, props=props) if r is distribution else r for r in stack]
    (message,) = messages(RULE, faulted)
    assert "CloudFront cache behaviors per distribution" in message and "76 of 75" in message


def test_reserved_concurrency_leaves_lambdas_unreserved_minimum(stack):
    functions = in_region(stack, FUNCTION, "eu-west-1")
    used = sum(f.props["reservedConcurrentExecutions"] for f in functions)
    greedy = replace(functions[0], props={**functions[0].props,
                                          "reservedConcurrentExecutions":
                                              functions[0].props["reservedConcurrentExecutions"] + 901 - used})
    faulted = [greedy if r is functions[0] else r for r in stack]
    (message,) = messages(RULE, faulted)
    assert "Lambda reserved concurrency" in message and "in eu-west-1" in message and "901 of 900" in message
    assert messages(RULE, faulted, {"raised": {"lambda-concurrency-per-region": 2000}}) == []


def test_health_checks_are_counted_for_the_account_across_regions(stack):
    checks = [r for r in stack if r.type == HEALTH_CHECK]
    extra = [replace(checks[0], name=f"hc{i}", urn=f"urn:hc{i}") for i in range(201 - len(checks))]
    (message,) = messages(RULE, stack + extra)
    assert "Route 53 health checks per account in the account" in message and "201 of 200" in message


def test_the_pack_blocks_over_and_warns_near_a_quota_and_reads_raised_quotas_from_policy_json(prod, pack, tmp_path):
    faulted = copy.deepcopy(prod)
    plans_ = [r for r in faulted.resources if r.type == USAGE_PLAN]
    first = plans_[0]
    region = first.inputs.get("region") or prod.config.region
    here = [r for r in plans_ if (r.inputs.get("region") or prod.config.region) == region]
    faulted.resources.extend(replace(first, name=f"{first.name}-copy{i}", urn=f"{first.urn}-copy{i}")
                             for i in range(301 - len(here)))
    report = evaluate(faulted, policy_config_file("prod"), pack)
    outcomes = {o.name: o for o in report.outcomes}
    assert report.blocked and outcomes["aws-quotas"].level == "mandatory"
    assert any(f"usage plans per account per Region in {region}" in v for v in outcomes["aws-quotas"].violations)

    config = json.loads(policy_config_file("prod").read_text())
    config["aws-quotas"] = {"enforcementLevel": "mandatory", "raised": {"usage-plans-per-region": 350}}
    config["aws-quotas-headroom"] = {"enforcementLevel": "advisory", "raised": {"usage-plans-per-region": 350}}
    raised = tmp_path / "policy.json"
    raised.write_text(json.dumps(config))
    report = evaluate(faulted, raised, pack)
    outcomes = {o.name: o for o in report.outcomes}
    assert not outcomes["aws-quotas"].violations
    assert outcomes["aws-quotas-headroom"].level == "advisory" and len(outcomes["aws-quotas-headroom"].violations) == 1
