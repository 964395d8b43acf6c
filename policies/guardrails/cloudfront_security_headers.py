"""Every behaviour attaches a response headers policy (HSTS and the other security headers)."""

from .aws import DISTRIBUTION
from .rule import Finding, Resource, Rule, behaviours

MANAGED_SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"


def scan(distribution: Resource, config: dict):
    for path, behaviour in behaviours(distribution):
        if not behaviour.get("responseHeadersPolicyId"):
            yield Finding(f"{path}.responseHeadersPolicyId", "not set",
                          f'a response headers policy with HSTS, e.g. Managed-SecurityHeadersPolicy '
                          f'"{MANAGED_SECURITY_HEADERS}"')


RULE = Rule(
    name="cloudfront-security-headers",
    description="Every cache behaviour attaches a response headers policy that adds HSTS and security headers.",
    remediation="Set response_headers_policy_id on every behaviour (the managed SecurityHeadersPolicy is "
                f"{MANAGED_SECURITY_HEADERS}).",
    config={},
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
