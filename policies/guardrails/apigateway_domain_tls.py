"""API Gateway custom domain names (with several regions, each region's name for the latency-routed origin) accept
TLS 1.2 or newer only. A domain name's security policy is TLS_1_0 or TLS_1_2 (legacy), or an enhanced policy named
`SecurityPolicy_…` ("Choose a security policy for your custom domain in API Gateway"); TLS_1_0 still accepts
TLS 1.0 and 1.1. Peers: Checkov CKV_AWS_206, Pulumi's aws-apigateway-domainname-configure-security-policy."""

from pulumi_policy import EnforcementLevel

from .aws import API_DOMAIN_NAME
from .rule import UNKNOWN, Finding, Resource, Rule, shown


def scan(domain: Resource, config: dict):
    policy = domain.props.get("securityPolicy")
    if policy is UNKNOWN or policy in config["allowedSecurityPolicies"]:
        return
    yield Finding("securityPolicy", shown(policy) if policy else "not set (API Gateway then chooses)",
                  " or ".join(f'"{allowed}"' for allowed in config["allowedSecurityPolicies"]))


RULE = Rule(
    name="apigateway-domain-tls",
    description="Every API Gateway custom domain name sets a security policy that refuses TLS 1.0 and 1.1.",
    remediation="Set security_policy='TLS_1_2' on the DomainName (program/ml_edge/origin_domain.py).",
    config={"allowedSecurityPolicies": {"type": "array", "items": {"type": "string"},
                                        "default": ["TLS_1_2", "SecurityPolicy_TLS13_1_3_2025_09"],
                                        "description": "Security policies a domain name may set."}},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(API_DOMAIN_NAME,),
    scan=scan,
)
