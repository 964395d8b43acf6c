"""The plan stays within AWS's quotas: what it uses, counted per region (per account where the quota is global),
against each quota's default from AWS's documentation, or the raised value an environment's policy.json gives.

This rule (mandatory) finds a quota exceeded; aws_quotas_headroom.py (advisory) reuses its counting to warn above
80 % (a CrossGuard policy has one enforcement level, so one rule cannot both warn and block).
The pack sees one stack: quotas per account or per account and region are shared with every other stack and
resource of the account, so a plan within them can still fail when the account already uses its share.

Left out: WAF web ACL capacity units (1,500 per web ACL): the managed rule groups' WCUs are not in the plan.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pulumi_policy import EnforcementLevel

from .aws import DISTRIBUTION, FUNCTION, HEALTH_CHECK, REST_API, USAGE_PLAN
from .openapi import document
from .rule import UNKNOWN, Finding, Resource, Rule, behaviours, region_of

API_KEY = "aws:apigateway/apiKey:ApiKey"
SERVICE_QUOTAS = "the Service Quotas console or `aws service-quotas request-service-quota-increase`"


@dataclass(frozen=True)
class Quota:
    key: str  # its name in policy.json's "raised"
    title: str
    default: int
    document: str  # the AWS page the default comes from
    raise_how: str
    count: Callable[[list[Resource]], Iterator[tuple[str, Resource, int]]]  # (scope, resource at fault, usage)
    reserved: int = 0  # part of the quota the plan may never use (Lambda's unreserved minimum)


def _region(resource: Resource) -> str:
    region = region_of(resource)
    return region if isinstance(region, str) else "the stack's region"


def _per_region(kind: str) -> Callable[[list[Resource]], Iterator[tuple[str, Resource, int]]]:
    def count(resources: list[Resource]):
        for region, found in _grouped(r for r in resources if r.type == kind).items():
            yield region, found[0], len(found)
    return count


def _grouped(resources) -> dict[str, list[Resource]]:
    grouped: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        grouped[_region(resource)].append(resource)
    return grouped


def api_resources(openapi: dict) -> int:
    """The API Gateway resources an imported OpenAPI body creates: the root and every prefix of every path."""
    paths = openapi.get("paths")
    found = {"/"}
    for path in (paths if isinstance(paths, dict) else {}):
        parts = [p for p in str(path).split("/") if p]
        found.update("/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return len(found)


def _resources_per_api(resources: list[Resource]):
    for api in (r for r in resources if r.type == REST_API):
        openapi = document(api)
        if isinstance(openapi, dict):
            yield f"{_region(api)}, REST API {api.name}", api, api_resources(openapi)


def _reserved_concurrency(resources: list[Resource]):
    for region, found in _grouped(r for r in resources if r.type == FUNCTION).items():
        reserved = [r.props.get("reservedConcurrentExecutions") for r in found]
        yield region, found[0], sum(v for v in reserved if isinstance(v, int) and v > 0)


def _cache_behaviours(resources: list[Resource]):
    for distribution in (r for r in resources if r.type == DISTRIBUTION):
        yield f"distribution {distribution.name}", distribution, len(behaviours(distribution))


def _health_checks(resources: list[Resource]):
    checks = [r for r in resources if r.type == HEALTH_CHECK]
    if checks:
        yield "the account (Route 53 is global)", checks[0], len(checks)


APIGW_DOC = '"Quotas for configuring and running a REST API in API Gateway" (API Gateway Developer Guide)'
QUOTAS = (
    Quota("resources-per-api", "API Gateway resources per REST API", 300, APIGW_DOC,
          f"per API, {SERVICE_QUOTAS} (service apigateway)", _resources_per_api),
    Quota("usage-plans-per-region", "API Gateway usage plans per account per Region", 300, APIGW_DOC,
          f"{SERVICE_QUOTAS} --service-code apigateway --quota-code L-E8693075", _per_region(USAGE_PLAN)),
    Quota("api-keys-per-region", "API Gateway API keys per account per Region", 10_000, APIGW_DOC,
          "AWS lists it as not adjustable: fewer keys (or another account)", _per_region(API_KEY)),
    Quota("cache-behaviors-per-distribution", "CloudFront cache behaviors per distribution", 75,
          '"Quotas" (CloudFront Developer Guide)', f"{SERVICE_QUOTAS} (service cloudfront)", _cache_behaviours),
    Quota("lambda-concurrency-per-region", "Lambda reserved concurrency per account per Region (concurrent "
          "executions 1,000, less the 100 Lambda keeps unreserved)", 1_000, '"Lambda quotas" and "Managing Lambda '
          'reserved concurrency" (Lambda Developer Guide)', f"{SERVICE_QUOTAS} (service lambda, Concurrent "
          "executions); give the raised account concurrency", _reserved_concurrency, reserved=100),
    Quota("health-checks-per-account", "Route 53 health checks per account", 200,
          '"Quotas" (Route 53 Developer Guide)', f"{SERVICE_QUOTAS} (service route53, in us-east-1)",
          _health_checks),
)
RAISED_SETTING = {"type": "object", "default": {},
                  "properties": {q.key: {"type": "integer", "minimum": 1} for q in QUOTAS},
                  "additionalProperties": False,
                  "description": "Quotas the account has raised (a reviewed change): quota name → its new value."}


def usage(resources: list[Resource], config: dict) -> Iterator[tuple[Quota, str, Resource, int, int]]:
    """(quota, scope, resource at fault, count, limit) for everything the plan counts against a quota."""
    raised = config.get("raised") or {}
    if any(r.props.get("region") is UNKNOWN for r in resources):
        return  # a region known only at deploy: no count per region
    for quota in QUOTAS:
        limit = int(raised.get(quota.key, quota.default)) - quota.reserved
        for scope, resource, count in quota.count(resources):
            yield quota, scope, resource, count, limit


def finding(quota: Quota, scope: str, resource: Resource, count: int, limit: int, what: str) -> Finding:
    return Finding(f"{quota.title} in {scope}", f"{count} of {limit} ({count * 100 / max(limit, 1):.1f} %, {what})",
                   f"at most {limit} (AWS default {quota.default}"
                   f"{f' less {quota.reserved}' if quota.reserved else ''}, from {quota.document}; "
                   f"raised with {quota.raise_how}, then `raised.{quota.key}` in environments/<env>/policy.json)",
                   resource=resource)


def over_quota(resources: list[Resource], config: dict):
    for quota, scope, resource, count, limit in usage(resources, config):
        if count > limit:
            yield finding(quota, scope, resource, count, limit, "over the quota: AWS refuses the deploy")


REMEDIATION = ("Use fewer (models, consumers, behaviours, functions' reserved concurrency), or raise the quota "
               "with AWS (Service Quotas) and record the raised value under `raised` in the environment's "
               "policy.json, a reviewed change.")
RULE = Rule(
    name="aws-quotas",
    description="The plan stays within AWS's default (or recorded raised) quotas, counted per region: resources "
                "per REST API, usage plans and API keys per region, cache behaviours per distribution, Lambda "
                "reserved concurrency, Route 53 health checks.",
    remediation=REMEDIATION,
    config={"raised": RAISED_SETTING},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=over_quota,
)
