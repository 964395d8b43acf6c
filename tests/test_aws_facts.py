"""Each AWS fact of DESIGN.md, checked on the planned resources of every environment (one test per fact).

The plans come from gitops.plan, which awaits every output of the program under Pulumi's mock runtime before it
returns plain data, so every assertion here runs on resolved values (no callback, no lost assertion).
`make mutants` breaks these facts one at a time and each turns a test here red.
"""

import hashlib
import json

from conftest import behaviours, distribution, openapi
from gitops.plan_mocks import Secret
from ml_edge.stack import CONSUMER_OUTPUTS, OUTPUT_NAMES

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"


def origin(plan) -> dict:
    (only,) = distribution(plan)["origins"]
    return only


def behaviour(plan, path: str) -> dict:
    return next(b for b in behaviours(plan) if b.get("pathPattern") == path)


def test_rest_api_endpoint_is_regional_as_a_single_string(plan):
    assert plan.one("aws:apigateway/restApi:RestApi").inputs["endpointConfiguration"]["types"] == "REGIONAL"


def test_no_behaviour_forwards_the_viewer_host_header(plan):
    for b in behaviours(plan):
        assert b["originRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER, b.get("pathPattern", "default")
        assert "forwardedValues" not in b


def test_origin_is_the_execute_api_host_of_the_planned_api(plan):
    api_id = plan.outputs["apiId"]
    assert origin(plan)["domainName"] == f"{api_id}.execute-api.{plan.config.region}.amazonaws.com"


def test_origin_path_is_the_stage(plan):
    assert origin(plan)["originPath"] == f"/{plan.config.stage_name}"


def test_origin_is_https_only_with_tls12_only(plan):
    custom = origin(plan)["customOriginConfig"]
    assert custom["originProtocolPolicy"] == "https-only"
    assert custom["originSslProtocols"] == ["TLSv1.2"]


def test_origin_url_output_is_the_stage_invoke_url(plan):
    stage = plan.one("aws:apigateway/stage:Stage")
    assert stage.inputs["stageName"] == plan.outputs["stage"]
    assert plan.outputs["originUrl"] == (f"https://{plan.outputs['apiId']}.execute-api.{plan.config.region}"
                                         f".amazonaws.com/{plan.config.stage_name}")


def test_inference_and_unknown_paths_use_managed_caching_disabled(plan):
    assert behaviour(plan, "/models/*/predict")["cachePolicyId"] == CACHING_DISABLED
    assert distribution(plan)["defaultCacheBehavior"]["cachePolicyId"] == CACHING_DISABLED


def test_every_behaviour_attaches_the_managed_security_headers_policy(plan):
    assert {b["responseHeadersPolicyId"] for b in behaviours(plan)} == {SECURITY_HEADERS}


def test_viewer_tls_needs_a_custom_domain_and_acm_certificate(plan):
    certificate = distribution(plan)["viewerCertificate"]
    domain = plan.config.custom_domain
    if domain:
        assert certificate == {"acmCertificateArn": domain.certificate_arn, "sslSupportMethod": "sni-only",
                               "minimumProtocolVersion": "TLSv1.2_2021"}
        assert distribution(plan)["aliases"] == [domain.domain_name]
        assert plan.outputs["edgeUrl"] == f"https://{domain.domain_name}"
    else:
        assert certificate == {"cloudfrontDefaultCertificate": True}
        assert "aliases" not in distribution(plan)
        assert plan.outputs["edgeUrl"].endswith(".cloudfront.net")


def test_post_is_only_allowed_on_uncached_behaviours(plan):
    for b in behaviours(plan):
        if "POST" in b["allowedMethods"]:
            assert b["cachePolicyId"] == CACHING_DISABLED, b.get("pathPattern", "default")


def test_health_and_catalog_gets_are_cached_with_the_configured_ttls(plan):
    policies = {p.id: p.inputs for p in plan.of_type("aws:cloudfront/cachePolicy:CachePolicy")}
    for path, ttl in (("/health", plan.config.cache.health), ("/models", plan.config.cache.catalog)):
        b = behaviour(plan, path)
        assert b["allowedMethods"] == ["GET", "HEAD", "OPTIONS"]
        policy = policies[b["cachePolicyId"]]
        assert (policy["minTtl"], policy["defaultTtl"], policy["maxTtl"]) == (ttl.min_ttl, ttl.default_ttl,
                                                                              ttl.max_ttl)


def test_cache_keys_hold_no_headers_cookies_or_query_strings(plan):
    for policy in plan.of_type("aws:cloudfront/cachePolicy:CachePolicy"):
        key = policy.inputs["parametersInCacheKeyAndForwardedToOrigin"]
        assert key["headersConfig"] == {"headerBehavior": "none"}
        assert key["cookiesConfig"] == {"cookieBehavior": "none"}
        assert key["queryStringsConfig"] == {"queryStringBehavior": "none"}


def test_rest_api_has_every_contract_route(plan):
    paths = openapi(plan)["paths"]
    expected = {"/health": {"get"}, "/models": {"get"},
                **{f"/models/{m.name}/predict": {"post"} for m in plan.config.models}}
    assert {path: set(methods) for path, methods in paths.items()} == expected


def test_deployment_is_recreated_when_the_api_definition_changes(plan):
    body = plan.one("aws:apigateway/restApi:RestApi").inputs["body"]
    triggers = plan.one("aws:apigateway/deployment:Deployment").inputs["triggers"]
    assert triggers == {"openapi-sha256": hashlib.sha256(body.encode()).hexdigest()}


def test_stage_serves_the_deployment_of_the_api(plan):
    stage = plan.one("aws:apigateway/stage:Stage").inputs
    assert stage["deployment"] == plan.one("aws:apigateway/deployment:Deployment").id
    assert stage["restApi"] == plan.outputs["apiId"]


def test_distribution_has_restrictions_and_a_viewer_certificate(plan):
    inputs = distribution(plan)
    assert inputs["restrictions"] == {"geoRestriction": {"restrictionType": "none"}}
    assert inputs["viewerCertificate"]


def test_origin_custom_headers_are_a_list_of_name_and_value(plan):
    headers = origin(plan)["customHeaders"]
    assert isinstance(headers, list)
    assert all(set(h) == {"name", "value"} for h in headers)


def test_origin_secret_travels_in_its_own_header_leaving_x_api_key_free(plan):
    names = [h["name"].lower() for h in origin(plan)["customHeaders"]]
    assert names == ["x-origin-verify"]


def test_api_rejects_requests_without_the_secret_before_any_backend(plan):
    acl = next(a for a in plan.of_type("aws:wafv2/webAcl:WebAcl") if a.inputs["scope"] == "REGIONAL")
    assert acl.inputs["defaultAction"] == {"block": {"customResponse": {"responseCode": 403,
                                                                         "customResponseBodyKey": "forbidden"}}}
    (rule,) = acl.inputs["rules"]
    match = rule["statement"]["byteMatchStatement"]
    assert rule["action"] == {"allow": {}}
    assert match["fieldToMatch"] == {"singleHeader": {"name": "x-origin-verify"}}
    assert match["positionalConstraint"] == "EXACTLY"
    (header,) = origin(plan)["customHeaders"]
    assert match["searchString"] == header["value"]  # the value CloudFront sends is the value the API accepts
    association = plan.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["webAclArn"].startswith(f"arn:aws:wafv2:{plan.config.region}:")
    assert association["resourceArn"].endswith(f"/restapis/{plan.outputs['apiId']}/stages/{plan.config.stage_name}")


def test_origin_secret_is_generated_in_the_program_and_stays_secret(plan):
    generated = plan.of_type("random:index/randomPassword:RandomPassword")
    passwords = {p.name.rsplit("-", 1)[-1]: p.inputs for p in generated}
    assert set(passwords) == {"a", "b"}
    password = passwords[plan.config.origin_secret.send]
    assert password["length"] >= 32 and password["special"] is False
    (header,) = origin(plan)["customHeaders"]
    assert isinstance(header["value"], Secret)
    assert len(header["value"].value) == password["length"]
    exported = json.dumps({k: str(v) for k, v in plan.outputs.items()})
    assert header["value"].value not in exported


def test_every_behaviour_redirects_http_to_https(plan):
    assert {b["viewerProtocolPolicy"] for b in behaviours(plan)} == {"redirect-to-https"}


def test_distribution_serves_http2_and_http3_with_the_configured_price_class(plan):
    inputs = distribution(plan)
    assert inputs["httpVersion"] == "http2and3"
    assert inputs["priceClass"] == plan.config.price_class
    assert inputs["enabled"] is True


def test_stack_outputs_are_exactly_the_contract_names(plan):
    assert OUTPUT_NAMES == ("edgeUrl", "originUrl", "distributionId", "apiId", "stage", "models", "environment")
    assert tuple(plan.outputs) == OUTPUT_NAMES + CONSUMER_OUTPUTS
    assert isinstance(plan.outputs["smokeApiKey"], Secret)
    assert plan.outputs["models"] == [m.name for m in plan.config.models]
    assert plan.outputs["environment"] == plan.environment
    assert plan.outputs["distributionId"] == plan.one("aws:cloudfront/distribution:Distribution").id


def test_edge_waf_follows_the_config(plan):
    edge_acls = [a for a in plan.of_type("aws:wafv2/webAcl:WebAcl") if a.inputs["scope"] == "CLOUDFRONT"]
    if not plan.config.waf.enabled:
        assert edge_acls == [] and "webAclId" not in distribution(plan)
        return
    (acl,) = edge_acls
    assert acl.inputs["region"] == "us-east-1"
    rate = next(r for r in acl.inputs["rules"] if "rateBasedStatement" in r["statement"])
    assert rate["statement"]["rateBasedStatement"] == {"limit": plan.config.waf.rate_limit, "aggregateKeyType": "IP"}
    assert rate["action"] == {"block": {}}
    assert distribution(plan)["webAclId"].startswith("arn:aws:wafv2:us-east-1:")


def test_stage_has_access_logging_and_tracing(plan):
    stage = plan.one("aws:apigateway/stage:Stage").inputs
    log_groups = {g.inputs["name"]: g for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    access = log_groups[f"/ml-edge/{plan.environment}/api-access"]
    assert stage["accessLogSettings"]["destinationArn"].endswith(f":log-group:{access.inputs['name']}")
    assert json.loads(stage["accessLogSettings"]["format"])["requestId"] == "$context.requestId"
    assert access.inputs["retentionInDays"] == plan.config.log_retention_days
    assert stage["xrayTracingEnabled"] is plan.config.tracing


def test_stage_throttling_comes_from_the_config(plan):
    settings = plan.one("aws:apigateway/methodSettings:MethodSettings").inputs
    assert settings["methodPath"] == "*/*"
    assert settings["settings"]["throttlingRateLimit"] == plan.config.throttling.rate_limit
    assert settings["settings"]["throttlingBurstLimit"] == plan.config.throttling.burst_limit


def test_reference_lambda_may_be_invoked_only_by_its_predict_route(plan):
    for permission in plan.of_type("aws:lambda/permission:Permission"):
        inputs = permission.inputs
        assert inputs["principal"] == "apigateway.amazonaws.com"
        assert inputs["sourceArn"].endswith(f":{plan.outputs['apiId']}/*/POST/models/iris/predict")


def test_sagemaker_role_may_invoke_only_the_configured_endpoints(plan):
    endpoints = [m.endpoint_name for m in plan.config.models if m.backend == "sagemaker"]
    policies = [p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if "sagemaker" in p.name]
    if not endpoints:
        assert policies == []
        return
    (statement,) = json.loads(policies[0].inputs["policy"])["Statement"]
    assert statement["Action"] == "sagemaker:InvokeEndpoint"
    assert statement["Resource"] == [f"arn:aws:sagemaker:{plan.config.region}:123456789012:endpoint/{e}"
                                     for e in endpoints]
