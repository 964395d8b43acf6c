"""Each AWS fact of DESIGN.md, checked on the planned resources of every environment (one test per fact).

The plans come from gitops.planning.plan, which awaits every output of the program under Pulumi's mock runtime before it
returns plain data, so every assertion here runs on resolved values (no callback, no lost assertion).
A fact about the regional part (the API, its stage, functions, keys, authorizer, WAF guard and logs) is checked in
each region of each environment (the `regional` fixture); a fact about the edge once per environment (`plan`).
`make mutants` breaks these facts one at a time and each turns a test here red.
"""

import hashlib
import json
import shutil

import pytest
import yaml
from plan_views import REGIONS, RegionalPart, behaviours, distribution, openapi

from gitops.planning.plan import plan_environment
from gitops.planning.plan_mocks import Secret, api_key_value
from gitops.stacks.environments import ENVIRONMENTS_DIR
from ml_edge.edge import ALL_VIEWER_EXCEPT_HOST_HEADER, CACHING_DISABLED, SECURITY_HEADERS
from ml_edge.resource_types import (
    API_GATEWAY_ACCOUNT,
    API_KEY,
    CACHE_POLICY,
    CLIENT_CERTIFICATE,
    DEPLOYMENT,
    DISTRIBUTION,
    DNS_RECORD,
    FUNCTION,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    LAMBDA_PERMISSION,
    LOG_DELIVERY,
    LOG_DELIVERY_DESTINATION,
    LOG_DELIVERY_SOURCE,
    LOG_GROUP,
    LOG_RESOURCE_POLICY,
    METHOD_SETTINGS,
    METRIC_ALARM,
    RANDOM_PASSWORD,
    REST_API,
    STAGE,
    USAGE_PLAN,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
)
from ml_edge.stack import (
    BACKEND_OUTPUTS,
    CONSUMER_OUTPUTS,
    HEARTBEAT_OUTPUT,
    OUTPUT_NAMES,
    REGION_OUTPUTS,
    RESTRICTED_SMOKE_OUTPUTS,
    ROTATION_OUTPUT,
)


def origin(plan) -> dict:
    (only,) = distribution(plan)["origins"]
    return only


def behaviour(plan, path: str) -> dict:
    return next(b for b in behaviours(plan) if b.get("pathPattern") == path)


def several_regions(plan) -> bool:
    return len(plan.config.regions) > 1


def test_rest_api_endpoint_is_regional_as_a_single_string(regional):
    assert regional.plan.one(REST_API).inputs["endpointConfiguration"]["types"] == "REGIONAL"


def test_the_managed_policy_ids_are_the_ones_aws_publishes():
    """AWS's managed CloudFront policies have the same ID in every account (CloudFront Developer Guide: managed cache,
    origin request and response headers policies). The program's one home of them is ml_edge.edge; the tests below
    check that the behaviours use them, this one that they are AWS's."""
    assert {"Managed-CachingDisabled": CACHING_DISABLED,
            "Managed-AllViewerExceptHostHeader": ALL_VIEWER_EXCEPT_HOST_HEADER,
            "Managed-SecurityHeadersPolicy": SECURITY_HEADERS} == {
        "Managed-CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "Managed-AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        "Managed-SecurityHeadersPolicy": "67f7725c-6f97-4210-82d7-5512b31e9d03"}


def test_no_behaviour_forwards_the_viewer_host_header(plan):
    for b in behaviours(plan):
        assert b["originRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER, b.get("pathPattern", "default")
        assert "forwardedValues" not in b


def test_origin_is_the_apis_execute_api_host_or_the_latency_name_of_every_region(plan):
    """One region: CloudFront's one origin is the API's own host. Several: it is `originDomain.name`, which Route 53
    answers with the nearest healthy region's API (a latency record per region; test_regional_plans)."""
    if not several_regions(plan):
        api_id = plan.outputs["apiId"]
        assert origin(plan)["domainName"] == f"{api_id}.execute-api.{plan.config.region}.amazonaws.com"
        return
    name = plan.config.origin_domain.name
    assert origin(plan)["domainName"] == name
    latency = [r for r in plan.of_type(DNS_RECORD) if r.inputs["name"] == name]
    assert sorted(r.inputs["setIdentifier"] for r in latency) == sorted(plan.config.regions)


def test_origin_path_is_the_stage(plan):
    assert origin(plan)["originPath"] == f"/{plan.config.stage_name}"


def test_origin_is_https_only_with_tls12_only(plan):
    custom = origin(plan)["customOriginConfig"]
    assert custom["originProtocolPolicy"] == "https-only"
    assert custom["originSslProtocols"] == ["TLSv1.2"]


def test_origin_url_output_is_the_stage_invoke_url(regional):
    """`originUrl` (and `apiId`) are the stack's own region's; with several regions `originUrls` has every region's
    invoke URL (the smoke suite checks each refuses a request without the secret)."""
    stage, outputs = regional.plan.one(STAGE), regional.whole.outputs
    assert stage.inputs["stageName"] == outputs["stage"]
    invoke_url = (f"https://{regional.api_id}.execute-api.{regional.region}.amazonaws.com/"
                  f"{regional.plan.config.stage_name}")
    if regional.home:
        assert (outputs["originUrl"], outputs["apiId"]) == (invoke_url, regional.api_id)
    if several_regions(regional.whole):
        assert outputs["originUrls"][regional.region] == invoke_url
    else:
        assert "originUrls" not in outputs


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
    policies = {p.id: p.inputs for p in plan.of_type(CACHE_POLICY)}
    for path, ttl in (("/health", plan.config.cache.health), ("/models", plan.config.cache.catalog)):
        b = behaviour(plan, path)
        assert b["allowedMethods"] == ["GET", "HEAD", "OPTIONS"]
        policy = policies[b["cachePolicyId"]]
        assert (policy["minTtl"], policy["defaultTtl"], policy["maxTtl"]) == (ttl.min_ttl, ttl.default_ttl,
                                                                              ttl.max_ttl)


def test_cache_keys_hold_no_headers_cookies_or_query_strings(plan):
    for policy in plan.of_type(CACHE_POLICY):
        key = policy.inputs["parametersInCacheKeyAndForwardedToOrigin"]
        assert key["headersConfig"] == {"headerBehavior": "none"}
        assert key["cookiesConfig"] == {"cookieBehavior": "none"}
        assert key["queryStringsConfig"] == {"queryStringBehavior": "none"}


def test_rest_api_has_every_contract_route(regional):
    paths = openapi(regional.plan)["paths"]
    expected = {"/health": {"get"}, "/models": {"get"},
                **{f"/models/{m.name}/predict": {"post"} for m in regional.plan.config.models}}
    assert {path: set(methods) for path, methods in paths.items()} == expected


def test_deployment_is_recreated_when_the_api_definition_changes(regional):
    body = regional.plan.one(REST_API).inputs["body"]
    triggers = regional.plan.one(DEPLOYMENT).inputs["triggers"]
    assert triggers == {"openapi-sha256": hashlib.sha256(body.encode()).hexdigest()}


def test_stage_serves_the_deployment_of_the_api(regional):
    stage = regional.plan.one(STAGE).inputs
    assert stage["deployment"] == regional.plan.one(DEPLOYMENT).id
    assert stage["restApi"] == regional.api_id


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


def origin_guard(part: RegionalPart):
    (acl,) = [a for a in part.plan.of_type(WEB_ACL) if a.inputs["scope"] == "REGIONAL"]
    return acl


def test_api_rejects_requests_without_the_secret_before_any_backend(regional):
    acl = origin_guard(regional)
    assert acl.inputs["defaultAction"]["block"]["customResponse"]["responseCode"] == 403
    (rule,) = acl.inputs["rules"]
    match = rule["statement"]["byteMatchStatement"]
    assert rule["action"] == {"allow": {}}
    assert match["fieldToMatch"] == {"singleHeader": {"name": "x-origin-verify"}}
    assert match["positionalConstraint"] == "EXACTLY"
    (header,) = origin(regional.whole)["customHeaders"]
    assert match["searchString"] == header["value"]  # the value CloudFront sends is the value the API accepts
    association = regional.plan.one(WEB_ACL_ASSOCIATION)
    assert association.property_dependencies["webAclArn"] == [acl.urn]
    assert association.inputs["webAclArn"].startswith(f"arn:aws:wafv2:{regional.region}:")
    assert association.inputs["resourceArn"] == (f"arn:aws:apigateway:{regional.region}::/restapis/{regional.api_id}"
                                                 f"/stages/{regional.plan.config.stage_name}")


def test_origin_secret_is_generated_in_the_program_and_stays_secret(plan):
    generated = plan.of_type(RANDOM_PASSWORD)
    passwords = {p.name.rsplit("-", 1)[-1]: p.inputs for p in generated}
    assert set(passwords) == {"a", "b"}
    password = passwords[plan.config.origin_secret.send]
    assert password["length"] >= 32 and password["special"] is False
    (header,) = origin(plan)["customHeaders"]
    assert isinstance(header["value"], Secret)
    assert len(header["value"].value) == password["length"]
    exported = json.dumps({k: str(v) for k, v in plan.outputs.items()})
    assert header["value"].value not in exported


def test_distribution_serves_http2_and_http3_with_the_configured_price_class(plan):
    inputs = distribution(plan)
    assert inputs["httpVersion"] == "http2and3"
    assert inputs["priceClass"] == plan.config.price_class
    assert inputs["enabled"] is True


def test_stack_outputs_are_exactly_the_contract_names(plan):
    """With several regions the stack also exports `regions` and `originUrls` (and, with http models, the
    certificate each region presents); with one, the outputs are what they were before regions."""
    assert OUTPUT_NAMES == ("edgeUrl", "originUrl", "distributionId", "apiId", "stage", "models", "environment")
    optional = [*RESTRICTED_SMOKE_OUTPUTS, *BACKEND_OUTPUTS, ROTATION_OUTPUT, HEARTBEAT_OUTPUT,
                "backendClientCertificatesByRegion"]
    regional_outputs = REGION_OUTPUTS if several_regions(plan) else ()
    assert tuple(name for name in plan.outputs if name not in optional) == (
        OUTPUT_NAMES + CONSUMER_OUTPUTS[:2] + regional_outputs + CONSUMER_OUTPUTS[2:])
    if several_regions(plan):
        assert plan.outputs["regions"] == plan.config.regions
        assert list(plan.outputs["originUrls"]) == plan.config.regions
    assert plan.outputs[ROTATION_OUTPUT] == {"send": plan.config.origin_secret.send,
                                             "accept": plan.config.origin_secret.accept,
                                             "generation": plan.config.origin_secret.generation}
    assert isinstance(plan.outputs["smokeApiKey"], Secret)
    assert plan.outputs["models"] == [m.name for m in plan.config.models]
    assert plan.outputs["environment"] == plan.environment
    assert plan.outputs["distributionId"] == plan.one(DISTRIBUTION).id


def test_edge_waf_follows_the_config(plan):
    edge_acls = [a for a in plan.of_type(WEB_ACL) if a.inputs["scope"] == "CLOUDFRONT"]
    if not plan.config.waf.enabled:
        assert edge_acls == [] and "webAclId" not in distribution(plan)
        return
    (acl,) = edge_acls
    assert acl.inputs["region"] == "us-east-1"
    rate = next(r for r in acl.inputs["rules"] if "rateBasedStatement" in r["statement"])
    assert rate["statement"]["rateBasedStatement"] == {"limit": plan.config.waf.rate_limit, "aggregateKeyType": "IP"}
    assert rate["action"] == {"block": {}}
    assert distribution(plan)["webAclId"].startswith("arn:aws:wafv2:us-east-1:")


def test_stage_has_access_logging_and_tracing(regional):
    plan = regional.plan
    stage = plan.one(STAGE).inputs
    log_groups = {g.inputs["name"]: g for g in plan.of_type(LOG_GROUP)}
    access = log_groups[f"/ml-edge/{plan.environment}/api-access"]
    assert stage["accessLogSettings"]["destinationArn"] == (f"arn:aws:logs:{regional.region}:123456789012:log-group:"
                                                            f"{access.inputs['name']}")
    assert json.loads(stage["accessLogSettings"]["format"])["requestId"] == "$context.requestId"
    assert access.inputs["retentionInDays"] == plan.config.log_retention_days
    assert stage["xrayTracingEnabled"] is plan.config.tracing


def test_stage_throttling_comes_from_the_config(regional):
    plan = regional.plan
    settings = plan.one(METHOD_SETTINGS).inputs
    assert settings["methodPath"] == "*/*"
    assert settings["settings"]["throttlingRateLimit"] == plan.config.throttling.rate_limit
    assert settings["settings"]["throttlingBurstLimit"] == plan.config.throttling.burst_limit


def test_reference_lambda_may_be_invoked_only_by_its_predict_route(regional):
    permissions = [p for p in regional.plan.of_type(LAMBDA_PERMISSION)
                   if "authorizer" not in p.name and "-canary-" not in p.name]
    # (the consumer authorizer's: test_predict_is_authorized_per_consumer_and_metered_per_key; the region canary's,
    # invoked by its EventBridge rule: test_region_canary.py)
    references = [m.name for m in regional.plan.config.models if m.backend == "reference"]
    assert len(permissions) == len(references)
    for permission, model in zip(sorted(permissions, key=lambda p: p.name), sorted(references), strict=True):
        inputs = permission.inputs
        assert inputs["principal"] == "apigateway.amazonaws.com"
        assert inputs["sourceArn"] == (f"arn:aws:execute-api:{regional.region}:123456789012:{regional.api_id}/*/POST"
                                       f"/models/{model}/predict")


def test_sagemaker_role_may_invoke_only_the_configured_endpoints(plan):
    """A role per region (IAM is global): each may invoke its region's endpoints, and only those."""
    models = [m for m in plan.config.models if m.backend == "sagemaker"]
    policies = [p for p in plan.of_type(IAM_ROLE_POLICY) if "sagemaker" in p.name]
    if not models:
        assert policies == []
        return
    statements = [json.loads(p.inputs["policy"])["Statement"] for p in policies]
    assert all(statement["Action"] == "sagemaker:InvokeEndpoint" for (statement,) in statements)
    assert sorted(statement["Resource"] for (statement,) in statements) == sorted(
        [f"arn:aws:sagemaker:{region}:123456789012:endpoint/{m.endpoint_in(region)}" for m in models]
        for region in plan.config.regions)


# --- issue 9: what the mock runtime cannot show, encoded on the plan ---------------------------------------------

def test_the_waf_403_carries_the_headers_of_every_other_error_answer(regional):
    """A WAF custom response takes precedence over API Gateway's gateway responses (AWS WAF developer guide,
    "Custom responses for Block actions"), so the origin guard's 403 sets the error headers itself, and no
    gateway response for WAF_FILTERED is declared (it could never apply)."""
    response = origin_guard(regional).inputs["defaultAction"]["block"]["customResponse"]
    body_key = response["customResponseBodyKey"]
    (body,) = [b for b in origin_guard(regional).inputs["customResponseBodies"] if b["key"] == body_key]
    assert body["contentType"] == "APPLICATION_JSON" and json.loads(body["content"])["message"]
    gateway = openapi(regional.plan)["x-amazon-apigateway-gateway-responses"]
    assert "WAF_FILTERED" not in gateway
    for kind, answer in gateway.items():
        headers = {k.removeprefix("gatewayresponse.header."): v.strip("'")
                   for k, v in answer["responseParameters"].items()}
        assert {h["name"]: h["value"] for h in response["responseHeaders"]} == headers, kind


def test_the_origin_guard_never_samples_requests_but_keeps_metrics(regional):
    """WAF sampled requests show the request headers, so the live origin secret, to anyone who may read the
    web ACL (AWS WAF developer guide, "Viewing a sample of web requests")."""
    acl = origin_guard(regional).inputs
    for visibility in [acl["visibilityConfig"], *(rule["visibilityConfig"] for rule in acl["rules"])]:
        assert visibility["sampledRequestsEnabled"] is False
        assert visibility["cloudwatchMetricsEnabled"] is True


def test_the_api_gateway_account_role_is_not_managed_by_an_environment(plan):
    """One CloudWatch role per account and region; two stacks managing it overwrite each other, and deleting the
    resource resets it for every stack (pulumi-aws 7). tools/bootstrap.sh sets it once."""
    assert plan.of_type(API_GATEWAY_ACCOUNT) == []
    assert not [r for r in plan.of_type(IAM_ROLE) if "cloudwatch" in r.name]


def test_the_execution_log_group_exists_with_retention_before_execution_logging(regional):
    """API Gateway creates API-Gateway-Execution-Logs_{restApiId}/{stage} itself, without retention and outside
    the stack, unless it exists when execution logging starts."""
    plan = regional.plan
    name = f"API-Gateway-Execution-Logs_{regional.api_id}/{plan.config.stage_name}"
    (group,) = [g for g in plan.of_type(LOG_GROUP) if g.inputs["name"] == name]
    assert group.inputs["retentionInDays"] == plan.config.log_retention_days
    settings = plan.one(METHOD_SETTINGS)
    assert settings.inputs["settings"]["loggingLevel"] != "OFF"
    assert group.urn in settings.dependencies


def test_a_traced_function_waits_for_its_xray_permission(plan):
    """Lambda refuses to create a function with active tracing whose role may not yet write to X-Ray."""
    attachments = {a.name: a for a in plan.of_type(IAM_ROLE_POLICY_ATTACHMENT)
                   if a.inputs["policyArn"].endswith("/AWSXRayDaemonWriteAccess")}
    for function in plan.of_type(FUNCTION):
        assert function.inputs["tracingConfig"]["mode"] == ("Active" if plan.config.tracing else "PassThrough")
        if plan.config.tracing:  # lambda_function.python_function names it after the function
            assert attachments[f"{function.name}-xray"].urn in function.dependencies, function.name


def test_post_is_refused_over_plain_http_and_reads_are_redirected(plan):
    """A 301 answer to a POST is followed with a GET (RFC 9110 15.4.2): behaviours that take POST are
    https-only (CloudFront answers plain HTTP with 403), the catalog and health keep the redirect."""
    for b in behaviours(plan):
        expected = "https-only" if "POST" in b["allowedMethods"] else "redirect-to-https"
        assert b["viewerProtocolPolicy"] == expected, b.get("pathPattern", "default")
    assert behaviour(plan, "/models")["viewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour(plan, "/models/*/predict")["viewerProtocolPolicy"] == "https-only"


def test_the_custom_domain_resolves_to_the_distribution(plan):
    """Without records, the alias of a distribution resolves nowhere: with a hosted zone the program creates A and
    AAAA alias records (the distribution has IPv6 on) in CloudFront's documented alias zone Z2FDTNDATAQYW2. With
    several regions the zone also holds the origin name's records (a latency record per region and the certificates'
    validation record; test_regional_plans), none of them for the viewers' name."""
    origin_name = plan.config.origin_domain.name if several_regions(plan) else None
    origin_records = [r for r in plan.of_type(DNS_RECORD) if origin_name and (
        r.inputs["name"] == origin_name or r.inputs["type"] == "CNAME")]
    records = [r for r in plan.of_type(DNS_RECORD) if r not in origin_records]
    assert len(origin_records) == (len(plan.config.regions) + 1 if origin_name else 0)
    domain = plan.config.custom_domain
    if not (domain and domain.hosted_zone_id):
        assert records == []
        return
    assert sorted(r.inputs["type"] for r in records) == ["A", "AAAA"]
    target = plan.one(DISTRIBUTION)
    for record in records:
        assert (record.inputs["zoneId"], record.inputs["name"]) == (domain.hosted_zone_id, domain.domain_name)
        assert record.inputs["aliases"] == [{"name": f"d{target.id[1:].lower()}.cloudfront.net",
                                             "zoneId": "Z2FDTNDATAQYW2", "evaluateTargetHealth": False}]
        assert target.urn in record.property_dependencies["aliases"]


def authorizer_of(part: RegionalPart):
    (function,) = [f for f in part.plan.of_type(FUNCTION) if "-authorizer" in f.name]
    return function


def key_value(key) -> str:
    """What a planned API key holds: generated by API Gateway in the stack's region (the mocks' value), imported
    from there into every other region."""
    return key.inputs["value"].value if "value" in key.inputs else api_key_value(key.name)


def test_the_authorizer_knows_each_key_only_by_its_hash_and_its_consumers_models(regional):
    plan = regional.plan
    authorizer = authorizer_of(regional)
    archive = authorizer.inputs["code"]["archive"]
    assert authorizer.inputs["handler"] == "authorizer.handler.handler"
    assert {"authorizer/__init__.py", "authorizer/handler.py", "authorizer/consumers.json"} <= set(archive)
    table = json.loads(archive["authorizer/consumers.json"]["text"])["consumers"]
    keys = {k.inputs["name"].removeprefix(f"ml-edge-{plan.environment}-"): k for k in
            plan.of_type(API_KEY)}
    assert len(table) == len(plan.config.consumers)
    for consumer in plan.config.consumers:
        key = key_value(keys[consumer.name])  # the value this region's key holds
        assert table[hashlib.sha256(key.encode()).hexdigest()] == {"name": consumer.name, "models": consumer.models}
        assert key not in json.dumps(authorizer.inputs)


def test_predict_is_authorized_per_consumer_and_metered_per_key(regional):
    """The model list is enforced by authorisation (a Lambda REQUEST authorizer), never by usage-plan throttles:
    the SDK drops zero throttles (AWS receives {} = no limit, aws-cdk#10071) and AWS documents usage-plan
    throttles and quotas as best-effort targets, not access control. The authorizer returns the caller's key as
    usageIdentifierKey, so with the key source AUTHORIZER the usage plans still meter each key."""
    plan, region = regional.plan, regional.region
    document = openapi(plan)
    assert document["x-amazon-apigateway-api-key-source"] == "AUTHORIZER"
    schemes = document["components"]["securitySchemes"]
    authorizer = schemes["consumer"]["x-amazon-apigateway-authorizer"]
    function = authorizer_of(regional)
    assert authorizer["authorizerUri"] == (f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/"
                                           f"functions/arn:aws:lambda:{region}:123456789012:function:"
                                           f"{function.inputs['name']}/invocations")
    assert (authorizer["type"], authorizer["identitySource"]) == ("request", "method.request.header.x-api-key")
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    assert schemes["api_key"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    for model in plan.config.models:
        operation = document["paths"][f"/models/{model.name}/predict"]["post"]
        assert operation["security"] == [{"api_key": [], "consumer": []}]
    (permission,) = [p for p in plan.of_type(LAMBDA_PERMISSION) if "authorizer" in p.name]
    assert permission.inputs["sourceArn"] == f"arn:aws:execute-api:{region}:123456789012:" \
                                             f"{regional.api_id}/authorizers/*"
    usage_plans = plan.of_type(USAGE_PLAN)
    assert len(usage_plans) == len(plan.config.tiers)
    for usage_plan in usage_plans:
        assert all("throttles" not in stage for stage in usage_plan.inputs["apiStages"])


@pytest.mark.parametrize("region", REGIONS["prod"])
def test_http_model_servers_get_neither_the_origin_secret_nor_the_consumer_key(plans, region):
    """An HTTP_PROXY integration passes every request header to the backend. The http integration (not proxy)
    passes only the headers it maps, and the stage presents a client certificate the model server can require
    (each region's stage its own: API Gateway's client certificates are regional)."""
    part = RegionalPart(plans["prod"], region)
    plan, outputs = part.plan, part.whole.outputs
    document = openapi(plan)
    for model in (m for m in plan.config.models if m.backend == "http"):
        integration = document["paths"][f"/models/{model.name}/predict"]["post"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "http"
        mapped = json.dumps([integration["requestParameters"], integration["requestTemplates"]]).lower()
        assert "x-api-key" not in mapped and "x-origin-verify" not in mapped and "input.params()" not in mapped
        assert integration["requestParameters"]["integration.request.header.X-ML-Edge-Consumer"] == \
            "context.authorizer.consumer"
    certificate = plan.one(CLIENT_CERTIFICATE)
    assert plan.one(STAGE).inputs["clientCertificateId"] == certificate.id
    presented = (outputs["backendClientCertificatesByRegion"][region][plan.config.backend_certificate.present]["pem"]
                 if several_regions(part.whole) else outputs["backendClientCertificate"])
    assert presented.startswith("-----BEGIN CERTIFICATE-----")
    if part.home:
        assert presented == outputs["backendClientCertificate"] == outputs["backendClientCertificates"]["a"]["pem"]
        assert outputs["backendClientCertificates"]["a"]["expires"]


def test_the_backend_certificate_rotates_without_presenting_an_untrusted_one(tmp_path):
    """API Gateway presents one certificate per stage and generates its key: a new one is issued first (model
    servers add its PEM), presented in a second step, and the old one retired in a third."""
    shutil.copytree(ENVIRONMENTS_DIR / "prod", tmp_path / "prod")
    stack = tmp_path / "prod" / "Pulumi.prod.yaml"
    steps = [{"present": "a", "issued": ["a", "b"]}, {"present": "b", "issued": ["a", "b"]},
             {"present": "b", "issued": ["b"]}]
    for step, setting in enumerate(steps):
        document = yaml.safe_load(stack.read_text())
        document["config"]["ml-edge:backendCertificate"] = setting
        stack.write_text(yaml.safe_dump(document))
        whole = plan_environment("prod", tmp_path)
        for region in whole.config.regions:  # each region's stage rotates its own certificates in step
            plan = whole.in_region(region)
            certificates = {c.name[-1]: c for c in plan.of_type(CLIENT_CERTIFICATE)}
            assert sorted(certificates) == setting["issued"], (step, region)
            presented = certificates[setting["present"]]
            assert plan.one(STAGE).inputs["clientCertificateId"] == presented.id, (step, region)
        assert sorted(whole.outputs["backendClientCertificates"]) == setting["issued"]


def test_without_http_model_servers_there_is_no_client_certificate(plans):
    plan = plans["dev"]
    assert plan.of_type(CLIENT_CERTIFICATE) == []
    assert "clientCertificateId" not in plan.one(STAGE).inputs
    assert "backendClientCertificate" not in plan.outputs


def test_alias_records_take_over_records_made_by_hand(plans):
    """Without hostedZoneId someone creates the records by hand; setting it later must not fail on 'already
    exists' (Route 53 ChangeResourceRecordSets CREATE), so the records are written with UPSERT. The same holds for
    the origin name's certificate validation record: ACM asks for the same CNAME for a name in every region of the
    account, so a certificate validated earlier (by hand, or by another stack) left exactly this record."""
    plan = plans["prod"]
    viewers = [r for r in plan.of_type(DNS_RECORD) if r.inputs["name"] == plan.config.custom_domain.domain_name]
    (validation,) = [r for r in plan.of_type(DNS_RECORD) if r.inputs["type"] == "CNAME"]
    assert len(viewers) == 2
    for record in [*viewers, validation]:
        assert record.inputs["allowOverwrite"] is True, record.name



def test_a_silent_smoke_schedule_is_noticed(plan):
    """GitHub's scheduled runs are best-effort and are disabled after 60 days without repository activity (GitHub
    Actions docs, "Disabling and enabling a workflow"): the environment alarms when no passing smoke run was
    published for smokeHeartbeatHours, counting missing data as breaching (issue 18, item 11). One alarm for the
    environment, whatever its regions (the others are the regions' 5XX and canary alarms of the latency records)."""
    (heartbeat,) = [r for r in plan.roots if r.type == "ml-edge:index:SmokeHeartbeat"]
    (alarm,) = [r.inputs for r in plan.children(heartbeat.urn) if r.type == METRIC_ALARM]
    assert len(plan.of_type(METRIC_ALARM)) == 1 + (2 * len(plan.config.regions) if several_regions(plan) else 0)
    assert (alarm["namespace"], alarm["metricName"]) == (f"ml-edge/{plan.environment}", "SmokePassed")
    assert alarm["dimensions"] == {"Environment": plan.environment}
    assert alarm["treatMissingData"] == "breaching"
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("LessThanThreshold", 1)
    assert alarm["period"] * alarm["evaluationPeriods"] == plan.config.smoke_heartbeat_hours * 3600
    assert plan.outputs[HEARTBEAT_OUTPUT] == alarm["name"]


# --- issue 15: reserved concurrency and the edge's access logs -----------------------------------------------------

def test_every_function_reserves_its_configured_concurrency(regional):
    """Reserved concurrency (Checkov CKV_AWS_115): a model's Lambda gets its own share of the account's concurrency,
    so one model cannot starve another, nor the consumer authorizer that every predict request needs. Each region
    reserves it again (concurrency is counted per account and region)."""
    plan = regional.plan
    suffix = "" if regional.home else f"-{regional.region}"  # another region's logical names end with it
    expected = {f"ml-edge-{plan.environment}-api{suffix}-{m.name}": m.reserved_concurrency
                for m in plan.config.models if m.backend == "reference"}
    expected[f"ml-edge-{plan.environment}-authorizer{suffix}"] = plan.config.authorizer_reserved_concurrency
    if several_regions(regional.whole):  # one run at a time of the region canary (test_region_canary.py)
        expected[f"ml-edge-{plan.environment}-canary-{regional.region}"] = 1
    functions = {f.name: f.inputs.get("reservedConcurrentExecutions")
                 for f in plan.of_type(FUNCTION)}
    assert functions == expected


# CloudFront developer guide, "Standard logging reference", log file fields (all 33, in AWS's order)
STANDARD_LOG_FIELDS = [
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "sc-status",
    "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type", "x-edge-request-id",
    "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status", "fle-encrypted-fields", "c-port",
    "time-to-first-byte", "x-edge-detailed-result-type", "sc-content-type", "sc-content-len", "sc-range-start",
    "sc-range-end",
]
# the fields whose value is what the viewer sent in a header, cookie or query string
VIEWER_SUPPLIED = {"cs(Host)", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-host-header",
                   "x-forwarded-for"}


def test_the_edge_access_logs_reach_a_log_group_with_the_environments_retention(plan):
    """CloudFront standard logging v2 (CKV_AWS_86): the distribution's ACCESS_LOGS go to a log group of the stack with
    the environment's retention. Everything lives in us-east-1: CloudWatch Logs accepts a CloudFront delivery source
    there only ("PutDeliverySource action is not supported for this LogType" elsewhere)."""
    distribution = plan.one(DISTRIBUTION)
    (group,) = [g for g in plan.of_type(LOG_GROUP)
                if g.inputs["name"] == f"/ml-edge/{plan.environment}/edge-access"]
    source = plan.one(LOG_DELIVERY_SOURCE)
    destination = plan.one(LOG_DELIVERY_DESTINATION)
    delivery = plan.one(LOG_DELIVERY)
    writable = plan.one(LOG_RESOURCE_POLICY)
    for resource in (group, source, destination, delivery, writable):
        assert resource.inputs["region"] == "us-east-1", resource.name
    assert group.inputs["retentionInDays"] == plan.config.log_retention_days
    group_arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{group.inputs['name']}"
    assert (source.inputs["logType"], source.inputs["resourceArn"]) == (
        "ACCESS_LOGS", f"arn:aws:cloudfront::123456789012:distribution/{distribution.id}")
    assert destination.inputs["deliveryDestinationConfiguration"] == {"destinationResourceArn": group_arn}
    assert destination.inputs["outputFormat"] == "json"
    assert delivery.inputs["deliverySourceName"] == source.inputs["name"]
    assert delivery.inputs["deliveryDestinationArn"] == (f"arn:aws:logs:us-east-1:123456789012:delivery-destination:"
                                                         f"{destination.inputs['name']}")
    # the group admits CloudWatch Logs' delivery service before the delivery exists, and on this group only
    assert writable.inputs["resourceArn"] == group_arn
    (statement,) = json.loads(writable.inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == f"{group_arn}:log-stream:*"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert writable.urn in delivery.dependencies


def test_no_access_log_field_holds_a_key_or_the_origin_secret(plan):
    """The delivery names its fields (without a list CloudFront sends all of them): standard fields only, and of
    those a viewer fills in, only Host, User-Agent and X-Forwarded-For. The consumer key travels in x-api-key, a
    header no standard field records; the origin secret is added by CloudFront to the origin request, which
    standard logs do not describe; cookies and query strings (where a client might misplace a key) are left out."""
    fields = plan.one(LOG_DELIVERY).inputs["recordFields"]
    assert fields and set(fields) <= set(STANDARD_LOG_FIELDS)
    assert set(fields) & VIEWER_SUPPLIED == {"x-host-header", "cs(User-Agent)", "x-forwarded-for"}
    assert not [f for f in fields if "api-key" in f.lower() or "origin-verify" in f.lower()]
