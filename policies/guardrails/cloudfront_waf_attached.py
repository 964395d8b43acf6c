"""A WAF web ACL protects the distribution (rate limits, managed rules)."""

from .aws import DISTRIBUTION
from .rule import Finding, Resource, Rule


def scan(distribution: Resource, config: dict):
    if not distribution.props.get("webAclId"):
        yield Finding("webAclId", "not set", "a WAF web ACL (ml-edge:waf.enabled: true)")


RULE = Rule(
    name="cloudfront-waf-attached",
    description="Every CloudFront distribution has a WAF web ACL attached.",
    remediation="Set ml-edge:waf.enabled: true (and a rateLimit) in environments/<env>/Pulumi.<env>.yaml.",
    config={},
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
