"""The offline preview as text: planned resources grouped by component, with what a reviewer checks.

With several regions the components are grouped by region: first what serves every region (the edge, the origin
secret, the latency-routed origin), then each region's own copy of the regional part, the stack's region first.

Every value goes through `show`, which prints secrets as [secret]; `mask` then removes any secret value that
could still have slipped into the text.
"""

import json
from collections.abc import Callable
from typing import Any

from ..stacks import program_path  # noqa: F401  (makes the program's ml_edge package importable)

# isort: split

from ml_edge.edge import ALL_VIEWER_EXCEPT_HOST_HEADER, CACHING_DISABLED, SECURITY_HEADERS
from ml_edge.resource_types import (
    API_DOMAIN_NAME,
    API_KEY,
    BASE_PATH_MAPPING,
    CACHE_POLICY,
    CERTIFICATE,
    CERTIFICATE_VALIDATION,
    CLIENT_CERTIFICATE,
    DEPLOYMENT,
    DISTRIBUTION,
    DNS_RECORD,
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    HEALTH_CHECK,
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
    USAGE_PLAN_KEY,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
)

from .plan import Plan, PlannedResource
from .plan_mocks import Secret

INDENT = "  "
COMPONENT_ORDER = ["ml-edge:index:Edge", "ml-edge:index:ModelApi", "ml-edge:index:Consumers",
                   "ml-edge:index:UsagePlans", "ml-edge:index:OriginSecret", "ml-edge:index:SmokeHeartbeat"]


def render_plan(plan: Plan) -> str:
    cfg = plan.config
    where = f"region {cfg.region}" if len(cfg.regions) == 1 else f"regions {', '.join(cfg.regions)}"
    lines = [f"ml-edge offline preview · environment {plan.environment} · {where} · "
             f"{sum(r.custom for r in plan.resources)} resources to create", ""]
    for title, roots in by_region(plan):
        if title:
            lines += [title, ""]
        for root in roots:
            lines += _component(plan, root, 0)
            lines.append("")
    lines.append("Stack outputs")
    width = max(map(len, plan.outputs), default=0)
    for name, value in plan.outputs.items():
        if isinstance(value, dict):
            lines.append(f"{INDENT}{name}")
            lines += [f"{INDENT * 2}{key}: {show(item)}" for key, item in value.items()]
        else:
            lines.append(f"{INDENT}{name:<{width}}  {show(value)}")
    return mask("\n".join(lines), plan)


def by_region(plan: Plan) -> list[tuple[str, list[PlannedResource]]]:
    """The top-level components in sections: with one region a single untitled one; with several, what serves every
    region, then each region's components. A component type with an instance per region is regional; an instance
    whose resources carry a `region` input is in that region, one without in the stack's region."""
    roots = sorted(plan.roots, key=lambda r: COMPONENT_ORDER.index(r.type) if r.type in COMPONENT_ORDER else 9)
    regions = plan.config.regions
    if len(regions) == 1:
        return [("", roots)]
    kinds = [root.type for root in roots]
    placed: dict[str, list[PlannedResource]] = {region: [] for region in regions}
    everywhere = []
    for root in roots:
        if kinds.count(root.type) == 1:
            everywhere.append(root)
            continue
        found = {r.inputs["region"] for r in _descendants(plan, root) if r.custom and r.inputs.get("region")}
        placed[found.pop() if len(found) == 1 else plan.config.region].append(root)
    sections = [(f"── every region: the edge and what serves all {len(regions)} regions ──", everywhere)]
    for region in regions:
        count = sum(r.custom for root in placed[region] for r in _descendants(plan, root))
        home = " (the stack's region)" if region == plan.config.region else ""
        sections.append((f"── region {region}{home} · {count} resources ──", placed[region]))
    return sections


def _descendants(plan: Plan, resource: PlannedResource) -> list[PlannedResource]:
    found = [resource]
    for child in plan.children(resource.urn):
        found += _descendants(plan, child)
    return found


def _component(plan: Plan, resource: PlannedResource, depth: int) -> list[str]:
    pad = INDENT * depth
    if not resource.custom:
        lines = [f"{pad}{short_type(resource.type)}  {resource.name}"]
        summarise = SUMMARIES.get(resource.type)
        if summarise:
            lines += [f"{pad}{INDENT * 2}{line}" for line in summarise(resource.inputs, plan)]
        for child in sorted(plan.children(resource.urn), key=lambda child: _reading_order(child, plan)):
            lines += _component(plan, child, depth + 1)
        return lines
    lines = [f"{pad}+ {short_type(resource.type):<34} {resource.name}"]
    summarise = SUMMARIES.get(resource.type)
    if summarise:
        lines += [f"{pad}{INDENT * 2}{line}" for line in summarise(resource.inputs, plan)]
    return lines


READING_ORDER = [
    REST_API, DEPLOYMENT, STAGE,
    METHOD_SETTINGS, WEB_ACL,
    WEB_ACL_ASSOCIATION, LOG_GROUP,
    CLIENT_CERTIFICATE, FUNCTION,
    LAMBDA_PERMISSION,
    IAM_ROLE, IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT, CACHE_POLICY,
    DISTRIBUTION, LOG_DELIVERY_SOURCE,
    LOG_DELIVERY_DESTINATION, LOG_DELIVERY,
    LOG_RESOURCE_POLICY, DNS_RECORD,
    USAGE_PLAN, API_KEY, USAGE_PLAN_KEY,
    CERTIFICATE, CERTIFICATE_VALIDATION,
    API_DOMAIN_NAME, BASE_PATH_MAPPING,
    METRIC_ALARM, HEALTH_CHECK,
    EVENT_RULE, EVENT_TARGET,
]


def _reading_order(resource: PlannedResource, plan: Plan) -> tuple:
    """Resources first (the component's main resource on top), then sub-components; with several regions a
    component spanning them lists its resources region by region; stable for PR diffs."""
    rank = READING_ORDER.index(resource.type) if resource.type in READING_ORDER else len(READING_ORDER)
    return (not resource.custom, _region_rank(resource.name, plan.config.regions), rank, resource.name)


def _region_rank(name: str, regions: list[str]) -> int:
    """Another region's logical names carry `-<region>` (global ones too: an IAM role of eu-west-1's API), the
    stack's region's carry none; a component spanning regions names each resource after its region."""
    for index, region in sorted(enumerate(regions), key=lambda item: -len(item[1])):
        if f"-{region}-" in f"{name}-":
            return index
    return 0


def short_type(kind: str) -> str:
    """aws:apigateway/restApi:RestApi → apigateway:RestApi; random:index/x:X → random:X; ml-edge:index:Edge → Edge"""
    package, module, name = kind.split(":")
    if package == "ml-edge":
        return name
    module = module.split("/")[0]
    return f"{package}:{name}" if module == "index" else f"{module}:{name}"


def show(value: Any) -> str:
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, str) and "\n" in value.strip():  # a PEM certificate, for example
        lines = value.strip().splitlines()
        return f"{lines[0]} … ({len(lines)} lines)"
    if isinstance(value, (list, tuple)):
        return ", ".join(show(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def mask(text: str, plan: Plan) -> str:
    for secret in sorted(_secret_texts(plan), key=len, reverse=True):
        text = text.replace(secret, "[secret]")
    return text


def _secret_texts(plan: Plan) -> set[str]:
    found: set[str] = set()

    def walk(value: Any, secret: bool) -> None:
        if isinstance(value, Secret):
            walk(value.value, True)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, secret)
        elif isinstance(value, list):
            for item in value:
                walk(item, secret)
        elif secret and isinstance(value, (str, int, float)) and len(str(value)) >= 6:
            found.add(str(value))

    for resource in plan.resources:
        walk(resource.inputs, False)
    walk(plan.outputs, False)
    return found


# --- what each resource type shows -------------------------------------------------------------------------------

def _rest_api(inputs: dict, plan: Plan) -> list[str]:
    body = inputs.get("body")
    document = json.loads(body) if isinstance(body, str) else {}
    lines = [f"endpoint {show(inputs.get('endpointConfiguration', {}).get('types'))} · API keys from "
             f"{document.get('x-amazon-apigateway-api-key-source', 'HEADER')}"]
    for name, scheme in document.get("components", {}).get("securitySchemes", {}).items():
        authorizer = scheme.get("x-amazon-apigateway-authorizer")
        if authorizer:
            lines.append(f"authorizer {name}: Lambda {authorizer.get('type')} on "
                         f"{authorizer.get('identitySource')} · answers cached "
                         f"{authorizer.get('authorizerResultTtlInSeconds')} s")
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            key = " · consumer key allowed on this model" if operation.get("security") else ""
            lines.append(f"{method.upper():<5} {path:<32} {_integration(operation['x-amazon-apigateway-integration'])}"
                         f"{key}")
    responses = document.get("x-amazon-apigateway-gateway-responses", {})
    lines.append("API Gateway errors as JSON: " + ", ".join(
        f"{kind} {spec['statusCode']}" for kind, spec in responses.items() if "statusCode" in spec))
    return lines


def _integration(integration: dict) -> str:
    kind = integration.get("type")
    timeout = f" · timeout {integration['timeoutInMillis']} ms" if "timeoutInMillis" in integration else ""
    if kind == "mock":
        template = integration["responses"]["default"]["responseTemplates"]["application/json"]
        answer = json.loads(template)
        if "models" in answer:
            return "static catalog (mock): " + ", ".join(f"{m['name']} ({m['backend']})" for m in answer["models"])
        return f"static (mock): {json.dumps(answer)}"
    if kind == "aws_proxy":
        return "reference model (Lambda, AWS_PROXY)" + timeout
    if kind == "aws":
        endpoint = integration["uri"].split("/endpoints/")[-1].split("/")[0]
        return f"SageMaker endpoint {endpoint} (AWS integration, own IAM role)" + timeout
    if kind == "http_proxy":
        return f"HTTP model server {integration['uri']} (HTTP_PROXY: every request header passes)" + timeout
    if kind == "http":
        headers = [k.removeprefix("integration.request.header.") for k in integration.get("requestParameters", {})
                   if k.startswith("integration.request.header.")]
        mapped = "responseTemplates" in integration.get("responses", {}).get("default", {})
        return (f"HTTP model server {integration['uri']} (HTTP, sends only {', '.join(headers) or 'no headers'}"
                f"{'; its predictions mapped onto the contract' if mapped else ''})" + timeout)
    return str(kind)


def _stage(inputs: dict, plan: Plan) -> list[str]:
    logs = inputs.get("accessLogSettings", {}).get("destinationArn", "none")
    certificate = inputs.get("clientCertificateId")
    return [f"stage {inputs.get('stageName')} · access logs {logs.split(':log-group:')[-1]} · "
            f"X-Ray tracing {show(inputs.get('xrayTracingEnabled', False))}"
            + (f" · presents client certificate {_name_of(certificate, plan)} to HTTP model servers"
               if certificate else "")]


def _name_of(resource_id: str, plan: Plan) -> str:
    return next((r.name for r in plan.resources if r.id == resource_id), resource_id)


def _method_settings(inputs: dict, plan: Plan) -> list[str]:
    s = inputs.get("settings", {})
    return [f"{inputs.get('methodPath')}: throttling {s.get('throttlingRateLimit')} req/s, burst "
            f"{s.get('throttlingBurstLimit')} · metrics {show(s.get('metricsEnabled', False))} · "
            f"execution logs {s.get('loggingLevel', 'OFF')}"]


def _web_acl(inputs: dict, plan: Plan) -> list[str]:
    default = "allow" if "allow" in inputs.get("defaultAction", {}) else "block"
    sampled = inputs.get("visibilityConfig", {}).get("sampledRequestsEnabled")
    lines = [f"scope {inputs.get('scope')}{' in ' + inputs['region'] if 'region' in inputs else ''} · "
             f"default {default} · sampled requests {show(bool(sampled))}"]
    for rule in inputs.get("rules", []):
        statement = rule.get("statement", {})
        action = next(iter(rule["action"])) if "action" in rule else "the group's own actions"
        matches = [s["byteMatchStatement"] for s in statement.get("orStatement", {}).get("statements", [])
                   if "byteMatchStatement" in s] or ([statement["byteMatchStatement"]]
                                                     if "byteMatchStatement" in statement else [])
        if matches:
            header = matches[0]["fieldToMatch"]["singleHeader"]["name"]
            values = " or ".join(show(m["searchString"]) for m in matches)
            what = f"header {header} equals {values}"
        elif "rateBasedStatement" in statement:
            what = f"more than {statement['rateBasedStatement']['limit']} requests per IP in 5 minutes"
        elif "managedRuleGroupStatement" in statement:
            what = f"AWS managed rule group {statement['managedRuleGroupStatement']['name']}"
        else:
            what = ", ".join(statement)
        lines.append(f"rule {rule['priority']} {rule['name']}: {what} → {action}")
    return lines


def _function(inputs: dict, plan: Plan) -> list[str]:
    lines = [f"{inputs.get('runtime')} {show(inputs.get('architectures', []))} · {inputs.get('memorySize')} MB · "
             f"timeout {inputs.get('timeout')} s · handler {inputs.get('handler')} · "
             f"tracing {inputs.get('tracingConfig', {}).get('mode', 'PassThrough')}"]
    archive = (inputs.get("code") or {}).get("archive")
    table = archive.get("authorizer/consumers.json", {}).get("text") if isinstance(archive, dict) else None
    if table:
        consumers = sorted(json.loads(table)["consumers"].values(), key=lambda c: c["name"])
        lines.append(f"knows {len(consumers)} consumer keys by SHA-256 only; allows " + " · ".join(
            f"{c['name']} → {'all models' if c['models'] == 'all' else ', '.join(c['models'])}" for c in consumers))
    return lines


def _permission(inputs: dict, plan: Plan) -> list[str]:
    return [f"{inputs.get('principal')} may call {inputs.get('action')} from {inputs.get('sourceArn')}"]


def _role(inputs: dict, plan: Plan) -> list[str]:
    policy = json.loads(inputs.get("assumeRolePolicy", "{}"))
    principals = [s["Principal"]["Service"] for s in policy.get("Statement", [])]
    boundary = str(inputs.get("permissionsBoundary", "none")).rsplit("/", 1)[-1]
    return [f"assumed by {show(principals)} · boundary {boundary}"]


def _role_policy(inputs: dict, plan: Plan) -> list[str]:
    policy = json.loads(inputs.get("policy", "{}"))
    return [f"allow {show(s['Action'])} on {show(s['Resource'])}" for s in policy.get("Statement", [])]


def _log_group(inputs: dict, plan: Plan) -> list[str]:
    return [f"{inputs.get('name')} · kept {inputs.get('retentionInDays')} days"]


def _cache_policy(inputs: dict, plan: Plan) -> list[str]:
    return [f"{inputs.get('comment')}: TTL min {inputs.get('minTtl')} / default {inputs.get('defaultTtl')} / "
            f"max {inputs.get('maxTtl')} s · cache key: path only (no headers, cookies or query strings)"]


MANAGED_POLICIES = {
    CACHING_DISABLED: "not cached (Managed-CachingDisabled)",
    ALL_VIEWER_EXCEPT_HOST_HEADER: "Managed-AllViewerExceptHostHeader",
    SECURITY_HEADERS: "Managed-SecurityHeadersPolicy",
}


def _distribution(inputs: dict, plan: Plan) -> list[str]:
    certificate = inputs.get("viewerCertificate", {})
    viewer_tls = (f"ACM certificate, {certificate.get('sslSupportMethod')}, minimum "
                  f"{certificate.get('minimumProtocolVersion')}" if certificate.get("acmCertificateArn")
                  else "CloudFront default certificate (viewer TLS fixed by CloudFront)")
    lines = [
        f"aliases {show(inputs.get('aliases') or ['none'])} · {inputs.get('priceClass')} · "
        f"{inputs.get('httpVersion')} · IPv6 {show(inputs.get('isIpv6Enabled', False))}",
        f"viewer certificate: {viewer_tls}",
        f"WAF web ACL: {inputs.get('webAclId', 'none')}",
    ]
    for origin in inputs.get("origins", []):
        custom = origin.get("customOriginConfig", {})
        headers = ", ".join(f"{h['name']}: {show(h['value'])}" for h in origin.get("customHeaders", []))
        lines.append(f"origin {origin['originId']} → https://{origin['domainName']}{origin.get('originPath', '')} · "
                     f"{custom.get('originProtocolPolicy')} · {show(custom.get('originSslProtocols'))} · "
                     f"adds {headers or 'no headers'}")
    lines.append("behaviours (first match wins, default last):")
    behaviours = [*inputs.get("orderedCacheBehaviors", []), {**inputs.get("defaultCacheBehavior", {}),
                                                             "pathPattern": "default (*)"}]
    width = max(len(b["pathPattern"]) for b in behaviours)
    for b in behaviours:
        methods = "all methods" if "POST" in b.get("allowedMethods", []) else show(b.get("allowedMethods"))
        lines.append(f"{INDENT}{b['pathPattern']:<{width}}  {methods:<17} {b.get('viewerProtocolPolicy')} · "
                     f"{_cache(b.get('cachePolicyId'), plan)} · origin request "
                     f"{MANAGED_POLICIES.get(b.get('originRequestPolicyId'), b.get('originRequestPolicyId'))}")
    headers_policy = {b.get("responseHeadersPolicyId") for b in behaviours}
    lines.append("response headers: " + ", ".join(MANAGED_POLICIES.get(h, str(h)) for h in headers_policy))
    return lines


def _cache(policy_id: str, plan: Plan) -> str:
    if policy_id in MANAGED_POLICIES:
        return MANAGED_POLICIES[policy_id]
    policy = next((r for r in plan.resources if r.id == policy_id), None)
    if policy is None:
        return f"cache policy {policy_id}"
    i = policy.inputs
    return f"cached {i.get('minTtl')}/{i.get('defaultTtl')}/{i.get('maxTtl')} s"


def _random_password(inputs: dict, plan: Plan) -> list[str]:
    generation = (inputs.get("keepers") or {}).get("generation")
    return [f"{inputs.get('length')} characters, generated at deploy, kept encrypted in the stack state"
            + (f" · generation {generation}" if generation else "")]


def _origin_secret(inputs: dict, plan: Plan) -> list[str]:
    accepted = ", ".join(inputs.get("accept", []))
    if inputs.get("phase") == "rotating":
        return [f"phase: ROTATING (step 1 of 2) · CloudFront sends {inputs.get('send')} · the API accepts "
                f"{accepted}; next: accept only {inputs.get('send')}"]
    return [f"phase: steady · CloudFront sends {inputs.get('send')} · the API accepts {accepted}"]


def _stage_association(inputs: dict, plan: Plan) -> list[str]:
    return [f"{inputs.get('webAclArn', '').split('/webacl/')[-1].split('/')[0]} → {inputs.get('resourceArn')}"]


def _api_key(inputs: dict, plan: Plan) -> list[str]:
    consumer = str(inputs.get("name", "")).removeprefix(f"ml-edge-{plan.environment}-")
    origin = (f"the key value of {plan.config.region}, imported" if "value" in inputs
              else "key generated by API Gateway")
    return [f"consumer {consumer}: {origin} (value never shown) · enabled {show(inputs.get('enabled', True))}"]


def _usage_plan(inputs: dict, plan: Plan) -> list[str]:
    throttle = inputs.get("throttleSettings") or {}
    quota = inputs.get("quotaSettings")
    lines = [f"{throttle.get('rateLimit')} req/s, burst {throttle.get('burstLimit')} · "
             + (f"quota {quota.get('limit')} per {str(quota.get('period')).lower()}" if quota else "no quota")]
    for stage in inputs.get("apiStages") or []:
        throttles = [f"{t.get('path')} {t.get('rateLimit')} req/s" for t in stage.get("throttles") or []]
        lines.append(f"stage {stage.get('stage')}" + (f" · per method: {', '.join(throttles)}" if throttles else ""))
    return lines


def _metric_alarm(inputs: dict, plan: Plan) -> list[str]:
    dimensions = ", ".join(f"{k}={v}" for k, v in (inputs.get("dimensions") or {}).items())
    return [f"{inputs.get('namespace')}/{inputs.get('metricName')} ({dimensions}) {inputs.get('statistic')} "
            f"{inputs.get('comparisonOperator')} {inputs.get('threshold')} for {inputs.get('evaluationPeriods')} × "
            f"{inputs.get('period')} s · missing data {inputs.get('treatMissingData', 'missing')}"]


def _record(inputs: dict, plan: Plan) -> list[str]:
    aliases = inputs.get("aliases") or []
    if aliases:
        targets = ", ".join(a.get("name", "?") for a in aliases)
        health = " · if the target is healthy" if all(a.get("evaluateTargetHealth") for a in aliases) else ""
        answer = f"alias of {targets}{health}"
    else:
        answer = f"{show(inputs.get('records'))} (TTL {inputs.get('ttl')} s)"
    lines = [f"{inputs.get('type')} {inputs.get('name')} → {answer} (zone {inputs.get('zoneId')})"]
    latency = [policy.get("region") for policy in inputs.get("latencyRoutingPolicies") or []]
    if latency:
        check = inputs.get("healthCheckId")
        lines.append(f"latency record for {show(latency)} · health check {_name_of(check, plan) if check else 'none'}")
    return lines


def _health_check(inputs: dict, plan: Plan) -> list[str]:
    if inputs.get("type") == "CLOUDWATCH_METRIC":
        return [f"healthy while the data of alarm {inputs.get('cloudwatchAlarmName')} "
                f"({inputs.get('cloudwatchAlarmRegion')}) is within its threshold · without data: "
                f"{inputs.get('insufficientDataHealthStatus')}"]
    if inputs.get("type") == "CALCULATED":
        children = [_name_of(child, plan) for child in inputs.get("childHealthchecks") or []]
        return [f"healthy while {inputs.get('childHealthThreshold')} of {len(children)} are: {show(children)}"]
    return [f"{inputs.get('type')} {inputs.get('fqdn', '')}{inputs.get('resourcePath', '')}"]


def _certificate(inputs: dict, plan: Plan) -> list[str]:
    return [f"{inputs.get('domainName')} in {plan.region_of_inputs(inputs)} · validated by "
            f"{inputs.get('validationMethod')}"]


def _api_domain_name(inputs: dict, plan: Plan) -> list[str]:
    types = (inputs.get("endpointConfiguration") or {}).get("types")
    return [f"{inputs.get('domainName')} · {show(types)} in {plan.region_of_inputs(inputs)} · "
            f"{inputs.get('securityPolicy')}"]


def _base_path_mapping(inputs: dict, plan: Plan) -> list[str]:
    return [f"{inputs.get('domainName')}/{inputs.get('basePath')} → stage {inputs.get('stageName')} of "
            f"{_name_of(inputs.get('restApi'), plan)}"]


def _log_delivery_source(inputs: dict, plan: Plan) -> list[str]:
    return [f"{inputs.get('logType')} of {inputs.get('resourceArn')} · {inputs.get('region', plan.config.region)}"]


def _log_delivery_destination(inputs: dict, plan: Plan) -> list[str]:
    target = str((inputs.get("deliveryDestinationConfiguration") or {}).get("destinationResourceArn"))
    return [f"{inputs.get('outputFormat')} records into log group {target.split(':log-group:')[-1]} · "
            f"{inputs.get('region', plan.config.region)}"]


def _log_delivery(inputs: dict, plan: Plan) -> list[str]:
    destination = str(inputs.get("deliveryDestinationArn")).rsplit(":", 1)[-1]
    return [f"{inputs.get('deliverySourceName')} → {destination}",
            f"fields: {show(inputs.get('recordFields') or ['all (not chosen)'])}"]


def _log_resource_policy(inputs: dict, plan: Plan) -> list[str]:
    policy = json.loads(inputs.get("policyDocument", "{}"))
    return [f"{show(s['Principal']['Service'])} may {show(s['Action'])} on "
            f"{str(s['Resource']).split(':log-group:')[-1]}" for s in policy.get("Statement", [])]


def _usage_plan_key(inputs: dict, plan: Plan) -> list[str]:
    names = {r.id: r.name for r in plan.resources}
    return [f"{names.get(inputs.get('keyId'), inputs.get('keyId'))} → {names.get(inputs.get('usagePlanId'), '?')}"]


SUMMARIES: dict[str, Callable[[dict, Plan], list[str]]] = {
    API_KEY: _api_key,
    USAGE_PLAN: _usage_plan,
    USAGE_PLAN_KEY: _usage_plan_key,
    CLIENT_CERTIFICATE: lambda i, p: [
        "generated by API Gateway (valid one year); its public PEM is in the stack output "
        + ("backendClientCertificatesByRegion" if len(p.config.regions) > 1 else "backendClientCertificates")],
    DNS_RECORD: _record,
    HEALTH_CHECK: _health_check,
    EVENT_RULE: lambda i, p: [f"{i.get('scheduleExpression')} in {p.region_of_inputs(i)}"],
    EVENT_TARGET: lambda i, p: [f"{i.get('rule')} → {i.get('arn')}"],
    CERTIFICATE: _certificate,
    API_DOMAIN_NAME: _api_domain_name,
    BASE_PATH_MAPPING: _base_path_mapping,
    METRIC_ALARM: _metric_alarm,
    LOG_DELIVERY_SOURCE: _log_delivery_source,
    LOG_DELIVERY_DESTINATION: _log_delivery_destination,
    LOG_DELIVERY: _log_delivery,
    LOG_RESOURCE_POLICY: _log_resource_policy,
    REST_API: _rest_api,
    STAGE: _stage,
    METHOD_SETTINGS: _method_settings,
    DEPLOYMENT: lambda i, p: [f"triggers {show(i.get('triggers'))}"],
    WEB_ACL: _web_acl,
    WEB_ACL_ASSOCIATION: _stage_association,
    FUNCTION: _function,
    LAMBDA_PERMISSION: _permission,
    IAM_ROLE: _role,
    IAM_ROLE_POLICY: _role_policy,
    IAM_ROLE_POLICY_ATTACHMENT: lambda i, p: [f"attach {i.get('policyArn')}"],
    LOG_GROUP: _log_group,
    CACHE_POLICY: _cache_policy,
    DISTRIBUTION: _distribution,
    RANDOM_PASSWORD: _random_password,
    "ml-edge:index:OriginSecret": _origin_secret,
}
