"""With a custom certificate, viewers must use a modern TLS policy."""

from .aws import DISTRIBUTION
from .rule import UNKNOWN, Finding, Resource, Rule, shown

# CloudFront's security policies, oldest first
PROTOCOL_VERSIONS = ["SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021",
                     "TLSv1.2_2025", "TLSv1.3_2025"]


def scan(distribution: Resource, config: dict):
    certificate = distribution.props.get("viewerCertificate") or {}
    if not (certificate.get("acmCertificateArn") or certificate.get("iamCertificateId")):
        return  # the default *.cloudfront.net certificate has a fixed policy
    version = certificate.get("minimumProtocolVersion")
    minimum = config["minimumProtocolVersion"]
    if version is UNKNOWN:
        return
    if version not in PROTOCOL_VERSIONS or PROTOCOL_VERSIONS.index(version) < PROTOCOL_VERSIONS.index(minimum):
        newer = PROTOCOL_VERSIONS[PROTOCOL_VERSIONS.index(minimum):]
        yield Finding("viewerCertificate.minimumProtocolVersion", shown(version), ", ".join(newer))


RULE = Rule(
    name="cloudfront-viewer-tls",
    description="A distribution with a custom certificate requires TLS ≥ TLSv1.2_2021 from viewers.",
    remediation="Set viewer_certificate.minimum_protocol_version='TLSv1.2_2021' (program/ml_edge/edge.py does "
                "so whenever ml-edge:customDomain is set).",
    config={"minimumProtocolVersion": {"type": "string", "enum": PROTOCOL_VERSIONS, "default": "TLSv1.2_2021",
                                       "description": "Oldest CloudFront security policy accepted."}},
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
