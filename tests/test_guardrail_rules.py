"""Each guardrail rule on plain data shaped like the engine's: passes on the planned environments, and finds
each unsafe change with a message naming the resource, the property, the value and what is allowed.

Prod runs in several regions: a fault made in one region's stage, guard or method settings is found, in every region
(the ids name it), and the finding names that region's resource."""

import copy
import json

import pytest
from plan_views import REGIONS, RegionalPart, unwrap_secrets

from guardrails import (
    POLICIES,
    api_requires_origin_secret,
    apigateway_backend_headers_stripped,
    apigateway_predict_requires_key,
    apigateway_regional_endpoint,
    apigateway_stage_observability,
    apigateway_usage_plan_throttled,
    backends_only_via_api,
    cloudfront_https_redirect,
    cloudfront_no_legacy_forwarding,
    cloudfront_origin_https,
    cloudfront_security_headers,
    cloudfront_ttl_limits,
    cloudfront_viewer_tls,
    cloudfront_waf_attached,
    origin_guard_no_sampled_requests,
    origin_secret_header,
)
from guardrails.aws import CACHING_DISABLED, HTTP_API, LAMBDA_FUNCTION_URL
from guardrails.rule import UNKNOWN, Resource, redact, shown
from ml_edge.resource_types import (
    CACHE_POLICY,
    DISTRIBUTION,
    FUNCTION,
    IAM_ROLE,
    LAMBDA_PERMISSION,
    LOG_DELIVERY,
    LOG_DELIVERY_DESTINATION,
    LOG_DELIVERY_SOURCE,
    LOG_GROUP,
    METHOD_SETTINGS,
    REST_API,
    STAGE,
    USAGE_PLAN,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
)

DISTRIBUTION = DISTRIBUTION
PROD_REGIONS = REGIONS["prod"]


def as_resource(planned) -> Resource:
    return Resource(planned.type, planned.name, planned.urn, unwrap_secrets(planned.inputs),
                    dict(planned.property_dependencies))


def https_only_where_posted(props: dict) -> None:
    """Issue 9's edge shape: behaviours that accept POST are https-only (a no-op once the program does this)."""
    for behaviour in [*props.get("orderedCacheBehaviors", []), props["defaultCacheBehavior"]]:
        if "POST" in behaviour.get("allowedMethods", []):
            behaviour["viewerProtocolPolicy"] = "https-only"


@pytest.fixture
def distribution(plans) -> Resource:
    return changed(as_resource(plans["prod"].one(DISTRIBUTION)), https_only_where_posted)


@pytest.fixture
def stack(plans) -> list[Resource]:
    return [as_resource(r) for r in plans["prod"].resources]


def changed(resource: Resource, change) -> Resource:
    props = copy.deepcopy(resource.props)
    change(props)
    return Resource(resource.type, resource.name, resource.urn, props, resource.property_dependencies)


def messages(rule, resource: Resource, config=None) -> list[str]:
    return [f.message(resource) for f in rule.findings(resource, config)]


def secret_of(distribution: Resource) -> str:
    return distribution.props["origins"][0]["customHeaders"][0]["value"]


@pytest.fixture(params=["staging", "prod"])
def api_edge(request, plans) -> Resource:
    """An edge whose one origin is an API: staging's, the API's execute-api host (one region); prod's, the
    latency-routed origin name that Route 53 answers with a region's API Gateway custom domain (several)."""
    return changed(as_resource(plans[request.param].one(DISTRIBUTION)), https_only_where_posted)


def region_of(resource: Resource) -> str:
    """A prod resource's region: its `region` input, else the stack's (the first of prod's regions)."""
    return resource.props.get("region", PROD_REGIONS[0])


def in_region(plans, region: str, kind: str) -> Resource:
    """Prod's one resource of `kind` in `region` (its stage, its method settings…)."""
    return as_resource(RegionalPart(plans["prod"], region).plan.one(kind))


def guard_in(plans, region: str) -> Resource:
    (guard,) = [r for r in RegionalPart(plans["prod"], region).plan.of_type(WEB_ACL)
                if r.inputs["scope"] == "REGIONAL"]
    return as_resource(guard)


@pytest.mark.parametrize("rule", [r for r in POLICIES if r.scan], ids=lambda r: r.name)
def test_every_resource_rule_passes_on_every_planned_environment(rule, plans):
    for plan in plans.values():
        if rule is cloudfront_waf_attached.RULE and not plan.config.waf.enabled:
            continue  # dev runs without WAF on purpose: the advisory warning is expected there
        for planned in plan.resources:
            assert rule.findings(as_resource(planned), {}) == [], (plan.environment, planned.name)


@pytest.mark.parametrize("rule", [r for r in POLICIES if r.scan_stack], ids=lambda r: r.name)
def test_every_stack_rule_passes_on_every_planned_environment(rule, plans):
    for plan in plans.values():
        assert rule.stack_findings([as_resource(r) for r in plan.resources]) == [], plan.environment


# --- https redirect ---------------------------------------------------------------------------------------------

def test_the_target_edge_shape_passes(distribution):
    assert messages(cloudfront_https_redirect.RULE, distribution) == []


def test_allow_all_on_a_behaviour_is_found(distribution):
    broken = changed(distribution, lambda p: p["orderedCacheBehaviors"][1].update(viewerProtocolPolicy="allow-all"))
    assert messages(cloudfront_https_redirect.RULE, broken) == [
        'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): orderedCacheBehaviors[1] (/models)'
        '.viewerProtocolPolicy is "allow-all"; allowed: "redirect-to-https"']


def test_a_redirect_on_a_behaviour_that_accepts_post_is_found(distribution):
    redirected = changed(distribution, lambda p: p["orderedCacheBehaviors"][2].update(
        viewerProtocolPolicy="redirect-to-https"))
    assert messages(cloudfront_https_redirect.RULE, redirected) == [
        'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): orderedCacheBehaviors[2] (/models/*/predict)'
        '.viewerProtocolPolicy is "redirect-to-https" with allowedMethods including POST, PUT, PATCH, DELETE; '
        'allowed: "https-only" (a 301 redirect turns a POST into a GET)']


def test_a_redirect_is_refused_for_any_writing_method_even_if_configured(distribution):
    def put_only(p):
        p["defaultCacheBehavior"].update(viewerProtocolPolicy="redirect-to-https",
                                         allowedMethods=["GET", "HEAD", "OPTIONS", "PUT"])
    (message,) = messages(cloudfront_https_redirect.RULE, changed(distribution, put_only),
                          {"allowedViewerProtocolPolicies": ["redirect-to-https", "https-only"]})
    assert message.endswith('defaultCacheBehavior.viewerProtocolPolicy is "redirect-to-https" with allowedMethods '
                            'including PUT; allowed: "https-only" (a 301 redirect turns a POST into a GET)')


def test_https_only_on_a_read_only_behaviour_passes_when_the_config_allows_it(distribution):
    strict = changed(distribution, lambda p: p["orderedCacheBehaviors"][0].update(viewerProtocolPolicy="https-only"))
    assert messages(cloudfront_https_redirect.RULE, strict) == [
        'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): orderedCacheBehaviors[0] (/health)'
        '.viewerProtocolPolicy is "https-only"; allowed: "redirect-to-https"']
    assert not messages(cloudfront_https_redirect.RULE, strict, {"allowedViewerProtocolPolicies": ["redirect-to-https",
                                                                                        "https-only"]})


def test_allow_all_stays_refused_even_if_configured(distribution):
    broken = changed(distribution, lambda p: p["orderedCacheBehaviors"][0].update(viewerProtocolPolicy="allow-all"))
    config = {"allowedViewerProtocolPolicies": ["redirect-to-https", "allow-all"]}
    (message,) = messages(cloudfront_https_redirect.RULE, broken, config)
    assert 'orderedCacheBehaviors[0] (/health).viewerProtocolPolicy is "allow-all"; allowed: "redirect-to-https"' \
        in message
    posted = changed(distribution, lambda p: p["defaultCacheBehavior"].update(viewerProtocolPolicy="allow-all"))
    (message,) = messages(cloudfront_https_redirect.RULE, posted, config)
    assert 'defaultCacheBehavior.viewerProtocolPolicy is "allow-all" with allowedMethods including POST' in message


# --- https to the origin ------------------------------------------------------------------------------------------

def test_an_origin_reached_over_http_is_found(distribution):
    broken = changed(distribution, lambda p: p["origins"][0]["customOriginConfig"].update(
        originProtocolPolicy="match-viewer", originSslProtocols=["TLSv1.1", "TLSv1.2"]))
    assert messages(cloudfront_origin_https.RULE, broken) == [
        'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): origins[0] (api).customOriginConfig'
        '.originProtocolPolicy is "match-viewer"; allowed: "https-only"',
        'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): origins[0] (api).customOriginConfig'
        '.originSslProtocols is ["TLSv1.1", "TLSv1.2"]; allowed: only "TLSv1.2"']


def test_s3_origins_are_not_custom_origins(distribution):
    s3 = changed(distribution, lambda p: p["origins"].append(
        {"originId": "assets", "domainName": "b.s3.amazonaws.com", "s3OriginConfig": {}}))
    assert not messages(cloudfront_origin_https.RULE, s3)


# --- TTL limits ---------------------------------------------------------------------------------------------------

def test_a_cache_policy_above_the_environment_maximum_is_found(plans):
    policy = as_resource(plans["prod"].of_type(CACHE_POLICY)[0])
    long = changed(policy, lambda p: p.update(maxTtl=86400))
    assert messages(cloudfront_ttl_limits.RULE, long, {"maxTtl": 3600}) == [
        f"{policy.name} (aws:cloudfront/cachePolicy:CachePolicy): maxTtl is 86400; allowed: at most 3600 seconds "
        "in this environment"]


def test_inverted_ttls_are_found(plans):
    policy = as_resource(plans["dev"].of_type(CACHE_POLICY)[0])
    inverted = changed(policy, lambda p: p.update(minTtl=30, defaultTtl=20, maxTtl=10))
    assert messages(cloudfront_ttl_limits.RULE, inverted)[-1].endswith(
        "minTtl/defaultTtl/maxTtl is 30/20/10; allowed: minTtl ≤ defaultTtl ≤ maxTtl")


def test_a_cached_inference_path_is_found(distribution):
    catalog_policy = distribution.props["orderedCacheBehaviors"][1]["cachePolicyId"]
    cached = changed(distribution, lambda p: p["orderedCacheBehaviors"][2].update(cachePolicyId=catalog_policy))
    (message,) = messages(cloudfront_ttl_limits.RULE, cached)
    assert "orderedCacheBehaviors[2] (/models/*/predict).cachePolicyId (serves /models/*/predict)" in message
    assert f'is "{catalog_policy}"' in message and CACHING_DISABLED in message


def test_without_an_inference_behaviour_the_default_must_not_cache(distribution):
    def drop_inference_and_cache_default(p):
        p["orderedCacheBehaviors"].pop(2)
        p["defaultCacheBehavior"]["cachePolicyId"] = "custom-policy-id"
    (message,) = messages(cloudfront_ttl_limits.RULE, changed(distribution, drop_inference_and_cache_default))
    assert "defaultCacheBehavior.cachePolicyId (serves /models/*/predict)" in message


def test_legacy_behaviour_ttls_are_limited_too(distribution):
    legacy = changed(distribution, lambda p: p["orderedCacheBehaviors"][0].update(minTtl=0, defaultTtl=60,
                                                                                   maxTtl=7200))
    assert messages(cloudfront_ttl_limits.RULE, legacy, {"maxTtl": 3600}) == [
        "ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): orderedCacheBehaviors[0] (/health).maxTtl "
        "is 7200; allowed: at most 3600 seconds in this environment"]


# --- origin secret header -----------------------------------------------------------------------------------------

def test_an_api_origin_without_the_secret_header_is_found(plans):
    # an execute-api origin is an API by its host; the latency-routed name of several regions is one only in view
    # of the stack's custom domain names: origin-secret-accepted finds it bare (tests/test_regional_guardrails.py)
    api_edge = changed(as_resource(plans["staging"].one(DISTRIBUTION)), https_only_where_posted)
    bare = changed(api_edge, lambda p: p["origins"][0].update(customHeaders=[]))
    assert messages(origin_secret_header.RULE, bare) == [
        f"{api_edge.name} (aws:cloudfront/distribution:Distribution): origins[0] (api).customHeaders is [] "
        "(no X-Origin-Verify); allowed: a X-Origin-Verify header carrying the origin secret"]


def test_a_short_secret_is_found_without_showing_it(api_edge):
    short = changed(api_edge, lambda p: p["origins"][0]["customHeaders"][0].update(value="Zq81kLm0Pw2x"))
    (message,) = messages(origin_secret_header.RULE, short)
    assert message.endswith("customHeaders[X-Origin-Verify].value is a secret of 12 characters; allowed: at least "
                            "32 characters")
    assert "Zq81kLm0Pw2x" not in message


def test_the_environment_can_require_a_longer_secret(api_edge):
    assert not messages(origin_secret_header.RULE, api_edge, {"minLength": 48})
    assert messages(origin_secret_header.RULE, api_edge, {"minLength": 64})


@pytest.mark.parametrize("placeholder", ["changeme-changeme-changeme-changeme-0042",
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                         "REPLACE_WITH_THE_REAL_ORIGIN_VALUE_12345"])
def test_a_placeholder_secret_is_found_without_showing_it(api_edge, placeholder):
    weak = changed(api_edge, lambda p: p["origins"][0]["customHeaders"][0].update(value=placeholder))
    (message,) = messages(origin_secret_header.RULE, weak)
    assert "looks like a placeholder" in message and placeholder not in message


def test_an_unknown_secret_is_checked_later_but_an_unknown_host_counts_as_an_api(api_edge):
    unknown_value = changed(api_edge, lambda p: p["origins"][0]["customHeaders"][0].update(value=UNKNOWN))
    assert not messages(origin_secret_header.RULE, unknown_value)
    unknown_host = changed(api_edge, lambda p: p["origins"][0].update(domainName=UNKNOWN, customHeaders=[]))
    assert messages(origin_secret_header.RULE, unknown_host)


def test_other_origins_need_no_secret(distribution):
    other = changed(distribution, lambda p: p["origins"].append(
        {"originId": "docs", "domainName": "docs.example.com", "customOriginConfig": {}}))
    assert not messages(origin_secret_header.RULE, other)


# --- the API answers only the edge --------------------------------------------------------------------------------

def stack_messages(resources: list[Resource]) -> list[str]:
    return [f.message(f.resource) for f in api_requires_origin_secret.RULE.stack_findings(resources)]


def replaced(resources: list[Resource], kind: str, change, region: str | None = None) -> list[Resource]:
    """`change` made to every REGIONAL resource of `kind`, or only to the one in `region`."""
    return [changed(r, change) if r.type == kind and r.props.get("scope", "REGIONAL") == "REGIONAL"
            and region in (None, region_of(r)) else r for r in resources]


def without(resources: list[Resource], kind: str, region: str) -> list[Resource]:
    return [r for r in resources if not (r.type == kind and region_of(r) == region)]


GUARD_ALLOWED = ("allowed: a REGIONAL WAF web ACL on the stage that blocks by default and allows only requests whose "
                 "X-Origin-Verify header exactly matches the secret (rules: allow on that match, or block; no rule "
                 "groups, override actions, count, captcha or challenge)")


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_a_stage_without_its_guard_is_found(stack, plans, region):
    unguarded = without(stack, WEB_ACL_ASSOCIATION, region)
    assert stack_messages(unguarded) == [
        f"{in_region(plans, region, STAGE).name} (aws:apigateway/stage:Stage): stage v1 is reachable without the "
        f"origin secret (no WAF web ACL associated); {GUARD_ALLOWED}"]


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_a_guard_that_allows_by_default_is_found(stack, plans, region):
    lax = replaced(stack, WEB_ACL, lambda p: p.update(defaultAction={"allow": {}}), region)
    assert stack_messages(lax) == [
        f"{in_region(plans, region, STAGE).name} (aws:apigateway/stage:Stage): stage v1 is guarded by web ACL "
        f"{guard_in(plans, region).name}, which does not block by default; {GUARD_ALLOWED}"]


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_a_guard_with_a_second_allow_rule_is_found(stack, plans, region):
    def open_door(p):
        p["rules"].append({"name": "office", "priority": 1, "action": {"allow": {}},
                           "statement": {"ipSetReferenceStatement": {"arn": "arn:aws:wafv2:…"}}})
    (message,) = stack_messages(replaced(stack, WEB_ACL, open_door, region))
    assert message.startswith(f"{in_region(plans, region, STAGE).name} (aws:apigateway/stage:Stage): stage v1 is "
                              f"guarded by web ACL {guard_in(plans, region).name}, ")
    assert 'which has rule "office" that allows requests without an exact match of a X-Origin-Verify secret of at ' \
           'least 32 characters;' in message


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_a_guard_comparing_a_short_value_is_found_without_showing_it(stack, plans, region):
    def short(p):
        p["rules"][0]["statement"]["byteMatchStatement"]["searchString"] = "short-secret"
    (message,) = stack_messages(replaced(stack, WEB_ACL, short, region))
    assert message.startswith(f"{in_region(plans, region, STAGE).name} (aws:apigateway/stage:Stage): ")
    assert "short-secret" not in message


def test_two_accepted_values_during_a_rotation_pass(stack):
    def rotating(p):
        match = p["rules"][0]["statement"]
        second = copy.deepcopy(match)
        second["byteMatchStatement"]["searchString"] = "n" * 20 + "e" * 28
        p["rules"][0]["statement"] = {"orStatement": {"statements": [match, second]}}
    assert stack_messages(replaced(stack, WEB_ACL, rotating)) == []


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_methods_that_require_the_header_are_no_guard(stack, plans, region):
    """API Gateway checks that a required header is present, not its value: any value would pass."""
    def require_header(p):
        document = json.loads(p["body"])
        for item in document["paths"].values():
            item["parameters"] = [{"in": "header", "name": "X-Origin-Verify", "required": True}]
        p["body"] = json.dumps(document)
    unguarded = without(stack, WEB_ACL_ASSOCIATION, region)
    (message,) = stack_messages(replaced(unguarded, REST_API, require_header, region))
    assert message.startswith(f"{in_region(plans, region, STAGE).name} (aws:apigateway/stage:Stage): ")
    assert "stage v1 is reachable without the origin secret (no WAF web ACL associated)" in message


@pytest.mark.parametrize(("rule", "found"), [
    ({"name": "aws-common", "priority": 1, "overrideAction": {"none": {}},
      "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet"}}},
     'has rule "aws-common" using a rule group (managedRuleGroupStatement), whose actions this plan cannot see, '
     'has rule "aws-common" with an overrideAction'),
    ({"name": "ours", "priority": 1, "action": {"block": {}},
      "statement": {"ruleGroupReferenceStatement": {"arn": "arn:aws:wafv2:…:regional/rulegroup/ours/1"}}},
     'has rule "ours" using a rule group (ruleGroupReferenceStatement), whose actions this plan cannot see'),
    ({"name": "watch", "priority": 1, "action": {"count": {}}, "statement": {"ipSetReferenceStatement": {"arn": "x"}}},
     'has rule "watch" with action count'),
    ({"name": "humans", "priority": 1, "action": {"captcha": {}},
      "statement": {"ipSetReferenceStatement": {"arn": "x"}}},
     'has rule "humans" with action captcha'),
], ids=["managed-rule-group", "rule-group-reference", "count", "captcha"])
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_a_guard_rule_whose_effect_the_plan_cannot_see_fails_closed(stack, plans, region, rule, found):
    guarded = replaced(stack, WEB_ACL, lambda p: p["rules"].append(rule), region)
    assert stack_messages(guarded) == [
        f"{in_region(plans, region, STAGE).name} (aws:apigateway/stage:Stage): stage v1 is guarded by web ACL "
        f"{guard_in(plans, region).name}, which {found}; {GUARD_ALLOWED}"]


def test_a_guard_rule_that_blocks_passes(stack):
    def block_bad_inputs(p):
        p["rules"].append({"name": "too-big", "priority": 1, "action": {"block": {}},
                           "statement": {"sizeConstraintStatement": {"comparisonOperator": "GT", "size": 65536}}})
    assert stack_messages(replaced(stack, WEB_ACL, block_bad_inputs)) == []


# --- regional endpoint --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("endpoint", "found"), [
    ({"types": "EDGE"}, '"EDGE"'),
    ({}, 'not set (API Gateway uses "EDGE")'),
    ({"types": "PRIVATE"}, '"PRIVATE"'),
])
def test_a_non_regional_api_is_found(plans, endpoint, found):
    api = as_resource(plans["dev"].one(REST_API))
    (message,) = messages(apigateway_regional_endpoint.RULE,
                          changed(api, lambda p: p.update(endpointConfiguration=endpoint)))
    assert message == f'{api.name} (aws:apigateway/restApi:RestApi): endpointConfiguration.types is {found}; ' \
                      f'allowed: "REGIONAL"'


def test_the_list_form_of_older_providers_is_understood(plans):
    api = as_resource(plans["dev"].one(REST_API))
    assert not messages(apigateway_regional_endpoint.RULE, changed(api, lambda p: p.update(
        endpointConfiguration={"types": ["REGIONAL"]})))


# --- advisory rules -----------------------------------------------------------------------------------------------

def test_a_distribution_without_waf_is_found(plans):
    assert messages(cloudfront_waf_attached.RULE, as_resource(plans["dev"].one(DISTRIBUTION))) == [
        "ml-edge-dev-edge (aws:cloudfront/distribution:Distribution): webAclId is not set; allowed: a WAF web ACL "
        "(ml-edge:waf.enabled: true)"]


def test_an_old_viewer_tls_policy_is_found_only_with_a_custom_certificate(distribution, plans):
    old = changed(distribution, lambda p: p["viewerCertificate"].update(minimumProtocolVersion="TLSv1.2_2019"))
    (message,) = messages(cloudfront_viewer_tls.RULE, old)
    assert 'minimumProtocolVersion is "TLSv1.2_2019"; allowed: TLSv1.2_2021, TLSv1.2_2025, TLSv1.3_2025' in message
    assert not messages(cloudfront_viewer_tls.RULE, as_resource(plans["dev"].one(DISTRIBUTION)))


def test_a_behaviour_without_security_headers_is_found(distribution):
    bare = changed(distribution, lambda p: p["defaultCacheBehavior"].pop("responseHeadersPolicyId"))
    (message,) = messages(cloudfront_security_headers.RULE, bare)
    assert "defaultCacheBehavior.responseHeadersPolicyId is not set" in message


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_a_stage_without_logs_or_tracing_is_found(plans, region):
    stage = in_region(plans, region, STAGE)
    dark = changed(stage, lambda p: (p.pop("accessLogSettings"), p.update(xrayTracingEnabled=False)))
    assert [m.split(": ", 1)[1] for m in messages(apigateway_stage_observability.RULE, dark)] == [
        "accessLogSettings.destinationArn is not set; allowed: a CloudWatch log group ARN",
        "xrayTracingEnabled is False; allowed: true"]
    assert len(messages(apigateway_stage_observability.RULE, dark, {"requireTracing": False})) == 1


def test_legacy_forwarded_values_are_found(distribution):
    legacy = changed(distribution, lambda p: p["defaultCacheBehavior"].update(
        forwardedValues={"queryString": False, "cookies": {"forward": "none"}, "headers": ["Host"]}))
    (message,) = messages(cloudfront_no_legacy_forwarding.RULE, legacy)
    assert "defaultCacheBehavior.forwardedValues is set" in message


# --- secrets never leave a message ----------------------------------------------------------------------------------

def test_a_message_that_would_quote_a_secret_is_redacted(distribution):
    secret = secret_of(distribution)
    assert redact(f"header value {secret} is bad", distribution) == "header value [secret] is bad"


def test_every_rule_has_a_name_description_remediation_and_config_defaults():
    names = [rule.name for rule in POLICIES]
    assert len(names) == len(set(names)) == 31
    for rule in POLICIES:
        assert rule.name == rule.name.lower() and " " not in rule.name and "_" not in rule.name
        assert rule.description and rule.remediation
        assert all("default" in schema and "type" in schema for schema in rule.config.values()), rule.name


# --- a second crafted violation for each rule, and unrelated resources ---------------------------------------------

def test_an_origin_offering_an_old_tls_version_is_found(distribution):
    old = changed(distribution, lambda p: p["origins"][0]["customOriginConfig"].update(
        originSslProtocols=["TLSv1", "TLSv1.2"]))
    (message,) = messages(cloudfront_origin_https.RULE, old)
    assert 'originSslProtocols is ["TLSv1", "TLSv1.2"]; allowed: only "TLSv1.2"' in message


def test_a_one_year_ttl_is_found(plans):
    policy = as_resource(plans["dev"].of_type(CACHE_POLICY)[0])
    year = changed(policy, lambda p: p.update(defaultTtl=31536000, maxTtl=31536000))
    (message,) = messages(cloudfront_ttl_limits.RULE, year, {"maxTtl": 600})
    assert message.endswith("maxTtl is 31536000; allowed: at most 600 seconds in this environment")


def test_your_api_key_as_the_header_value_is_found_without_showing_it(api_edge):
    weak = changed(api_edge, lambda p: p["origins"][0]["customHeaders"][0].update(value="your-api-key"))
    (message,) = messages(origin_secret_header.RULE, weak)
    assert "a secret of 12 characters" in message and "your-api-key" not in message


def test_an_empty_web_acl_id_is_found(distribution):
    assert messages(cloudfront_waf_attached.RULE, changed(distribution, lambda p: p.update(webAclId="")))


def test_tls_v1_at_the_viewer_is_found(distribution):
    old = changed(distribution, lambda p: p["viewerCertificate"].update(minimumProtocolVersion="TLSv1"))
    assert 'minimumProtocolVersion is "TLSv1"' in messages(cloudfront_viewer_tls.RULE, old)[0]


def test_an_ordered_behaviour_without_security_headers_is_found(distribution):
    bare = changed(distribution, lambda p: p["orderedCacheBehaviors"][2].update(responseHeadersPolicyId=""))
    (message,) = messages(cloudfront_security_headers.RULE, bare)
    assert "orderedCacheBehaviors[2] (/models/*/predict).responseHeadersPolicyId is not set" in message


def test_a_stage_without_access_logs_is_found(plans):
    stage = as_resource(plans["dev"].one(STAGE))
    (message,) = messages(apigateway_stage_observability.RULE, changed(stage, lambda p: p.update(accessLogSettings={})))
    assert "accessLogSettings.destinationArn is not set" in message


def test_legacy_forwarding_on_an_ordered_behaviour_is_found(distribution):
    legacy = changed(distribution, lambda p: p["orderedCacheBehaviors"][0].update(
        forwardedValues={"queryString": True, "cookies": {"forward": "all"}}))
    assert "orderedCacheBehaviors[0] (/health).forwardedValues is set" in messages(cloudfront_no_legacy_forwarding.RULE,
                                                                                    legacy)[0]


LOOKS_BAD_EVERYWHERE = {
    "viewerProtocolPolicy": "allow-all", "defaultCacheBehavior": {"viewerProtocolPolicy": "allow-all"},
    "origins": [{"originId": "x", "domainName": "a.execute-api.eu-west-1.amazonaws.com",
                 "customOriginConfig": {"originProtocolPolicy": "http-only"}, "customHeaders": []}],
    "maxTtl": 99999999, "endpointConfiguration": {"types": "EDGE"}, "viewerCertificate": {"acmCertificateArn": "x"},
}


@pytest.mark.parametrize("rule", POLICIES, ids=lambda r: r.name)
def test_rules_do_not_apply_to_unrelated_resources(rule):
    bucket = Resource("aws:s3/bucket:Bucket", "assets", "urn:pulumi:dev::ml-edge::aws:s3/bucket:Bucket::assets",
                      copy.deepcopy(LOOKS_BAD_EVERYWHERE))
    assert rule.findings(bucket) == []
    assert rule.stack_findings([bucket]) == []


# --- crafted resources in issue 9's target shape (SPEC.md), independent of the program -----------------------------

REGION, ACCOUNT, API_ID = "eu-west-1", "123456789012", "a1b2c3d4e5"
EXECUTION_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}"
AUTHORIZER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ml-edge-dev-api-authorizer-7f3k2q1"
AUTHORIZER_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{AUTHORIZER_ARN}/invocations"
SENTIMENT = "/models/sentiment/predict"
HTTP_INTEGRATION = {
    "type": "http", "httpMethod": "POST", "uri": "https://kserve.example.com/v1/models/sentiment:predict",
    "connectionType": "INTERNET", "passthroughBehavior": "never", "timeoutInMillis": 8000,
    "requestParameters": {"integration.request.header.Content-Type": "'application/json'",
                          "integration.request.header.Accept": "'application/json'",
                          "integration.request.header.X-ML-Edge-Consumer": "context.authorizer.consumer"},
    "requestTemplates": {"application/json": "$input.body"},
    "responses": {"default": {"statusCode": "200"}},
}


def target_openapi() -> dict:
    predict = {"security": [{"api_key": [], "consumer": []}]}
    return {
        "openapi": "3.0.1",
        "x-amazon-apigateway-api-key-source": "AUTHORIZER",
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "consumer": {"type": "apiKey", "name": "x-api-key", "in": "header",
                         "x-amazon-apigateway-authtype": "custom",
                         "x-amazon-apigateway-authorizer": {
                             "type": "request", "identitySource": "method.request.header.x-api-key",
                             "authorizerUri": AUTHORIZER_URI, "authorizerResultTtlInSeconds": 300}},
        }},
        "paths": {
            "/health": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
            "/models/iris/predict": {"post": {**predict, "x-amazon-apigateway-integration": {
                "type": "aws_proxy", "httpMethod": "POST", "uri": "arn:aws:apigateway:…/invocations"}}},
            SENTIMENT: {"post": {**copy.deepcopy(predict),
                                 "x-amazon-apigateway-integration": copy.deepcopy(HTTP_INTEGRATION)}},
        },
    }


def crafted(kind: str, name: str, props: dict, **dependencies: list[str]) -> Resource:
    return Resource(kind, name, f"urn:pulumi:dev::ml-edge::ml-edge:index:ModelApi${kind}::{name}", props, dependencies)


def rest_api(document: dict | None = None) -> Resource:
    return crafted(REST_API, "ml-edge-dev-api",
                   {"body": json.dumps(document or target_openapi()), "endpointConfiguration": {"types": "REGIONAL"}})


def with_openapi(api: Resource, change) -> Resource:
    document = json.loads(api.props["body"])
    change(document)
    return changed(api, lambda p: p.update(body=json.dumps(document)))


def stage_of(api: Resource, **props) -> Resource:
    return crafted(STAGE, "ml-edge-dev-api-stage",
                   {"restApi": API_ID, "stageName": "v1", "clientCertificateId": "q1w2e3", **props},
                   restApi=[api.urn])


def permission(name: str, source_arn, principal="apigateway.amazonaws.com", sources: list[str] | None = None):
    return crafted(LAMBDA_PERMISSION, name,
                   {"action": "lambda:InvokeFunction", "function": name, "principal": principal,
                    "sourceArn": source_arn}, sourceArn=sources if sources is not None else [rest_api().urn])


def target_api_stack(api: Resource | None = None) -> list[Resource]:
    api = api or rest_api()
    return [api, stage_of(api),
            permission("ml-edge-dev-api-iris-invoke", f"{EXECUTION_ARN}/*/POST/models/iris/predict"),
            permission("ml-edge-dev-api-authorizer-invoke", f"{EXECUTION_ARN}/authorizers/*")]


def stack_messages_of(rule, resources: list[Resource], config=None) -> list[str]:
    return [f.message(f.resource) for f in rule.stack_findings(resources, config)]


# --- consumer keys and the consumer authorizer ---------------------------------------------------------------------

KEY_AND_AUTHORIZER = ('allowed: exactly one requirement naming both an API-key scheme (x-api-key header) and the '
                      'consumer REQUEST authorizer, e.g. [{"api_key": [], "consumer": []}] (alternatives would each '
                      'open the route; every inference call needs a consumer key the authorizer allows for this '
                      'model)')


def test_a_predict_route_with_key_and_authorizer_passes():
    assert messages(apigateway_predict_requires_key.RULE, rest_api()) == []


def test_a_predict_route_without_a_key_requirement_is_found():
    api = with_openapi(rest_api(), lambda d: d["paths"][SENTIMENT]["post"].pop("security"))
    assert messages(apigateway_predict_requires_key.RULE, api) == [
        f"ml-edge-dev-api (aws:apigateway/restApi:RestApi): body.paths[{SENTIMENT}].post.security is not set; "
        f"{KEY_AND_AUTHORIZER}"]


def test_a_key_without_the_authorizer_is_found():
    """A usage-plan key alone lets every consumer call every model (throttles restrict nothing)."""
    api = with_openapi(rest_api(), lambda d: d["paths"][SENTIMENT]["post"].update(security=[{"api_key": []}]))
    assert messages(apigateway_predict_requires_key.RULE, api) == [
        f'ml-edge-dev-api (aws:apigateway/restApi:RestApi): body.paths[{SENTIMENT}].post.security is '
        f'[{{"api_key": []}}]; {KEY_AND_AUTHORIZER}']


def test_key_and_authorizer_as_alternatives_are_found():
    alternatives = [{"api_key": []}, {"consumer": []}]
    api = with_openapi(rest_api(), lambda d: d["paths"][SENTIMENT]["post"].update(security=alternatives))
    (message,) = messages(apigateway_predict_requires_key.RULE, api)
    assert f'post.security is [{{"api_key": []}}, {{"consumer": []}}]; {KEY_AND_AUTHORIZER}' in message


def test_a_weaker_second_alternative_is_found():
    weaker = [{"api_key": [], "consumer": []}, {"api_key": []}]
    api = with_openapi(rest_api(), lambda d: d["paths"][SENTIMENT]["post"].update(security=weaker))
    (message,) = messages(apigateway_predict_requires_key.RULE, api)
    assert f'post.security is [{{"api_key": [], "consumer": []}}, {{"api_key": []}}]; {KEY_AND_AUTHORIZER}' in message


def test_an_authorizer_scheme_as_the_key_scheme_does_not_count():
    """The key requirement must be the plain API-key scheme (no authtype): it is what makes API Gateway check
    the key against usage plans."""
    api = with_openapi(rest_api(), lambda d: d["paths"][SENTIMENT]["post"].update(security=[{"consumer": []}]))
    (message,) = messages(apigateway_predict_requires_key.RULE, api)
    assert 'post.security is [{"consumer": []}]' in message


def test_keys_read_from_the_header_are_found():
    """With HEADER, API Gateway ignores the authorizer's usageIdentifierKey: usage plans would meter a key the
    authorizer did not vouch for."""
    api = with_openapi(rest_api(), lambda d: d.pop("x-amazon-apigateway-api-key-source"))
    assert messages(apigateway_predict_requires_key.RULE, api) == [
        'ml-edge-dev-api (aws:apigateway/restApi:RestApi): body.x-amazon-apigateway-api-key-source is "HEADER"; '
        'allowed: "AUTHORIZER" (the consumer authorizer returns the key as usageIdentifierKey, so usage plans still '
        'meter it)']


def test_an_authorizer_that_is_not_the_consumer_request_authorizer_is_found():
    def token_authorizer(d):
        d["components"]["securitySchemes"]["consumer"]["x-amazon-apigateway-authorizer"].update(
            type="token", identitySource="method.request.header.Authorization",
            authorizerUri="https://auth.example.com/check")
    scheme = "ml-edge-dev-api (aws:apigateway/restApi:RestApi): body.components.securitySchemes[consumer]" \
             ".x-amazon-apigateway-authorizer"
    assert messages(apigateway_predict_requires_key.RULE, with_openapi(rest_api(), token_authorizer)) == [
        f'{scheme}.type is "token"; allowed: "request" (a TOKEN authorizer would not see which model is called)',
        f'{scheme}.identitySource is "method.request.header.Authorization"; allowed: one containing '
        f'"method.request.header.x-api-key"',
        f'{scheme}.authorizerUri is "https://auth.example.com/check"; allowed: a Lambda invocation ARN: '
        f'arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<authorizer function ARN>/invocations']


def test_an_authorizer_reading_the_key_among_other_sources_passes():
    def two_sources(d):
        d["components"]["securitySchemes"]["consumer"]["x-amazon-apigateway-authorizer"].update(
            identitySource="method.request.header.X-API-Key, context.httpMethod")
    assert messages(apigateway_predict_requires_key.RULE, with_openapi(rest_api(), two_sources)) == []


def test_an_api_without_a_known_body_is_checked_at_deploy():
    assert messages(apigateway_predict_requires_key.RULE, changed(rest_api(), lambda p: p.update(body=UNKNOWN))) == []
    assert messages(apigateway_predict_requires_key.RULE, changed(rest_api(), lambda p: p.update(body="{"))) == [
        "ml-edge-dev-api (aws:apigateway/restApi:RestApi): body is not valid JSON; allowed: an OpenAPI document"]


# --- usage plans ---------------------------------------------------------------------------------------------------

def usage_plan(*throttles: dict) -> Resource:
    return crafted(USAGE_PLAN, "ml-edge-dev-consumers-free",
                   {"name": "ml-edge-dev-free", "throttleSettings": {"rateLimit": 2, "burstLimit": 5},
                    "apiStages": [{"apiId": API_ID, "stage": "v1", "throttles": list(throttles)}]})


def test_a_usage_plan_without_throttling_is_found():
    (message,) = messages(apigateway_usage_plan_throttled.RULE,
                          changed(usage_plan(), lambda p: p.pop("throttleSettings")))
    assert "throttleSettings is rateLimit not set, burstLimit not set" in message


def test_a_usage_plan_above_the_ceiling_is_found():
    fast = changed(usage_plan(), lambda p: p["throttleSettings"].update(rateLimit=5000))
    assert messages(apigateway_usage_plan_throttled.RULE, fast)[0].endswith(
        "throttleSettings.rateLimit is 5000; allowed: at most 1000 req/s")
    assert not messages(apigateway_usage_plan_throttled.RULE, fast, {"maxRateLimit": 10000})


def test_a_positive_method_throttle_passes():
    plan = usage_plan({"path": "/models/iris/predict/POST", "rateLimit": 1, "burstLimit": 2})
    assert messages(apigateway_usage_plan_throttled.RULE, plan) == []


ZERO_THROTTLE = ("allowed: no zero throttle: AWS receives it as {} (no limit; the SDK drops zero values, "
                 "aws-cdk#10071) and usage-plan throttles are best-effort, not access control; restrict a consumer's "
                 "models with the consumer authorizer")


def test_a_zero_method_throttle_is_found():
    plan = usage_plan({"path": "/models/iris/predict/POST", "rateLimit": 1, "burstLimit": 2},
                      {"path": "/models/churn/predict/POST", "rateLimit": 0, "burstLimit": 0})
    assert messages(apigateway_usage_plan_throttled.RULE, plan) == [
        "ml-edge-dev-consumers-free (aws:apigateway/usagePlan:UsagePlan): apiStages[0].throttles[1] "
        f"(/models/churn/predict/POST) is rateLimit 0, burstLimit 0; {ZERO_THROTTLE}"]


@pytest.mark.parametrize(("rate", "burst"), [(0, 10), (5, 0)])
def test_a_half_zero_method_throttle_is_found(rate, burst):
    plan = usage_plan({"path": "/models/churn/predict/POST", "rateLimit": rate, "burstLimit": burst})
    (message,) = messages(apigateway_usage_plan_throttled.RULE, plan)
    assert f"apiStages[0].throttles[0] (/models/churn/predict/POST) is rateLimit {rate}, burstLimit {burst};" in message


# --- HTTP model servers never see the key or the secret ------------------------------------------------------------

def headers_messages(resources: list[Resource], config=None) -> list[str]:
    return stack_messages_of(apigateway_backend_headers_stripped.RULE, resources, config)


HEADERS_ALLOWED = ("allowed: an integration that never passes x-api-key or X-Origin-Verify to the model server: type "
                   "http mapping only the headers it needs (an http_proxy integration must override both with a "
                   "static value)")
SENTIMENT_INTEGRATION = (f"ml-edge-dev-api (aws:apigateway/restApi:RestApi): body.paths[{SENTIMENT}].post"
                         ".x-amazon-apigateway-integration")


def with_integration(**changes) -> list[Resource]:
    api = with_openapi(rest_api(), lambda d: d["paths"][SENTIMENT]["post"]["x-amazon-apigateway-integration"]
                       .update(changes))
    return target_api_stack(api)


def test_a_non_proxy_http_integration_with_a_client_certificate_passes():
    assert headers_messages(target_api_stack()) == []


def test_an_http_proxy_integration_is_found():
    assert headers_messages(with_integration(type="HTTP_PROXY", requestParameters={})) == [
        f"{SENTIMENT_INTEGRATION} is type http_proxy (passes every client header) with x-api-key not overridden, "
        f"X-Origin-Verify not overridden; {HEADERS_ALLOWED}"]


def test_an_http_proxy_integration_overriding_both_headers_passes():
    overrides = {"integration.request.header.X-API-Key": "'-'", "integration.request.header.x-origin-verify": "''"}
    assert headers_messages(with_integration(type="http_proxy", requestParameters=overrides)) == []


def test_an_http_proxy_integration_overriding_one_header_is_found_without_showing_the_value():
    overrides = {"integration.request.header.x-api-key": "''",
                 "integration.request.header.X-Origin-Verify": "Zr7Qm2Kx9Vb4Lp6Nt8Wc1Yd3Fh5Jg0Hs"}
    (message,) = headers_messages(with_integration(type="http_proxy", requestParameters=overrides))
    assert "with X-Origin-Verify overridden with a value that is not a quoted literal;" in message
    assert "Zr7Qm2Kx9Vb4Lp6Nt8Wc1Yd3Fh5Jg0Hs" not in message


@pytest.mark.parametrize(("parameters", "found"), [
    ({"integration.request.header.x-key": "method.request.header.X-API-Key"},
     'type http mapping "method.request.header.X-API-Key" to integration.request.header.x-key'),
    ({"integration.request.header.X-Origin-Verify": "method.request.multivalueheader.x-origin-verify"},
     'type http mapping "method.request.multivalueheader.x-origin-verify" to '
     'integration.request.header.X-Origin-Verify'),
    ({"integration.request.header.X-Caller": "context.identity.apiKey"},
     'type http mapping "context.identity.apiKey" (the caller\'s key) to integration.request.header.X-Caller'),
], ids=["key-header", "secret-multivalue-header", "caller-key"])
def test_an_http_integration_mapping_a_protected_header_is_found(parameters, found):
    assert headers_messages(with_integration(requestParameters={**HTTP_INTEGRATION["requestParameters"],
                                                                **parameters})) == [
        f"{SENTIMENT_INTEGRATION} is {found}; {HEADERS_ALLOWED}"]


@pytest.mark.parametrize(("template", "found"), [
    ('{"key": "$input.params(\'x-api-key\')", "body": $input.body}', "reading x-api-key"),
    ('{"origin": "$input.params(\"X-ORIGIN-VERIFY\")"}', "reading X-Origin-Verify"),
    ('#set($all = $input.params())$all.header', "reading $input.params() (every header)"),
    ('{"who": "$context.identity.apiKey"}', "reading $context.identity.apiKey"),
], ids=["key-header", "secret-header", "all-params", "caller-key"])
def test_an_http_integration_template_reading_a_protected_header_is_found(template, found):
    (message,) = headers_messages(with_integration(requestTemplates={"application/json": template}))
    assert message == f"{SENTIMENT_INTEGRATION} is type http with a application/json template {found}; " \
                      f"{HEADERS_ALLOWED}"


def test_the_configured_secret_header_is_the_one_protected():
    stack = with_integration(requestParameters={"integration.request.header.X-Edge": "method.request.header.X-Edge"})
    assert headers_messages(stack) == []
    assert headers_messages(stack, {"headerName": "X-Edge"})


def test_a_stage_without_a_client_certificate_is_found():
    api = rest_api()
    for certificate in (None, ""):
        stack = [api, stage_of(api, clientCertificateId=certificate)]
        assert headers_messages(stack) == [
            f'ml-edge-dev-api-stage (aws:apigateway/stage:Stage): clientCertificateId is {shown(certificate)}; '
            'allowed: a client certificate (aws.apigateway.ClientCertificate): the 1 HTTP model route(s) behind '
            'this stage need it so model servers can authenticate API Gateway (mutual TLS) and refuse direct callers']
    assert headers_messages([api, stage_of(api, clientCertificateId=UNKNOWN)]) == []


def test_without_http_models_no_client_certificate_is_needed():
    api = with_openapi(rest_api(), lambda d: d["paths"].pop(SENTIMENT))
    assert headers_messages([api, stage_of(api, clientCertificateId=None)]) == []


# --- the origin guard keeps no sampled requests --------------------------------------------------------------------

@pytest.fixture(params=PROD_REGIONS)
def origin_guard(request, plans) -> Resource:
    """Each region's prod origin guard as issue 9 shapes it: sampled requests off everywhere (a no-op once the
    program does)."""
    def no_sampling(p):
        for holder in [p, *p["rules"]]:
            holder["visibilityConfig"]["sampledRequestsEnabled"] = False
    return changed(guard_in(plans, request.param), no_sampling)


SAMPLED_ALLOWED = "allowed: false (sampled requests show request headers, i.e. the live origin secret; metrics may " \
                  "stay on)"


def test_an_origin_guard_without_sampled_requests_passes(origin_guard):
    assert origin_guard.props["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    assert messages(origin_guard_no_sampled_requests.RULE, origin_guard) == []


def test_sampled_requests_on_the_origin_guard_are_found(origin_guard):
    sampled = changed(origin_guard, lambda p: p["visibilityConfig"].update(sampledRequestsEnabled=True))
    assert messages(origin_guard_no_sampled_requests.RULE, sampled) == [
        f"{origin_guard.name} (aws:wafv2/webAcl:WebAcl): visibilityConfig.sampledRequestsEnabled is True; "
        f"{SAMPLED_ALLOWED}"]


def test_sampled_requests_on_a_guard_rule_are_found(origin_guard):
    sampled = changed(origin_guard, lambda p: p["rules"][0]["visibilityConfig"].pop("sampledRequestsEnabled"))
    assert messages(origin_guard_no_sampled_requests.RULE, sampled) == [
        f"{origin_guard.name} (aws:wafv2/webAcl:WebAcl): rules[0] (origin-secret-header).visibilityConfig"
        f".sampledRequestsEnabled is not set; {SAMPLED_ALLOWED}"]


def test_web_acls_that_never_see_the_secret_may_sample(plans, origin_guard):
    edge_waf_acl = changed(as_resource(next(r for r in plans["prod"].of_type(WEB_ACL)
                                            if r.inputs["scope"] == "CLOUDFRONT")),
                           lambda p: p["visibilityConfig"].update(sampledRequestsEnabled=True))
    assert messages(origin_guard_no_sampled_requests.RULE, edge_waf_acl) == []
    other_header = changed(origin_guard, lambda p: (
        p["rules"][0]["statement"]["byteMatchStatement"]["fieldToMatch"]["singleHeader"].update(name="x-other"),
        p["visibilityConfig"].update(sampledRequestsEnabled=True)))
    assert messages(origin_guard_no_sampled_requests.RULE, other_header) == []
    assert messages(origin_guard_no_sampled_requests.RULE, other_header, {"headerName": "X-Other"})


# --- no way into the backends but the API --------------------------------------------------------------------------

def bypass_messages(resources: list[Resource]) -> list[str]:
    return stack_messages_of(backends_only_via_api.RULE, resources)


def test_permissions_from_this_apis_execution_arn_pass(stack):
    assert bypass_messages(target_api_stack()) == []
    assert bypass_messages(stack) == []  # the planned model permissions


@pytest.mark.parametrize(("kind", "found"), [
    (LAMBDA_FUNCTION_URL, "a Lambda function URL (a public endpoint next to the edge)"),
    (HTTP_API, "an API Gateway HTTP or WebSocket API (apigatewayv2), a second way in next to the "
                                 "edge"),
])
def test_a_second_way_into_the_backends_is_found(kind, found):
    door = crafted(kind, "side-door", {"authorizationType": "NONE", "protocolType": "HTTP"})
    assert bypass_messages([*target_api_stack(), door]) == [
        f"side-door ({kind}): type is {found}; allowed: no other way into the backends than the REST API behind "
        "CloudFront"]


def test_a_permission_for_another_principal_is_found():
    public = permission("ml-edge-dev-api-iris-public", None, principal="*", sources=[])
    assert bypass_messages([*target_api_stack(), public]) == [
        'ml-edge-dev-api-iris-public (aws:lambda/permission:Permission): principal is "*"; allowed: '
        '"apigateway.amazonaws.com" (only this stack\'s REST API may invoke a function), or "events.amazonaws.com" '
        'from an EventBridge rule of this stack']


def test_a_permission_for_any_api_gateway_api_is_found():
    anywhere = permission("ml-edge-dev-api-iris-any", None, sources=[])
    assert bypass_messages([*target_api_stack(), anywhere]) == [
        "ml-edge-dev-api-iris-any (aws:lambda/permission:Permission): sourceArn is not set; allowed: an ARN built "
        "from the execution ARN of a REST API of this stack (without it any API Gateway API, in any account, may "
        "invoke the function)"]


@pytest.mark.parametrize("source", [
    f"arn:aws:execute-api:{REGION}:{ACCOUNT}:zzzzzzzzzz/*/POST/models/iris/predict",
    f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/*/POST/models/iris/predict",
    f"arn:aws:execute-api:{REGION}:*:{API_ID}/*",
    f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}0/*",
], ids=["other-api", "any-api", "any-account", "longer-id"])
def test_a_permission_for_another_api_is_found(source):
    other = permission("ml-edge-dev-api-iris-other", source)
    assert bypass_messages([*target_api_stack(), other]) == [
        f'ml-edge-dev-api-iris-other (aws:lambda/permission:Permission): sourceArn is "{source}"; allowed: an ARN '
        'under the execution ARN of ml-edge-dev-api (<executionArn>/<stage>/<method>/<path> or '
        '<executionArn>/authorizers/<id>, no wildcard in the API id, region or account)']


def test_a_known_execution_arn_is_compared_exactly():
    api = changed(rest_api(), lambda p: p.update(executionArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}"))
    (message,) = bypass_messages([api, stage_of(api), permission("p", f"{EXECUTION_ARN}/authorizers/*")])
    assert f'sourceArn is "{EXECUTION_ARN}/authorizers/*"' in message


def test_values_unknown_until_deploy_pass_when_they_come_from_the_api():
    api = rest_api()
    assert bypass_messages([api, stage_of(api, restApi=UNKNOWN), permission("p", UNKNOWN)]) == []
    assert bypass_messages([api, permission("p", UNKNOWN, principal=UNKNOWN)]) == []
    (message,) = bypass_messages([api, permission("p", UNKNOWN, sources=["urn:pulumi:dev::ml-edge::other"])])
    assert "sourceArn is (unknown until deploy); allowed: an ARN built from the execution ARN" in message


# --- IAM roles carry the boundary -------------------------------------------------------------------------------

def test_a_role_without_the_boundary_or_outside_the_path_is_found(plans):
    from guardrails import iam_role_bounded
    role = as_resource(next(r for r in plans["prod"].of_type(IAM_ROLE)))
    assert messages(iam_role_bounded.RULE, role) == []
    unbounded = changed(role, lambda p: p.pop("permissionsBoundary"))
    assert messages(iam_role_bounded.RULE, unbounded) == [
        f"{role.name} (aws:iam/role:Role): permissionsBoundary is not set; allowed: the environment's boundary "
        "policy arn:aws:iam::<account>:policy/ml-edge-<env>-boundary"]
    admin = changed(role, lambda p: p.update(permissionsBoundary="arn:aws:iam::aws:policy/AdministratorAccess"))
    assert messages(iam_role_bounded.RULE, admin) == [
        f"{role.name} (aws:iam/role:Role): permissionsBoundary is \"arn:aws:iam::aws:policy/AdministratorAccess\"; "
        "allowed: the environment's boundary policy arn:aws:iam::<account>:policy/ml-edge-<env>-boundary"]


# --- issue 15: parity with Checkov, AWS Config and Pulumi's packs ---------------------------------------------------

LOG_DELIVERY = LOG_DELIVERY


def test_a_distribution_without_access_logs_is_found(stack):
    from guardrails import cloudfront_access_logs
    unlogged = [r for r in stack if r.type != LOG_DELIVERY]
    assert stack_messages_of(cloudfront_access_logs.RULE, unlogged) == [
        "ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): access logs is an ACCESS_LOGS delivery source, "
        "but no delivery to a log group of this stack; allowed: a LogDeliverySource (ACCESS_LOGS, from this "
        "distribution) → LogDelivery → LogDeliveryDestination on a log group of this stack "
        "(program/ml_edge/edge_logs.py)"]
    sourceless = [r for r in stack if r.type != LOG_DELIVERY_SOURCE]
    (message,) = stack_messages_of(cloudfront_access_logs.RULE, sourceless)
    assert "access logs is no ACCESS_LOGS delivery source" in message


def test_access_logs_delivered_outside_the_stack_are_found(stack):
    """A destination whose resource is not a log group of this stack (another account's bucket, a group created by
    hand) escapes the retention guardrail: it does not count."""
    from guardrails import cloudfront_access_logs
    elsewhere = [Resource(r.type, r.name, r.urn, r.props, {**r.property_dependencies,
                                                           "deliveryDestinationConfiguration": []})
                 if r.type == LOG_DELIVERY_DESTINATION else r for r in stack]
    (message,) = stack_messages_of(cloudfront_access_logs.RULE, elsewhere)
    assert message.startswith("ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): access logs is an "
                              "ACCESS_LOGS delivery source, but no delivery to a log group of this stack")


@pytest.mark.parametrize(("change", "found"), [
    (lambda p: p["recordFields"].append("cs(Cookie)"), "recordFields is including cs(Cookie)"),
    (lambda p: p["recordFields"].extend(["cs-uri-query", "cs-headers"]),
     "recordFields is including cs-uri-query, cs-headers"),
    (lambda p: p.pop("recordFields"), "recordFields is not set; allowed: an explicit list of fields"),
    (lambda p: p.update(recordFields=[]), "recordFields is []; allowed: an explicit list of fields"),
], ids=["cookies", "query-and-headers", "no-list", "empty-list"])
def test_access_log_fields_that_could_hold_a_secret_are_found(stack, change, found):
    from guardrails import cloudfront_access_logs
    leaky = [changed(r, change) if r.type == LOG_DELIVERY else r for r in stack]
    (message,) = stack_messages_of(cloudfront_access_logs.RULE, leaky)
    assert message.startswith("ml-edge-prod-edge-access-logs (aws:cloudwatch/logDelivery:LogDelivery): " + found)


@pytest.mark.parametrize(("value", "found"), [
    (None, "reservedConcurrentExecutions is not set (the account's shared pool)"),
    (-1, "reservedConcurrentExecutions is -1"),
    (0, "reservedConcurrentExecutions is 0"),
])
def test_a_function_without_reserved_concurrency_is_found(plans, value, found):
    from guardrails import lambda_reserved_concurrency
    function = as_resource(plans["dev"].of_type(FUNCTION)[0])
    assert messages(lambda_reserved_concurrency.RULE, function) == []
    shared = changed(function, lambda p: p.pop("reservedConcurrentExecutions") if value is None
                     else p.update(reservedConcurrentExecutions=value))
    (message,) = messages(lambda_reserved_concurrency.RULE, shared)
    assert message == (f"{function.name} (aws:lambda/function:Function): {found}; allowed: a positive number of "
                       "concurrent executions (ml-edge:models[i].reservedConcurrency, "
                       "ml-edge:authorizerReservedConcurrency); 0 throttles every call, -1 is the shared pool")


def predict_of(document: dict) -> dict:
    return document["paths"]["/models/iris/predict"]["post"]


@pytest.mark.parametrize(("change", "found"), [
    (lambda d: predict_of(d).pop("x-amazon-apigateway-request-validator"),
     "paths./models/iris/predict.post.x-amazon-apigateway-request-validator is not set; allowed: a validator of "
     "x-amazon-apigateway-request-validators with validateRequestBody: true"),
    (lambda d: d["x-amazon-apigateway-request-validators"]["body"].update(validateRequestBody=False),
     'paths./models/iris/predict.post.x-amazon-apigateway-request-validator is "body"; allowed: a validator of '
     "x-amazon-apigateway-request-validators with validateRequestBody: true"),
    (lambda d: predict_of(d).pop("requestBody"),
     'paths./models/iris/predict.post.requestBody is not a required JSON body with a schema; allowed: '
     '{"required": true, "content": {"application/json": {"schema": ...}}}'),
], ids=["no-validator", "validator-not-for-bodies", "no-body-schema"])
def test_a_body_that_api_gateway_would_not_validate_is_found(plans, change, found):
    from guardrails import apigateway_request_validation
    api = as_resource(plans["dev"].one(REST_API))
    assert messages(apigateway_request_validation.RULE, api) == []
    (message,) = messages(apigateway_request_validation.RULE, with_openapi(api, change))
    assert message == f"ml-edge-dev-api (aws:apigateway/restApi:RestApi): {found}"


def test_a_document_wide_body_validator_counts(plans):
    from guardrails import apigateway_request_validation
    api = as_resource(plans["dev"].one(REST_API))
    moved = with_openapi(api, lambda d: (predict_of(d).pop("x-amazon-apigateway-request-validator"),
                                         d.update({"x-amazon-apigateway-request-validator": "body"})))
    assert messages(apigateway_request_validation.RULE, moved) == []


METHOD_SETTINGS = METHOD_SETTINGS


@pytest.mark.parametrize(("change", "found"), [
    (lambda p: p["settings"].update(dataTraceEnabled=True),
     "settings.dataTraceEnabled is true; allowed: false (a data trace logs whole requests: consumer keys, the origin "
     "secret, bodies)"),
    (lambda p: p["settings"].update(loggingLevel="OFF"), 'settings.loggingLevel is "OFF"; allowed: "ERROR", "INFO"'),
    (lambda p: p["settings"].pop("loggingLevel"), 'settings.loggingLevel is not set; allowed: "ERROR", "INFO"'),
    (lambda p: p["settings"].update(metricsEnabled=False), "settings.metricsEnabled is False; allowed: true"),
], ids=["data-trace", "logging-off", "logging-unset", "no-metrics"])
@pytest.mark.parametrize("region", PROD_REGIONS)
def test_execution_logging_that_traces_data_or_logs_nothing_is_found(stack, plans, region, change, found):
    from guardrails import apigateway_execution_logging
    traced = replaced(stack, METHOD_SETTINGS, change, region)
    assert stack_messages_of(apigateway_execution_logging.RULE, traced) == [
        f"{in_region(plans, region, METHOD_SETTINGS).name} (aws:apigateway/methodSettings:MethodSettings): {found}"]


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_a_stage_without_method_settings_is_found(stack, plans, region):
    from guardrails import apigateway_execution_logging
    bare = without(stack, METHOD_SETTINGS, region)
    assert stack_messages_of(apigateway_execution_logging.RULE, bare) == [
        f'{in_region(plans, region, STAGE).name} (aws:apigateway/stage:Stage): method settings is none for "*/*" '
        '(execution logging off, no metrics); allowed: a MethodSettings on "*/*" of this stage '
        '(program/ml_edge/api.py)']


def edge_acl(plans) -> Resource:
    return as_resource(next(a for a in plans["prod"].of_type(WEB_ACL)
                            if a.inputs["scope"] == "CLOUDFRONT"))


def managed_rule(props: dict, group: str) -> dict:
    return next(r for r in props["rules"]
                if r["statement"].get("managedRuleGroupStatement", {}).get("name") == group)


KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"


@pytest.mark.parametrize(("change", "found"), [
    (lambda p: p.update(rules=[r for r in p["rules"] if "managedRuleGroupStatement" not in r["statement"]
                               or r["statement"]["managedRuleGroupStatement"]["name"] != KNOWN_BAD_INPUTS]),
     "rules is without the AWS managed rule group AWSManagedRulesKnownBadInputsRuleSet; allowed: a rule running "
     "AWSManagedRulesKnownBadInputsRuleSet (ml-edge:waf.enabled adds it)"),
    (lambda p: managed_rule(p, KNOWN_BAD_INPUTS).update(overrideAction={"count": {}}),
     'rules[2] (AWSManagedRulesKnownBadInputsRuleSet).overrideAction is {"count": {}}; allowed: {"none": {}} '
     "(the group's own block actions)"),
    (lambda p: managed_rule(p, KNOWN_BAD_INPUTS)["statement"]["managedRuleGroupStatement"].update(
        ruleActionOverrides=[{"name": "Log4JRCE", "actionToUse": {"count": {}}}]),
     "rules[2] (AWSManagedRulesKnownBadInputsRuleSet).statement.managedRuleGroupStatement.ruleActionOverrides[0] is "
     "Log4JRCE → count; allowed: no rule of the group counted or allowed"),
], ids=["group-missing", "group-counted", "log4j-counted"])
def test_an_edge_web_acl_without_blocking_managed_rules_is_found(plans, change, found):
    from guardrails import cloudfront_waf_managed_rules
    acl = edge_acl(plans)
    (message,) = messages(cloudfront_waf_managed_rules.RULE, changed(acl, change))
    assert message == f"{acl.name} (aws:wafv2/webAcl:WebAcl): {found}"


def test_the_origin_guard_needs_no_managed_rules(plans):
    from guardrails import cloudfront_waf_managed_rules
    guard = as_resource(next(a for a in plans["dev"].of_type(WEB_ACL)))
    assert guard.props["scope"] == "REGIONAL" and messages(cloudfront_waf_managed_rules.RULE, guard) == []


@pytest.mark.parametrize(("change", "config", "found"), [
    (lambda p: p.pop("retentionInDays"), {}, "retentionInDays is not set (kept forever); allowed: a retention of at "
                                             "least 1 day(s) (ml-edge:logRetentionDays)"),
    (lambda p: p.update(retentionInDays=0), {}, "retentionInDays is not set (kept forever)"),
    (lambda p: None, {"minRetentionDays": 90}, "retentionInDays is 7; allowed: a retention of at least 90 day(s)"),
], ids=["never-expires", "zero", "below-the-environment-minimum"])
def test_a_log_group_kept_forever_or_too_briefly_is_found(plans, change, config, found):
    from guardrails import log_group_retention
    group = as_resource(plans["dev"].of_type(LOG_GROUP)[0])
    (message,) = messages(log_group_retention.RULE, changed(group, change), config)
    assert message.startswith(f"{group.name} (aws:cloudwatch/logGroup:LogGroup): {found}")


def test_a_function_without_active_tracing_is_found(plans):
    from guardrails import lambda_tracing
    function = as_resource(plans["dev"].of_type(FUNCTION)[0])
    dark = changed(function, lambda p: p.update(tracingConfig={"mode": "PassThrough"}))
    assert messages(lambda_tracing.RULE, dark) == [
        f'{function.name} (aws:lambda/function:Function): tracingConfig.mode is "PassThrough"; allowed: "Active" '
        "(ml-edge:tracing: true)"]


def test_the_default_certificate_is_refused_where_a_custom_one_is_required(plans, distribution):
    dev = as_resource(plans["dev"].one(DISTRIBUTION))
    assert messages(cloudfront_viewer_tls.RULE, dev) == []
    assert messages(cloudfront_viewer_tls.RULE, dev, {"requireCustomCertificate": True}) == [
        "ml-edge-dev-edge (aws:cloudfront/distribution:Distribution): viewerCertificate is the default "
        "*.cloudfront.net certificate (its policy accepts TLSv1); allowed: an ACM certificate (ml-edge:customDomain) "
        "with a security policy of at least TLSv1.2_2021"]
    assert messages(cloudfront_viewer_tls.RULE, distribution, {"requireCustomCertificate": True}) == []


def test_a_dedicated_ip_certificate_is_found(distribution):
    vip = changed(distribution, lambda p: p["viewerCertificate"].update(sslSupportMethod="vip"))
    (message,) = messages(cloudfront_viewer_tls.RULE, vip)
    assert message.endswith('viewerCertificate.sslSupportMethod is "vip"; allowed: "sni-only"')
