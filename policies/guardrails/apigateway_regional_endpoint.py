"""The REST API is REGIONAL: an EDGE API behind our own CloudFront would be a CDN behind a CDN."""

from pulumi_policy import EnforcementLevel

from .aws import REST_API
from .rule import UNKNOWN, Finding, Resource, Rule, shown


def scan(api: Resource, config: dict):
    types = (api.props.get("endpointConfiguration") or {}).get("types")
    if types is UNKNOWN:
        return
    values = types if isinstance(types, list) else [types]  # a single string since pulumi-aws v7
    if values != ["REGIONAL"]:
        yield Finding("endpointConfiguration.types", shown(types) if types else 'not set (API Gateway uses "EDGE")',
                      '"REGIONAL"')


RULE = Rule(
    name="apigateway-regional-endpoint",
    description="Every API Gateway REST API uses a REGIONAL endpoint.",
    remediation="Set endpoint_configuration={'types': 'REGIONAL'} on the RestApi (program/ml_edge/api.py).",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(REST_API,),
    scan=scan,
)
