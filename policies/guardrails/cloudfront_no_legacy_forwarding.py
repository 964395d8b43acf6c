"""Behaviours use cache and origin request policies, not legacy forwarded_values (which can forward Host)."""

from .aws import DISTRIBUTION
from .rule import Finding, Resource, Rule, behaviours


def scan(distribution: Resource, config: dict):
    for path, behaviour in behaviours(distribution):
        if behaviour.get("forwardedValues"):
            yield Finding(f"{path}.forwardedValues", "set", "not set: use cache_policy_id and origin_request_policy_id")


RULE = Rule(
    name="cloudfront-no-legacy-forwarding",
    description="No cache behaviour uses legacy forwarded_values; cache and origin request policies decide what "
                "reaches the origin (the viewer's Host header must not reach API Gateway).",
    remediation="Replace forwarded_values with cache_policy_id and origin_request_policy_id (the managed "
                "AllViewerExceptHostHeader policy for API Gateway origins).",
    config={},
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
