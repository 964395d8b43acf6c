"""Viewers reach the distribution with modern TLS: with a custom certificate, a security policy of at least the
minimum and SNI (a dedicated-IP certificate serves legacy clients, at a monthly charge); where the environment
requires it, a custom certificate at all (the default *.cloudfront.net certificate keeps CloudFront's own policy,
which still accepts TLSv1)."""

from .aws import DISTRIBUTION
from .rule import UNKNOWN, Finding, Resource, Rule, shown

# CloudFront's security policies, oldest first
PROTOCOL_VERSIONS = ["SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021",
                     "TLSv1.2_2025", "TLSv1.3_2025"]
SNI_ONLY = "sni-only"


def scan(distribution: Resource, config: dict):
    certificate = distribution.props.get("viewerCertificate") or {}
    if not (certificate.get("acmCertificateArn") or certificate.get("iamCertificateId")):
        # the default *.cloudfront.net certificate has a fixed policy
        if config["requireCustomCertificate"]:
            yield Finding("viewerCertificate", "the default *.cloudfront.net certificate (its policy accepts TLSv1)",
                          "an ACM certificate (ml-edge:customDomain) with a security policy of at least "
                          f"{config['minimumProtocolVersion']}")
        return
    version = certificate.get("minimumProtocolVersion")
    minimum = config["minimumProtocolVersion"]
    if version is not UNKNOWN and (version not in PROTOCOL_VERSIONS
                                   or PROTOCOL_VERSIONS.index(version) < PROTOCOL_VERSIONS.index(minimum)):
        newer = PROTOCOL_VERSIONS[PROTOCOL_VERSIONS.index(minimum):]
        yield Finding("viewerCertificate.minimumProtocolVersion", shown(version), ", ".join(newer))
    method = certificate.get("sslSupportMethod")
    if method is not UNKNOWN and method != SNI_ONLY:
        yield Finding("viewerCertificate.sslSupportMethod", shown(method), f'"{SNI_ONLY}"')


RULE = Rule(
    name="cloudfront-viewer-tls",
    description="A distribution with a custom certificate requires TLS ≥ TLSv1.2_2021 from viewers, over SNI; where "
                "required, the distribution has a custom certificate at all.",
    remediation="Set ml-edge:customDomain (program/ml_edge/edge.py then sets an ACM certificate with "
                "minimum_protocol_version='TLSv1.2_2021' and ssl_support_method='sni-only').",
    config={"minimumProtocolVersion": {"type": "string", "enum": PROTOCOL_VERSIONS, "default": "TLSv1.2_2021",
                                       "description": "Oldest CloudFront security policy accepted."},
            "requireCustomCertificate": {"type": "boolean", "default": False,
                                         "description": "Whether the default *.cloudfront.net certificate (whose "
                                                        "policy accepts TLSv1) is refused."}},
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
