"""Each guardrail rule on plain data shaped like the engine's: passes on the planned environments, and finds
each unsafe change with a message naming the resource, the property, the value and what is allowed."""

import copy
import json

import pytest

from conftest import unwrap_secrets
from guardrails import (
    POLICIES,
    api_requires_secret,
    edge_waf,
    https_redirect,
    no_legacy_forwarding,
    origin_https,
    origin_secret_header,
    predict_requires_key,
    regional_endpoint,
    security_headers,
    stage_observability,
    ttl_limits,
    usage_plan_throttled,
    viewer_tls,
)
from guardrails.aws import CACHING_DISABLED
from guardrails.rule import UNKNOWN, Resource, redact

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def as_resource(planned) -> Resource:
    return Resource(planned.type, planned.name, planned.urn, unwrap_secrets(planned.inputs),
                    dict(planned.property_dependencies))


@pytest.fixture
def distribution(plans) -> Resource:
    return as_resource(plans["prod"].one(DISTRIBUTION))


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


@pytest.mark.parametrize("rule", [r for r in POLICIES if r.scan], ids=lambda r: r.name)
def test_every_resource_rule_passes_on_every_planned_environment(rule, plans):
    for plan in plans.values():
        if rule is edge_waf.RULE and not plan.config.waf.enabled:
            continue  # dev runs without WAF on purpose: the advisory warning is expected there
        for planned in plan.resources:
            assert rule.findings(as_resource(planned), {}) == [], (plan.environment, planned.name)


def test_the_stack_rule_passes_on_every_planned_environment(plans):
    for plan in plans.values():
        assert api_requires_secret.RULE.stack_findings([as_resource(r) for r in plan.resources]) == []


# --- https redirect ---------------------------------------------------------------------------------------------

def test_allow_all_on_a_behaviour_is_found(distribution):
    broken = changed(distribution, lambda p: p["orderedCacheBehaviors"][1].update(viewerProtocolPolicy="allow-all"))
    assert messages(https_redirect.RULE, broken) == [
        'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): orderedCacheBehaviors[1] (/models)'
        '.viewerProtocolPolicy is "allow-all"; allowed: "redirect-to-https"']


def test_https_only_passes_when_the_config_allows_it(distribution):
    strict = changed(distribution, lambda p: p["defaultCacheBehavior"].update(viewerProtocolPolicy="https-only"))
    assert messages(https_redirect.RULE, strict)
    assert not messages(https_redirect.RULE, strict, {"allowedViewerProtocolPolicies": ["redirect-to-https",
                                                                                        "https-only"]})


def test_allow_all_stays_refused_even_if_configured(distribution):
    broken = changed(distribution, lambda p: p["defaultCacheBehavior"].update(viewerProtocolPolicy="allow-all"))
    config = {"allowedViewerProtocolPolicies": ["redirect-to-https", "allow-all"]}
    (message,) = messages(https_redirect.RULE, broken, config)
    assert 'defaultCacheBehavior.viewerProtocolPolicy is "allow-all"; allowed: "redirect-to-https"' in message


# --- https to the origin ------------------------------------------------------------------------------------------

def test_an_origin_reached_over_http_is_found(distribution):
    broken = changed(distribution, lambda p: p["origins"][0]["customOriginConfig"].update(
        originProtocolPolicy="match-viewer", originSslProtocols=["TLSv1.1", "TLSv1.2"]))
    assert messages(origin_https.RULE, broken) == [
        'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): origins[0] (api).customOriginConfig'
        '.originProtocolPolicy is "match-viewer"; allowed: "https-only"',
        'ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): origins[0] (api).customOriginConfig'
        '.originSslProtocols is ["TLSv1.1", "TLSv1.2"]; allowed: only "TLSv1.2"']


def test_s3_origins_are_not_custom_origins(distribution):
    s3 = changed(distribution, lambda p: p["origins"].append(
        {"originId": "assets", "domainName": "b.s3.amazonaws.com", "s3OriginConfig": {}}))
    assert not messages(origin_https.RULE, s3)


# --- TTL limits ---------------------------------------------------------------------------------------------------

def test_a_cache_policy_above_the_environment_maximum_is_found(plans):
    policy = as_resource(plans["prod"].of_type("aws:cloudfront/cachePolicy:CachePolicy")[0])
    long = changed(policy, lambda p: p.update(maxTtl=86400))
    assert messages(ttl_limits.RULE, long, {"maxTtl": 3600}) == [
        f"{policy.name} (aws:cloudfront/cachePolicy:CachePolicy): maxTtl is 86400; allowed: at most 3600 seconds "
        "in this environment"]


def test_inverted_ttls_are_found(plans):
    policy = as_resource(plans["dev"].of_type("aws:cloudfront/cachePolicy:CachePolicy")[0])
    inverted = changed(policy, lambda p: p.update(minTtl=30, defaultTtl=20, maxTtl=10))
    assert messages(ttl_limits.RULE, inverted)[-1].endswith(
        "minTtl/defaultTtl/maxTtl is 30/20/10; allowed: minTtl ≤ defaultTtl ≤ maxTtl")


def test_a_cached_inference_path_is_found(distribution):
    catalog_policy = distribution.props["orderedCacheBehaviors"][1]["cachePolicyId"]
    cached = changed(distribution, lambda p: p["orderedCacheBehaviors"][2].update(cachePolicyId=catalog_policy))
    (message,) = messages(ttl_limits.RULE, cached)
    assert "orderedCacheBehaviors[2] (/models/*/predict).cachePolicyId (serves /models/*/predict)" in message
    assert f'is "{catalog_policy}"' in message and CACHING_DISABLED in message


def test_without_an_inference_behaviour_the_default_must_not_cache(distribution):
    def drop_inference_and_cache_default(p):
        p["orderedCacheBehaviors"].pop(2)
        p["defaultCacheBehavior"]["cachePolicyId"] = "custom-policy-id"
    (message,) = messages(ttl_limits.RULE, changed(distribution, drop_inference_and_cache_default))
    assert "defaultCacheBehavior.cachePolicyId (serves /models/*/predict)" in message


def test_legacy_behaviour_ttls_are_limited_too(distribution):
    legacy = changed(distribution, lambda p: p["orderedCacheBehaviors"][0].update(minTtl=0, defaultTtl=60,
                                                                                   maxTtl=7200))
    assert messages(ttl_limits.RULE, legacy, {"maxTtl": 3600}) == [
        "ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): orderedCacheBehaviors[0] (/health).maxTtl "
        "is 7200; allowed: at most 3600 seconds in this environment"]


# --- origin secret header -----------------------------------------------------------------------------------------

def test_an_api_origin_without_the_secret_header_is_found(distribution):
    bare = changed(distribution, lambda p: p["origins"][0].update(customHeaders=[]))
    assert messages(origin_secret_header.RULE, bare) == [
        "ml-edge-prod-edge (aws:cloudfront/distribution:Distribution): origins[0] (api).customHeaders is [] "
        "(no X-Origin-Verify); allowed: a X-Origin-Verify header carrying the origin secret"]


def test_a_short_secret_is_found_without_showing_it(distribution):
    short = changed(distribution, lambda p: p["origins"][0]["customHeaders"][0].update(value="Zq81kLm0Pw2x"))
    (message,) = messages(origin_secret_header.RULE, short)
    assert message.endswith("customHeaders[X-Origin-Verify].value is a secret of 12 characters; allowed: at least "
                            "32 characters")
    assert "Zq81kLm0Pw2x" not in message


def test_the_environment_can_require_a_longer_secret(distribution):
    assert not messages(origin_secret_header.RULE, distribution, {"minLength": 48})
    assert messages(origin_secret_header.RULE, distribution, {"minLength": 64})


@pytest.mark.parametrize("placeholder", ["changeme-changeme-changeme-changeme-0042",
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                         "REPLACE_WITH_THE_REAL_ORIGIN_VALUE_12345"])
def test_a_placeholder_secret_is_found_without_showing_it(distribution, placeholder):
    weak = changed(distribution, lambda p: p["origins"][0]["customHeaders"][0].update(value=placeholder))
    (message,) = messages(origin_secret_header.RULE, weak)
    assert "looks like a placeholder" in message and placeholder not in message


def test_an_unknown_secret_is_checked_later_but_an_unknown_host_counts_as_an_api(distribution):
    unknown_value = changed(distribution, lambda p: p["origins"][0]["customHeaders"][0].update(value=UNKNOWN))
    assert not messages(origin_secret_header.RULE, unknown_value)
    unknown_host = changed(distribution, lambda p: p["origins"][0].update(domainName=UNKNOWN, customHeaders=[]))
    assert messages(origin_secret_header.RULE, unknown_host)


def test_other_origins_need_no_secret(distribution):
    other = changed(distribution, lambda p: p["origins"].append(
        {"originId": "docs", "domainName": "docs.example.com", "customOriginConfig": {}}))
    assert not messages(origin_secret_header.RULE, other)


# --- the API answers only the edge --------------------------------------------------------------------------------

def stack_messages(resources: list[Resource]) -> list[str]:
    return [f.message(f.resource) for f in api_requires_secret.RULE.stack_findings(resources)]


def replaced(resources: list[Resource], kind: str, change) -> list[Resource]:
    return [changed(r, change) if r.type == kind and r.props.get("scope", "REGIONAL") == "REGIONAL" else r
            for r in resources]


def test_a_stage_without_its_guard_is_found(stack):
    unguarded = [r for r in stack if r.type != "aws:wafv2/webAclAssociation:WebAclAssociation"]
    assert stack_messages(unguarded) == [
        "ml-edge-prod-api-stage (aws:apigateway/stage:Stage): stage v1 is reachable without the origin secret (no "
        "WAF web ACL associated, no method requires it); allowed: a REGIONAL WAF web ACL on the stage that blocks "
        "by default and allows only requests whose X-Origin-Verify header exactly matches the secret, or every "
        "method requiring X-Origin-Verify"]


def test_a_guard_that_allows_by_default_is_found(stack):
    lax = replaced(stack, "aws:wafv2/webAcl:WebAcl", lambda p: p.update(defaultAction={"allow": {}}))
    assert "also admits requests without the secret" in stack_messages(lax)[0]


def test_a_guard_with_a_second_allow_rule_is_found(stack):
    def open_door(p):
        p["rules"].append({"name": "office", "priority": 1, "action": {"allow": {}},
                           "statement": {"ipSetReferenceStatement": {"arn": "arn:aws:wafv2:…"}}})
    assert stack_messages(replaced(stack, "aws:wafv2/webAcl:WebAcl", open_door))


def test_a_guard_comparing_a_short_value_is_found_without_showing_it(stack):
    def short(p):
        p["rules"][0]["statement"]["byteMatchStatement"]["searchString"] = "short-secret"
    (message,) = stack_messages(replaced(stack, "aws:wafv2/webAcl:WebAcl", short))
    assert "short-secret" not in message


def test_two_accepted_values_during_a_rotation_pass(stack):
    def rotating(p):
        match = p["rules"][0]["statement"]
        second = copy.deepcopy(match)
        second["byteMatchStatement"]["searchString"] = "n" * 20 + "e" * 28
        p["rules"][0]["statement"] = {"orStatement": {"statements": [match, second]}}
    assert stack_messages(replaced(stack, "aws:wafv2/webAcl:WebAcl", rotating)) == []


def test_methods_that_all_require_the_header_pass_without_waf(stack):
    def require_header(p):
        document = json.loads(p["body"])
        for item in document["paths"].values():
            item["parameters"] = [{"in": "header", "name": "X-Origin-Verify", "required": True}]
        p["body"] = json.dumps(document)
    unguarded = [r for r in stack if r.type != "aws:wafv2/webAclAssociation:WebAclAssociation"]
    assert stack_messages(replaced(unguarded, "aws:apigateway/restApi:RestApi", require_header)) == []


# --- regional endpoint --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("endpoint", "found"), [
    ({"types": "EDGE"}, '"EDGE"'),
    ({}, 'not set (API Gateway uses "EDGE")'),
    ({"types": "PRIVATE"}, '"PRIVATE"'),
])
def test_a_non_regional_api_is_found(plans, endpoint, found):
    api = as_resource(plans["dev"].one("aws:apigateway/restApi:RestApi"))
    (message,) = messages(regional_endpoint.RULE, changed(api, lambda p: p.update(endpointConfiguration=endpoint)))
    assert message == f'{api.name} (aws:apigateway/restApi:RestApi): endpointConfiguration.types is {found}; ' \
                      f'allowed: "REGIONAL"'


def test_the_list_form_of_older_providers_is_understood(plans):
    api = as_resource(plans["dev"].one("aws:apigateway/restApi:RestApi"))
    assert not messages(regional_endpoint.RULE, changed(api, lambda p: p.update(
        endpointConfiguration={"types": ["REGIONAL"]})))


# --- advisory rules -----------------------------------------------------------------------------------------------

def test_a_distribution_without_waf_is_found(plans):
    assert messages(edge_waf.RULE, as_resource(plans["dev"].one(DISTRIBUTION))) == [
        "ml-edge-dev-edge (aws:cloudfront/distribution:Distribution): webAclId is not set; allowed: a WAF web ACL "
        "(ml-edge:waf.enabled: true)"]


def test_an_old_viewer_tls_policy_is_found_only_with_a_custom_certificate(distribution, plans):
    old = changed(distribution, lambda p: p["viewerCertificate"].update(minimumProtocolVersion="TLSv1.2_2019"))
    (message,) = messages(viewer_tls.RULE, old)
    assert 'minimumProtocolVersion is "TLSv1.2_2019"; allowed: TLSv1.2_2021, TLSv1.2_2025, TLSv1.3_2025' in message
    assert not messages(viewer_tls.RULE, as_resource(plans["dev"].one(DISTRIBUTION)))


def test_a_behaviour_without_security_headers_is_found(distribution):
    bare = changed(distribution, lambda p: p["defaultCacheBehavior"].pop("responseHeadersPolicyId"))
    (message,) = messages(security_headers.RULE, bare)
    assert "defaultCacheBehavior.responseHeadersPolicyId is not set" in message


def test_a_stage_without_logs_or_tracing_is_found(plans):
    stage = as_resource(plans["prod"].one("aws:apigateway/stage:Stage"))
    dark = changed(stage, lambda p: (p.pop("accessLogSettings"), p.update(xrayTracingEnabled=False)))
    assert [m.split(": ", 1)[1] for m in messages(stage_observability.RULE, dark)] == [
        "accessLogSettings.destinationArn is not set; allowed: a CloudWatch log group ARN",
        "xrayTracingEnabled is False; allowed: true"]
    assert len(messages(stage_observability.RULE, dark, {"requireTracing": False})) == 1


def test_legacy_forwarded_values_are_found(distribution):
    legacy = changed(distribution, lambda p: p["defaultCacheBehavior"].update(
        forwardedValues={"queryString": False, "cookies": {"forward": "none"}, "headers": ["Host"]}))
    (message,) = messages(no_legacy_forwarding.RULE, legacy)
    assert "defaultCacheBehavior.forwardedValues is set" in message


# --- secrets never leave a message ----------------------------------------------------------------------------------

def test_a_message_that_would_quote_a_secret_is_redacted(distribution):
    secret = secret_of(distribution)
    assert redact(f"header value {secret} is bad", distribution) == "header value [secret] is bad"


def test_every_rule_has_a_name_description_remediation_and_config_defaults():
    names = [rule.name for rule in POLICIES]
    assert len(names) == len(set(names)) == 14
    for rule in POLICIES:
        assert rule.name == rule.name.lower() and " " not in rule.name and "_" not in rule.name
        assert rule.description and rule.remediation
        assert all("default" in schema and "type" in schema for schema in rule.config.values()), rule.name


# --- a second crafted violation for each rule, and unrelated resources ---------------------------------------------

def test_an_origin_offering_an_old_tls_version_is_found(distribution):
    old = changed(distribution, lambda p: p["origins"][0]["customOriginConfig"].update(
        originSslProtocols=["TLSv1", "TLSv1.2"]))
    (message,) = messages(origin_https.RULE, old)
    assert 'originSslProtocols is ["TLSv1", "TLSv1.2"]; allowed: only "TLSv1.2"' in message


def test_a_one_year_ttl_is_found(plans):
    policy = as_resource(plans["dev"].of_type("aws:cloudfront/cachePolicy:CachePolicy")[0])
    year = changed(policy, lambda p: p.update(defaultTtl=31536000, maxTtl=31536000))
    (message,) = messages(ttl_limits.RULE, year, {"maxTtl": 600})
    assert message.endswith("maxTtl is 31536000; allowed: at most 600 seconds in this environment")


def test_your_api_key_as_the_header_value_is_found_without_showing_it(distribution):
    weak = changed(distribution, lambda p: p["origins"][0]["customHeaders"][0].update(value="your-api-key"))
    (message,) = messages(origin_secret_header.RULE, weak)
    assert "a secret of 12 characters" in message and "your-api-key" not in message


def test_an_empty_web_acl_id_is_found(distribution):
    assert messages(edge_waf.RULE, changed(distribution, lambda p: p.update(webAclId="")))


def test_tls_v1_at_the_viewer_is_found(distribution):
    old = changed(distribution, lambda p: p["viewerCertificate"].update(minimumProtocolVersion="TLSv1"))
    assert 'minimumProtocolVersion is "TLSv1"' in messages(viewer_tls.RULE, old)[0]


def test_an_ordered_behaviour_without_security_headers_is_found(distribution):
    bare = changed(distribution, lambda p: p["orderedCacheBehaviors"][2].update(responseHeadersPolicyId=""))
    (message,) = messages(security_headers.RULE, bare)
    assert "orderedCacheBehaviors[2] (/models/*/predict).responseHeadersPolicyId is not set" in message


def test_a_stage_without_access_logs_is_found(plans):
    stage = as_resource(plans["dev"].one("aws:apigateway/stage:Stage"))
    (message,) = messages(stage_observability.RULE, changed(stage, lambda p: p.update(accessLogSettings={})))
    assert "accessLogSettings.destinationArn is not set" in message


def test_legacy_forwarding_on_an_ordered_behaviour_is_found(distribution):
    legacy = changed(distribution, lambda p: p["orderedCacheBehaviors"][0].update(
        forwardedValues={"queryString": True, "cookies": {"forward": "all"}}))
    assert "orderedCacheBehaviors[0] (/health).forwardedValues is set" in messages(no_legacy_forwarding.RULE,
                                                                                    legacy)[0]


LOOKS_BAD_EVERYWHERE = {
    "viewerProtocolPolicy": "allow-all", "defaultCacheBehavior": {"viewerProtocolPolicy": "allow-all"},
    "origins": [{"originId": "x", "domainName": "a.execute-api.eu-west-1.amazonaws.com",
                 "customOriginConfig": {"originProtocolPolicy": "http-only"}, "customHeaders": []}],
    "maxTtl": 99999999, "endpointConfiguration": {"types": "EDGE"}, "viewerCertificate": {"acmCertificateArn": "x"},
}


@pytest.mark.parametrize("rule", [r for r in POLICIES if r.scan], ids=lambda r: r.name)
def test_rules_do_not_apply_to_unrelated_resources(rule):
    bucket = Resource("aws:s3/bucket:Bucket", "assets", "urn:pulumi:dev::ml-edge::aws:s3/bucket:Bucket::assets",
                      copy.deepcopy(LOOKS_BAD_EVERYWHERE))
    assert rule.findings(bucket) == []
    assert rule.stack_findings([bucket]) == []


# --- consumer keys and usage plans ---------------------------------------------------------------------------------

def test_a_predict_route_without_a_key_requirement_is_found(plans):
    api = as_resource(plans["dev"].one("aws:apigateway/restApi:RestApi"))

    def open_predict(p):
        document = json.loads(p["body"])
        document["paths"]["/models/iris/predict"]["post"].pop("security")
        p["body"] = json.dumps(document)
    (message,) = messages(predict_requires_key.RULE, changed(api, open_predict))
    assert "body.paths[/models/iris/predict].post.security is not set; allowed: an API-key requirement" in message


def test_keys_read_from_anywhere_but_the_header_are_found(plans):
    api = as_resource(plans["dev"].one("aws:apigateway/restApi:RestApi"))

    def authorizer_keys(p):
        document = json.loads(p["body"])
        document["x-amazon-apigateway-api-key-source"] = "AUTHORIZER"
        p["body"] = json.dumps(document)
    (message,) = messages(predict_requires_key.RULE, changed(api, authorizer_keys))
    assert 'x-amazon-apigateway-api-key-source is "AUTHORIZER"' in message


def test_a_usage_plan_without_throttling_is_found(plans):
    plan = as_resource(plans["prod"].of_type("aws:apigateway/usagePlan:UsagePlan")[0])
    (message,) = messages(usage_plan_throttled.RULE, changed(plan, lambda p: p.pop("throttleSettings")))
    assert "throttleSettings is rateLimit not set, burstLimit not set" in message


def test_a_usage_plan_above_the_ceiling_is_found(plans):
    plan = as_resource(plans["prod"].of_type("aws:apigateway/usagePlan:UsagePlan")[0])
    fast = changed(plan, lambda p: p["throttleSettings"].update(rateLimit=5000))
    assert messages(usage_plan_throttled.RULE, fast)[0].endswith("throttleSettings.rateLimit is 5000; allowed: at "
                                                                 "most 1000 req/s")
    assert not messages(usage_plan_throttled.RULE, fast, {"maxRateLimit": 10000})
