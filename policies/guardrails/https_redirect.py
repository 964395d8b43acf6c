"""Viewers never talk plain HTTP: every cache behaviour redirects HTTP to HTTPS (or refuses HTTP)."""

from pulumi_policy import EnforcementLevel

from .aws import DISTRIBUTION
from .rule import Finding, Resource, Rule, behaviours, one_of, shown

SAFE_POLICIES = ["redirect-to-https", "https-only"]


def scan(distribution: Resource, config: dict):
    allowed = [p for p in config["allowedViewerProtocolPolicies"] if p in SAFE_POLICIES]
    for path, behaviour in behaviours(distribution):
        policy = behaviour.get("viewerProtocolPolicy")
        if policy not in allowed:
            yield Finding(f"{path}.viewerProtocolPolicy", shown(policy), one_of(allowed))

RULE = Rule(
    name="cloudfront-https-redirect",
    description="Every cache behaviour of every CloudFront distribution redirects HTTP to HTTPS; allow-all is "
                "never accepted.",
    remediation="Set viewer_protocol_policy='redirect-to-https' on default_cache_behavior and on every "
                "ordered_cache_behaviors entry (program/ml_edge/edge.py does this for every behaviour).",
    config={"allowedViewerProtocolPolicies": {
        "type": "array", "items": {"type": "string", "enum": SAFE_POLICIES}, "minItems": 1,
        "default": ["redirect-to-https"],
        "description": "Viewer protocol policies accepted; 'https-only' may be added, 'allow-all' never.",
    }},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
