"""The guardrails of an environment served from several regions, on prod's three-region plan: every region is
guarded by the origin secret (in its own region), each latency record has a health check of its own, no origin group
on a behaviour that allows POST, and every region serves the same models. Each rule passes prod and finds each fault,
named by resource and region, both called directly and through the pack as the engine reaches it (gRPC)."""

import copy
import json

import pytest
from plan_views import unwrap_secrets

from gitops.policy.policy_check import evaluate
from gitops.stacks.environments import policy_config_file
from guardrails import (
    api_requires_origin_secret,
    apigateway_domain_tls,
    backends_only_via_api,
    cloudfront_no_origin_group_on_post,
    origin_secret_accepted,
    origin_secret_header,
    regions_serve_same_models,
    route53_latency_health_checked,
)
from guardrails.rule import Resource, region_of
from ml_edge.resource_types import (
    API_DOMAIN_NAME,
    DISTRIBUTION,
    DNS_RECORD,
    HEALTH_CHECK,
    LAMBDA_PERMISSION,
    REST_API,
    STAGE,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
)

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]
RULES = [api_requires_origin_secret.RULE, route53_latency_health_checked.RULE,
         cloudfront_no_origin_group_on_post.RULE, regions_serve_same_models.RULE, apigateway_domain_tls.RULE]
SECRET_RULES = [origin_secret_header.RULE, origin_secret_accepted.RULE]
STAGE_TYPE = "(aws:apigateway/stage:Stage)"
RECORD_TYPE = "(aws:route53/record:Record)"


def engine_view(plan) -> list[Resource]:
    """The plan as the engine hands it to the pack: secrets in plain text, and each AWS resource with its (default)
    provider's inputs, whose `region` is the stack's aws:region."""
    provider = {"region": plan.config.region}
    return [Resource(r.type, r.name, r.urn, unwrap_secrets(r.inputs), dict(r.property_dependencies),
                     provider if r.custom and r.type.startswith("aws:") else {})
            for r in plan.resources]


@pytest.fixture(scope="module")
def prod(plans):
    assert plans["prod"].config.regions == REGIONS  # what every test below relies on
    return plans["prod"]


@pytest.fixture
def stack(prod) -> list[Resource]:
    return engine_view(prod)


def named(resources: list[Resource], kind: str, name: str) -> Resource:
    (found,) = [r for r in resources if r.type == kind and r.name == name]
    return found


def findings(rule, resources: list[Resource]) -> list[str]:
    """Messages as the pack reports them (a stack rule names the resource at fault; a resource rule its own)."""
    if rule.scan_stack:
        return [f.message(f.resource) for f in rule.stack_findings(resources)]
    return [f.message(r) for r in resources for f in rule.findings(r)]


# --- the plan they judge ----------------------------------------------------------------------------------------

def test_a_resource_is_in_its_own_region_else_in_its_providers():
    provider = {"region": "us-east-1"}
    assert region_of(Resource(STAGE, "s", "urn:s", {}, {}, provider)) == "us-east-1"
    assert region_of(Resource(STAGE, "s", "urn:s", {"region": "eu-west-1"}, {}, provider)) == "eu-west-1"
    assert region_of(Resource(STAGE, "s", "urn:s", {})) is None


def test_prod_has_a_stage_guard_api_and_latency_record_in_each_region(stack):
    for kind in (STAGE, WEB_ACL_ASSOCIATION, REST_API):
        assert sorted(region_of(r) for r in stack if r.type == kind) == sorted(REGIONS), kind
    latency = [r for r in stack if r.type == DNS_RECORD and r.props.get("latencyRoutingPolicies")]
    assert sorted(r.props["latencyRoutingPolicies"][0]["region"] for r in latency) == sorted(REGIONS)


@pytest.mark.parametrize("rule", RULES + SECRET_RULES, ids=lambda r: r.name)
def test_each_regional_rule_passes_on_prods_three_regions(rule, stack):
    assert findings(rule, stack) == []


# --- every region is guarded by the origin secret, in its own region --------------------------------------------

def rewired_to_the_first_regions_guard(stack: list[Resource]) -> list[Resource]:
    """eu-west-1's stage associated with us-east-1's web ACL (a REGIONAL web ACL guards only its own region)."""
    home = named(stack, WEB_ACL, "ml-edge-prod-api-origin-guard")
    association = named(stack, WEB_ACL_ASSOCIATION, "ml-edge-prod-api-eu-west-1-origin-guard")
    association.property_dependencies["webAclArn"] = [home.urn]
    return stack


def moved(kind: str, name: str, region: str):
    def change(stack: list[Resource]) -> list[Resource]:
        named(stack, kind, name).props["region"] = region
        return stack
    return change


@pytest.mark.parametrize(("fault", "found"), [
    (rewired_to_the_first_regions_guard,
     'guarded by web ACL ml-edge-prod-api-origin-guard, which is in "us-east-1", not in the stage\'s region '
     '"eu-west-1"'),
    (moved(WEB_ACL, "ml-edge-prod-api-eu-west-1-origin-guard", "ap-southeast-1"),
     'guarded by web ACL ml-edge-prod-api-eu-west-1-origin-guard, which is in "ap-southeast-1", not in the '
     'stage\'s region "eu-west-1"'),
    (moved(WEB_ACL_ASSOCIATION, "ml-edge-prod-api-eu-west-1-origin-guard", "us-east-1"),
     'guarded by web ACL ml-edge-prod-api-eu-west-1-origin-guard, which is associated in "us-east-1", not in the '
     'stage\'s region "eu-west-1"'),
], ids=["stage-on-another-regions-guard", "guard-in-another-region", "association-in-another-region"])
def test_a_guard_in_another_region_than_its_stage_is_found(stack, fault, found):
    (message,) = findings(api_requires_origin_secret.RULE, fault(stack))
    assert message.startswith(f"ml-edge-prod-api-eu-west-1-stage {STAGE_TYPE}: stage v1 is {found}; allowed: ")


@pytest.mark.parametrize("region", REGIONS)
def test_a_region_without_its_guard_is_found(stack, region):
    suffix = "" if region == REGIONS[0] else f"-{region}"
    unguarded = [r for r in stack if not (r.type == WEB_ACL_ASSOCIATION and region_of(r) == region)]
    (message,) = findings(api_requires_origin_secret.RULE, unguarded)
    assert message.startswith(f"ml-edge-prod-api{suffix}-stage {STAGE_TYPE}: stage v1 is reachable without the "
                              f"origin secret (no WAF web ACL associated)")


def the_origin(stack: list[Resource]) -> dict:
    (origin,) = named(stack, DISTRIBUTION, "ml-edge-prod-edge").props["origins"]
    assert origin["domainName"] == "origin.ml-edge.example.com"  # the latency-routed name, not an execute-api host
    return origin


def test_cloudfront_sending_a_short_secret_to_the_latency_routed_origin_is_found(stack):
    the_origin(stack)["customHeaders"][0]["value"] = "Zq81kLm0Pw2x"
    assert [m.split(": ", 1)[1] for m in findings(origin_secret_header.RULE, stack)] == [
        "origins[0] (api).customHeaders[X-Origin-Verify].value is a secret of 12 characters; allowed: at least 32 "
        "characters"]
    (refused,) = findings(origin_secret_accepted.RULE, stack)
    assert "customHeaders[X-Origin-Verify].value is a secret the API does not accept" in refused


def test_cloudfront_sending_no_secret_to_the_latency_routed_origin_is_found(stack):
    the_origin(stack)["customHeaders"] = []
    assert findings(origin_secret_accepted.RULE, stack) == [
        "ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): origins[0] (api).customHeaders is [] (no "
        'X-Origin-Verify) on "origin.ml-edge.example.com", an API origin whose guards refuse every request without '
        "the secret; allowed: a X-Origin-Verify header carrying a secret the API's origin guard accepts"]


# --- each latency record has a health check of its own ---------------------------------------------------------

def record(stack: list[Resource], region: str) -> Resource:
    return named(stack, DNS_RECORD, f"ml-edge-prod-origin-domain-{region}")


def test_a_latency_record_without_a_health_check_is_found(stack):
    unchecked = record(stack, "eu-west-1")
    unchecked.props.pop("healthCheckId")
    unchecked.property_dependencies.pop("healthCheckId")
    assert findings(route53_latency_health_checked.RULE, stack) == [
        f"ml-edge-prod-origin-domain-eu-west-1 {RECORD_TYPE}: healthCheckId is not set (the latency record of "
        "eu-west-1); allowed: a Route 53 health check that fails when eu-west-1 cannot predict, so that Route 53 "
        "stops answering with this region"]


def test_a_latency_alias_that_ignores_its_targets_health_is_found(stack):
    record(stack, "ap-southeast-1").props["aliases"][0]["evaluateTargetHealth"] = False
    (message,) = findings(route53_latency_health_checked.RULE, stack)
    assert message.startswith(f"ml-edge-prod-origin-domain-ap-southeast-1 {RECORD_TYPE}: aliases[0]"
                              ".evaluateTargetHealth is false (the latency record of ap-southeast-1); allowed: true")


def test_a_latency_set_sharing_a_health_check_is_found(stack):
    shared = record(stack, "ap-southeast-1")
    shared.props["healthCheckId"] = record(stack, "eu-west-1").props["healthCheckId"]
    shared.property_dependencies["healthCheckId"] = record(stack, "eu-west-1").property_dependencies["healthCheckId"]
    assert findings(route53_latency_health_checked.RULE, stack) == [
        *[f"ml-edge-prod-origin-domain-ap-southeast-1 {RECORD_TYPE}: healthCheckId is health check "
          f"ml-edge-prod-origin-domain-eu-west-1{child} (a child of ml-edge-prod-origin-domain-eu-west-1-region), "
          "on an alarm in eu-west-1 (the latency record of ap-southeast-1); allowed: a health check on "
          "ap-southeast-1's own alarm" for child in ("", "-canary")],
        *[f"ml-edge-prod-origin-domain-{region} {RECORD_TYPE}: healthCheckId is the health check of "
          f"ml-edge-prod-origin-domain-{other} too (the latency record of {region}); allowed: a health check of its "
          "own per region: a shared one takes every region out when one fails, or none"
          for region, other in (("ap-southeast-1", "eu-west-1"), ("eu-west-1", "ap-southeast-1")) ]]


def health_check(stack: list[Resource], name: str) -> Resource:
    return named(stack, HEALTH_CHECK, name)


def test_a_latency_record_checks_a_calculated_check_of_its_regions_5xx_and_canary_checks(stack):
    calculated = health_check(stack, "ml-edge-prod-origin-domain-eu-west-1-region")
    assert record(stack, "eu-west-1").property_dependencies["healthCheckId"] == [calculated.urn]
    assert calculated.props["type"] == "CALCULATED" and calculated.props["childHealthThreshold"] == 2
    assert sorted(calculated.property_dependencies["childHealthchecks"]) == sorted(
        health_check(stack, f"ml-edge-prod-origin-domain-eu-west-1{child}").urn for child in ("", "-canary"))


def test_a_calculated_check_with_a_child_of_another_region_is_found(stack):
    calculated = health_check(stack, "ml-edge-prod-origin-domain-eu-west-1-region")
    foreign = health_check(stack, "ml-edge-prod-origin-domain-us-east-1-canary")
    calculated.property_dependencies["childHealthchecks"] = [
        health_check(stack, "ml-edge-prod-origin-domain-eu-west-1").urn, foreign.urn]
    assert findings(route53_latency_health_checked.RULE, stack) == [
        f"ml-edge-prod-origin-domain-eu-west-1 {RECORD_TYPE}: healthCheckId is health check "
        "ml-edge-prod-origin-domain-us-east-1-canary (a child of ml-edge-prod-origin-domain-eu-west-1-region), on an "
        "alarm in us-east-1 (the latency record of eu-west-1); allowed: a health check on eu-west-1's own alarm"]


def test_a_calculated_check_healthy_with_fewer_than_all_its_children_is_found(stack):
    health_check(stack, "ml-edge-prod-origin-domain-ap-southeast-1-region").props["childHealthThreshold"] = 1
    assert findings(route53_latency_health_checked.RULE, stack) == [
        f"ml-edge-prod-origin-domain-ap-southeast-1 {RECORD_TYPE}: healthCheckId is health check "
        "ml-edge-prod-origin-domain-ap-southeast-1-region, healthy with 1 of its 2 children (the latency record of "
        "ap-southeast-1); allowed: child_health_threshold = 2: the region is out as soon as one of its checks fails"]


@pytest.mark.parametrize("child", ["", "-canary", "-region"], ids=["5xx-check", "canary-check", "calculated-check"])
def test_a_disabled_health_check_on_a_latency_record_is_found(stack, child):
    # Route 53 counts a disabled check as always healthy: the region would never be taken out
    health_check(stack, f"ml-edge-prod-origin-domain-eu-west-1{child}").props["disabled"] = True
    (message,) = findings(route53_latency_health_checked.RULE, stack)
    assert message.startswith(f"ml-edge-prod-origin-domain-eu-west-1 {RECORD_TYPE}: healthCheckId is health check "
                              f"ml-edge-prod-origin-domain-eu-west-1{child}")
    assert message.endswith("disabled: always healthy (the latency record of eu-west-1); allowed: an enabled health "
                            "check")


# --- the region canary: EventBridge may invoke it, from a rule of this stack only --------------------------------

def canary_permission(stack: list[Resource], region: str) -> Resource:
    return named(stack, LAMBDA_PERMISSION, f"ml-edge-prod-canary-{region}-invoke")


def test_each_regions_canary_may_be_invoked_by_its_own_rule(stack):
    assert findings(backends_only_via_api.RULE, stack) == []
    for region in REGIONS:
        permission = canary_permission(stack, region)
        assert permission.props["principal"] == "events.amazonaws.com"
        assert permission.props["sourceArn"].startswith(f"arn:aws:events:{region}:123456789012:rule/ml-edge-prod-")


CANARY_PERMISSION = f"ml-edge-prod-canary-eu-west-1-invoke ({LAMBDA_PERMISSION})"
ANOTHER_RULE = "arn:aws:events:eu-west-1:123456789012:rule/ml-edge-staging-canary-eu-west-1-abc1234"


@pytest.mark.parametrize("source", [ANOTHER_RULE, "arn:aws:events:eu-west-1:123456789012:rule/*",
                                    "arn:aws:events:eu-west-1:*:rule/ml-edge-prod-canary-eu-west-1-abc1234"],
                         ids=["another-environments-rule", "any-rule", "any-account"])
def test_a_canary_permission_for_another_rule_is_found(stack, source):
    canary_permission(stack, "eu-west-1").props["sourceArn"] = source
    assert findings(backends_only_via_api.RULE, stack) == [
        f'{CANARY_PERMISSION}: sourceArn is "{source}"; allowed: the ARN of an EventBridge rule of this stack '
        "(arn:aws:events:<region>:<account>:rule/ml-edge-prod-…; without it any rule, in any account, may invoke the "
        "function)"]


def test_a_canary_permission_not_from_a_rule_of_the_stack_is_found(stack):
    permission = canary_permission(stack, "eu-west-1")
    permission.property_dependencies["sourceArn"] = []
    (message,) = findings(backends_only_via_api.RULE, stack)
    assert message.startswith(f'{CANARY_PERMISSION}: sourceArn is "arn:aws:events:eu-west-1:')


def canary_rule(stack: list[Resource], region: str) -> Resource:
    (rule,) = [r for r in stack if r.type == "aws:cloudwatch/eventRule:EventRule" and region_of(r) == region]
    return rule


def test_a_canary_permission_from_an_event_pattern_rule_is_found(stack):
    # anyone allowed to put events on the bus could match a pattern, and so invoke the function
    rule = canary_rule(stack, "eu-west-1")
    rule.props.pop("scheduleExpression")
    rule.props["eventPattern"] = '{"source": ["my.app"]}'
    assert findings(backends_only_via_api.RULE, stack) == [
        f"{CANARY_PERMISSION}: sourceArn is the rule {rule.name}, which is not a schedule on the default event bus; "
        "allowed: a rule with a scheduleExpression and no eventPattern (anyone allowed to put events on a bus could "
        "match a pattern)"]


def test_a_canary_permission_from_a_rule_in_another_region_is_found(stack):
    rule = canary_rule(stack, "eu-west-1")
    rule.props["region"] = "us-east-1"
    assert findings(backends_only_via_api.RULE, stack) == [
        f'{CANARY_PERMISSION}: sourceArn is the rule {rule.name} in "us-east-1"; allowed: a rule in the permission\'s '
        'region "eu-west-1"']


def test_a_permission_for_a_function_the_rule_does_not_target_is_found(stack):
    # the canary's rule, granted on a model backend: a schedule could then call the model past WAF and keys
    permission = canary_permission(stack, "eu-west-1")
    model = named(stack, "aws:lambda/function:Function", "ml-edge-prod-api-eu-west-1-iris")
    permission.property_dependencies["function"] = [model.urn]
    assert findings(backends_only_via_api.RULE, stack) == [
        f"{CANARY_PERMISSION}: function is a function the rule {canary_rule(stack, 'eu-west-1').name} does not "
        "target; allowed: the function the rule's own target invokes"]


def test_a_canary_permission_for_another_principal_is_found(stack):
    canary_permission(stack, "eu-west-1").props["principal"] = "sns.amazonaws.com"
    assert findings(backends_only_via_api.RULE, stack) == [
        f'{CANARY_PERMISSION}: principal is "sns.amazonaws.com"; allowed: "apigateway.amazonaws.com" (only this '
        'stack\'s REST API may invoke a function), or "events.amazonaws.com" from an EventBridge rule of this stack']


def test_a_latency_set_with_two_records_for_one_region_is_found(stack):
    record(stack, "ap-southeast-1").props["latencyRoutingPolicies"] = [{"region": "eu-west-1"}]
    messages = findings(route53_latency_health_checked.RULE, stack)
    for region, other in (("ap-southeast-1", "eu-west-1"), ("eu-west-1", "ap-southeast-1")):
        assert f"ml-edge-prod-origin-domain-{region} {RECORD_TYPE}: latencyRoutingPolicies[0].region is eu-west-1, " \
               f"as is ml-edge-prod-origin-domain-{other} of the same latency set; allowed: one record per region in " \
               "a latency set" in messages


# --- no origin group on a behaviour that allows POST ------------------------------------------------------------

def with_an_origin_group(stack: list[Resource], behaviour: str) -> list[Resource]:
    """A second origin (the same name, standing in for another region's) grouped with the first; `behaviour`, the
    path pattern of an ordered behaviour or "default", sent to the group."""
    props = named(stack, DISTRIBUTION, "ml-edge-prod-edge").props
    props["origins"].append({**copy.deepcopy(props["origins"][0]), "originId": "api-secondary"})
    props["originGroups"] = [{"originId": "api-failover", "failoverCriteria": {"statusCodes": [500, 502, 503, 504]},
                              "members": [{"originId": "api"}, {"originId": "api-secondary"}]}]
    targets = [props["defaultCacheBehavior"]] if behaviour == "default" else \
        [b for b in props["orderedCacheBehaviors"] if b["pathPattern"] == behaviour]
    targets[0]["targetOriginId"] = "api-failover"
    return stack


@pytest.mark.parametrize(("behaviour", "where"), [
    ("/models/*/predict", "orderedCacheBehaviors[2] (/models/*/predict)"),
    ("default", "defaultCacheBehavior"),
])
def test_an_origin_group_on_a_behaviour_that_allows_post_is_found(stack, behaviour, where):
    assert findings(cloudfront_no_origin_group_on_post.RULE, with_an_origin_group(stack, behaviour)) == [
        f'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): {where}.targetOriginId is "api-failover", an '
        'origin group, on a behaviour that allows "PUT", "POST", "PATCH", "DELETE" (CloudFront fails over only GET, '
        "HEAD, OPTIONS); allowed: a single origin (for inference, the latency-routed origin name, which fails over "
        "in DNS); an origin group only on behaviours allowing GET, HEAD and OPTIONS alone"]


def test_an_origin_group_on_a_read_only_behaviour_passes(stack):
    assert findings(cloudfront_no_origin_group_on_post.RULE, with_an_origin_group(stack, "/models")) == []


# --- every region serves the same models ------------------------------------------------------------------------

def without(path: str):
    def change(props: dict) -> None:
        openapi = json.loads(props["body"])
        del openapi["paths"][path]
        props["body"] = json.dumps(openapi)
    return change


@pytest.mark.parametrize("region", REGIONS)
def test_a_region_missing_a_model_is_found(stack, region):
    api = next(r for r in stack if r.type == REST_API and region_of(r) == region)
    without("/models/sentiment/predict")(api.props)
    others = ", ".join(sorted(r for r in REGIONS if r != region))
    assert findings(regions_serve_same_models.RULE, stack) == [
        f"{api.name} (aws:apigateway/restApi:RestApi): region {region} is missing model sentiment "
        f"(POST /models/sentiment/predict), which {others} serve; allowed: the same models and routes in every "
        "region (deploy each model's backend to every region of ml-edge:regions)"]


def test_a_region_missing_a_route_is_found(stack):
    api = named(stack, REST_API, "ml-edge-prod-api-ap-southeast-1")
    without("/health")(api.props)
    (message,) = findings(regions_serve_same_models.RULE, stack)
    assert "region ap-southeast-1 is missing route GET /health, which eu-west-1, us-east-1 serve" in message


# --- each region's custom domain name refuses TLS 1.0 and 1.1 ------------------------------------------------------

@pytest.mark.parametrize(("policy", "shown"), [("TLS_1_0", '"TLS_1_0"'), (None, "not set (API Gateway then chooses)")])
def test_a_domain_name_accepting_old_tls_is_found(stack, policy, shown):
    domains = [r for r in stack if r.type == API_DOMAIN_NAME]
    assert sorted(region_of(d) for d in domains) == sorted(REGIONS)
    domain = next(d for d in domains if region_of(d) == "ap-southeast-1")
    domain.props.pop("securityPolicy")
    if policy:
        domain.props["securityPolicy"] = policy
    (message,) = findings(apigateway_domain_tls.RULE, stack)
    assert message == (f"{domain.name} (aws:apigateway/domainName:DomainName): securityPolicy is {shown}; allowed: "
                       '"TLS_1_2" or "SecurityPolicy_TLS13_1_3_2025_09"')


# --- through the pack, as the engine reaches it -----------------------------------------------------------------

def faulted_prod(prod):
    """prod with one fault per rule: eu-west-1's stage on us-east-1's guard, ap-southeast-1's latency record without
    a health check, an origin group on the predict behaviour, eu-west-1 without the sentiment model and its custom
    domain name on TLS_1_0."""
    plan = copy.deepcopy(prod)
    by_name = {(r.type, r.name): r for r in plan.resources}
    home_guard = by_name[WEB_ACL, "ml-edge-prod-api-origin-guard"]
    association = by_name[WEB_ACL_ASSOCIATION, "ml-edge-prod-api-eu-west-1-origin-guard"]
    association.property_dependencies["webAclArn"] = [home_guard.urn]
    unchecked = by_name[DNS_RECORD, "ml-edge-prod-origin-domain-ap-southeast-1"]
    unchecked.inputs.pop("healthCheckId")
    unchecked.property_dependencies.pop("healthCheckId")
    edge = by_name[DISTRIBUTION, "ml-edge-prod-edge"].inputs
    edge["origins"].append({**copy.deepcopy(edge["origins"][0]), "originId": "api-secondary"})
    edge["originGroups"] = [{"originId": "api-failover", "failoverCriteria": {"statusCodes": [503]},
                             "members": [{"originId": "api"}, {"originId": "api-secondary"}]}]
    edge["orderedCacheBehaviors"][2]["targetOriginId"] = "api-failover"
    without("/models/sentiment/predict")(by_name[REST_API, "ml-edge-prod-api-eu-west-1"].inputs)
    by_name[API_DOMAIN_NAME, "ml-edge-prod-origin-domain-eu-west-1"].inputs["securityPolicy"] = "TLS_1_0"
    return plan


def test_the_pack_passes_prod_and_blocks_each_regional_fault_naming_resource_and_region(prod, pack):
    clean = {o.name: o for o in evaluate(prod, policy_config_file("prod"), pack).outcomes}
    report = evaluate(faulted_prod(prod), policy_config_file("prod"), pack)
    outcomes = {o.name: o for o in report.outcomes}
    for rule in RULES:
        assert (clean[rule.name].level, clean[rule.name].result) == ("mandatory", "pass"), rule.name
        assert outcomes[rule.name].result == "BLOCKED", rule.name
    expected = {
        "api-requires-origin-secret": f"ml-edge-prod-api-eu-west-1-stage {STAGE_TYPE}: stage v1 is guarded by web ACL "
        "ml-edge-prod-api-origin-guard, which is in \"us-east-1\", not in the stage's region \"eu-west-1\"",
        "route53-latency-health-checked": f"ml-edge-prod-origin-domain-ap-southeast-1 {RECORD_TYPE}: healthCheckId is "
        "not set (the latency record of ap-southeast-1)",
        "cloudfront-no-origin-group-on-post": "ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): "
        "orderedCacheBehaviors[2] (/models/*/predict).targetOriginId is \"api-failover\", an origin group",
        "regions-serve-same-models": "ml-edge-prod-api-eu-west-1 (aws:apigateway/restApi:RestApi): region eu-west-1 is "
        "missing model sentiment (POST /models/sentiment/predict)",
        "apigateway-domain-tls": "ml-edge-prod-origin-domain-eu-west-1 (aws:apigateway/domainName:DomainName): "
        'securityPolicy is "TLS_1_0"',
    }
    assert set(expected) == {rule.name for rule in RULES}
    for name, start in expected.items():
        (violation,) = outcomes[name].violations
        assert violation.startswith(start), violation
