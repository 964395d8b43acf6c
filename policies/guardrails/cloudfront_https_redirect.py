"""Viewers never talk plain HTTP. A behaviour that accepts POST (or PUT, PATCH, DELETE) refuses HTTP
(`https-only`): clients follow a 301 redirect with a GET, so a redirected POST would silently lose its method and
body. Read-only behaviours use one of the configured policies (`redirect-to-https` by default)."""

from pulumi_policy import EnforcementLevel

from .aws import DISTRIBUTION
from .rule import Finding, Resource, Rule, behaviours, one_of, shown

SAFE_POLICIES = ["redirect-to-https", "https-only"]
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def scan(distribution: Resource, config: dict):
    allowed = [p for p in config["allowedViewerProtocolPolicies"] if p in SAFE_POLICIES]
    for path, behaviour in behaviours(distribution):
        policy = behaviour.get("viewerProtocolPolicy")
        methods = behaviour.get("allowedMethods")
        writes = [m for m in WRITE_METHODS if isinstance(methods, list) and m in [str(x).upper() for x in methods]]
        if writes and policy != "https-only":
            yield Finding(f"{path}.viewerProtocolPolicy", f"{shown(policy)} with allowedMethods including "
                          f"{', '.join(writes)}", '"https-only" (a 301 redirect turns a POST into a GET)')
        elif not writes and policy not in allowed:
            yield Finding(f"{path}.viewerProtocolPolicy", shown(policy), one_of(allowed))


RULE = Rule(
    name="cloudfront-https-redirect",
    description="No cache behaviour of any CloudFront distribution serves plain HTTP: behaviours that accept POST, "
                "PUT, PATCH or DELETE are https-only, read-only ones redirect HTTP to HTTPS; allow-all is never "
                "accepted.",
    remediation="Set viewer_protocol_policy='https-only' on every behaviour whose allowed_methods include POST "
                "(the predict path and the default behaviour) and 'redirect-to-https' on the read-only ones "
                "(/health, /models) in program/ml_edge/edge.py.",
    config={"allowedViewerProtocolPolicies": {
        "type": "array", "items": {"type": "string", "enum": SAFE_POLICIES}, "minItems": 1,
        "default": ["redirect-to-https"],
        "description": "Viewer protocol policies accepted on read-only behaviours (GET, HEAD, OPTIONS); "
                       "'https-only' may be added, 'allow-all' never. Behaviours that accept POST, PUT, PATCH or "
                       "DELETE are always 'https-only'.",
    }},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
