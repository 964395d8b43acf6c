"""CloudFront talks to custom origins over HTTPS only, with TLSv1.2 only."""

from pulumi_policy import EnforcementLevel

from .aws import DISTRIBUTION
from .rule import Finding, Resource, Rule, one_of, shown


def scan(distribution: Resource, config: dict):
    allowed_protocols = config["allowedSslProtocols"]
    for index, origin in enumerate(distribution.props.get("origins") or []):
        custom = origin.get("customOriginConfig")
        if not isinstance(custom, dict):
            continue  # S3 and VPC origins have their own settings
        where = f"origins[{index}] ({origin.get('originId')}).customOriginConfig"
        policy = custom.get("originProtocolPolicy")
        if policy != "https-only":
            yield Finding(f"{where}.originProtocolPolicy", shown(policy), '"https-only"')
        protocols = custom.get("originSslProtocols") or []
        extra = [p for p in protocols if p not in allowed_protocols]
        if extra or not protocols:
            yield Finding(f"{where}.originSslProtocols", f"[{one_of(protocols)}]", f"only {one_of(allowed_protocols)}")


RULE = Rule(
    name="cloudfront-origin-https",
    description="Custom origins (the API) are reached over HTTPS only, with TLSv1.2 and nothing older.",
    remediation="In the origin's custom_origin_config set origin_protocol_policy='https-only' and "
                "origin_ssl_protocols=['TLSv1.2'].",
    config={"allowedSslProtocols": {
        "type": "array", "items": {"type": "string", "enum": ["TLSv1.2"]}, "minItems": 1, "default": ["TLSv1.2"],
        "description": "Origin TLS protocols accepted (CloudFront offers SSLv3, TLSv1, TLSv1.1, TLSv1.2).",
    }},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
