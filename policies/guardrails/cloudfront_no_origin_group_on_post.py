"""No behaviour that allows POST relies on an origin group: CloudFront fails over to an origin group's secondary
origin only for GET, HEAD and OPTIONS requests, never for POST, PUT, PATCH or DELETE (CloudFront Developer Guide,
"Optimize high availability with CloudFront origin failover" and "Request and response behavior for origin
groups"). Inference (POST …/predict) would look highly available and fail with its primary origin. Its failover
happens in DNS instead: the latency-routed origin name, one health-checked record per region
(route53-latency-health-checked). Read-only behaviours may use an origin group.
"""

from pulumi_policy import EnforcementLevel

from .aws import DISTRIBUTION
from .rule import Finding, Resource, Rule, behaviours, mapping, one_of

FAILED_OVER_METHODS = ("GET", "HEAD", "OPTIONS")


def scan(distribution: Resource, config: dict):
    groups = {mapping(g).get("originId") for g in distribution.props.get("originGroups") or []} - {None}
    for where, behaviour in behaviours(distribution):
        methods = behaviour.get("allowedMethods")
        target = behaviour.get("targetOriginId")
        if target not in groups or not isinstance(methods, list):
            continue
        never_failed_over = [m for m in methods if str(m).upper() not in FAILED_OVER_METHODS]
        if never_failed_over:
            yield Finding(f"{where}.targetOriginId",
                          f'"{target}", an origin group, on a behaviour that allows {one_of(never_failed_over)} '
                          f"(CloudFront fails over only {', '.join(FAILED_OVER_METHODS)})",
                          "a single origin (for inference, the latency-routed origin name, which fails over in "
                          "DNS); an origin group only on behaviours allowing GET, HEAD and OPTIONS alone")


RULE = Rule(
    name="cloudfront-no-origin-group-on-post",
    description="No CloudFront cache behaviour that allows POST (or PUT, PATCH, DELETE) targets an origin group: "
                "CloudFront fails over only GET, HEAD and OPTIONS requests.",
    remediation="Point the behaviour at the single latency-routed origin (program/ml_edge/edge.py): Route 53's "
                "health-checked latency records move inference away from a failing region. Keep origin groups to "
                "read-only behaviours.",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
