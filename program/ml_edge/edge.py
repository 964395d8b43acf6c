"""Edge: the CloudFront distribution in front of the regional APIs.

inputs   the origins (ApiOrigin handles: one today; each API's host, stage path and guard, which is updated before
         CloudFront), EdgeSettings (the part of the config the edge uses), the origin secret
creates  cache policies for /health and /models (TTLs from the settings) · (optional) a WAF web ACL in us-east-1 ·
         the distribution: HTTPS only, HTTP/2 and 3, each API an https-only TLSv1.2 origin carrying the secret
         header, the viewer's Host header never forwarded, inference (POST) never cached, security headers (HSTS);
         every behaviour routes to the first origin · its access logs (standard logging v2 into CloudWatch Logs,
         edge_logs.py) · (custom domain with a hosted zone) Route 53 A and AAAA alias records for the domain
outputs  distribution_id, domain_name, url (the custom domain when one is configured)
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .config import CacheConfig, CustomDomain, Ttl, default
from .edge_logs import access_logs
from .origin import ApiOrigin
from .origin_secret import OriginSecret

# AWS managed policies (IDs are the same in every account)
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"

ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
CACHED_METHODS = ["GET", "HEAD"]
VIEWER_TLS_WITH_CUSTOM_CERT = "TLSv1.2_2021"
WAF_REGION = "us-east-1"  # CloudFront web ACLs live in us-east-1
CLOUDFRONT_HOSTED_ZONE = "Z2FDTNDATAQYW2"  # the zone of every alias to a CloudFront distribution (AWS-documented)
# Plain HTTP: read-only behaviours redirect to HTTPS; a behaviour that takes POST refuses it (403), because a
# client follows a 301 to a POST with a GET and would get the wrong answer instead of an error.
READ_ONLY_VIEWER_POLICY = "redirect-to-https"
WRITE_VIEWER_POLICY = "https-only"


@dataclass(frozen=True)
class EdgeSettings:
    """What the edge takes from the environment's config (stack.py builds it); the defaults are the config's."""

    environment: str
    """Names the distribution (its comment), the WAF web ACL's description and the access-log group."""
    price_class: str = default("price_class")
    """The edge locations that serve the API: `PriceClass_100`, `PriceClass_200` or `PriceClass_All`."""
    health_ttl: Ttl = default("health", CacheConfig)
    """How long CloudFront keeps `GET /health`."""
    catalog_ttl: Ttl = default("catalog", CacheConfig)
    """How long CloudFront keeps `GET /models`."""
    custom_domain: CustomDomain | None = default("custom_domain")
    """The distribution's alias and its us-east-1 certificate (viewer TLS 1.2); with a hosted zone, its A and AAAA
    records. None: CloudFront's own `*.cloudfront.net` name and certificate."""
    waf_rate_limit: int | None = None
    """Requests per IP per 5 minutes of a WAF web ACL on the distribution (with AWS's IP reputation and known bad
    inputs rules). None: no web ACL (the config's default)."""
    log_retention_days: int = default("log_retention_days")
    """Days CloudWatch Logs keeps the access logs."""


class InvalidOrigins(ValueError):
    """The edge was handed no origin, or two with one id: a program error, raised before anything is registered."""


def check_origins(name: str, origins: Sequence[ApiOrigin]) -> None:
    if not origins:
        raise InvalidOrigins(f"Edge {name}: needs at least one origin (an ApiOrigin of a ModelApi), got none")
    ids = [o.origin_id for o in origins]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InvalidOrigins(f"Edge {name}: origin ids must be distinct (behaviours target them); repeated: "
                             f"{', '.join(repeated)} in {', '.join(ids)}")


class Edge(pulumi.ComponentResource):
    distribution_id: pulumi.Output[str]
    domain_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, origins: Sequence[ApiOrigin], settings: EdgeSettings, origin_secret: OriginSecret,
                 opts: pulumi.ResourceOptions | None = None):
        check_origins(name, origins)
        super().__init__("ml-edge:index:Edge", name, None, opts)
        health = self._cache_policy(f"{name}-health", settings.health_ttl, "GET /health")
        catalog = self._cache_policy(f"{name}-catalog", settings.catalog_ttl, "GET /models")
        web_acl = (self._web_acl(name, settings.environment, settings.waf_rate_limit)
                   if settings.waf_rate_limit is not None else None)
        target = origins[0].origin_id

        def behaviour(path: str | None, cache_policy_id: pulumi.Input[str], methods: list[str]) -> dict:
            return {
                **({"path_pattern": path} if path else {}),
                "target_origin_id": target,
                "viewer_protocol_policy": WRITE_VIEWER_POLICY if "POST" in methods else READ_ONLY_VIEWER_POLICY,
                "allowed_methods": methods,
                "cached_methods": CACHED_METHODS,
                "cache_policy_id": cache_policy_id,
                "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_HEADER,
                "response_headers_policy_id": SECURITY_HEADERS,
                "compress": True,
            }

        domain = settings.custom_domain
        self.distribution = aws.cloudfront.Distribution(
            name,
            comment=f"ml-edge {settings.environment}",
            enabled=True,
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=settings.price_class,
            aliases=[domain.domain_name] if domain else None,
            origins=[{
                "origin_id": origin.origin_id,
                "domain_name": origin.domain_name,
                "origin_path": origin.origin_path,
                "custom_origin_config": {
                    "http_port": 80,
                    "https_port": 443,
                    "origin_protocol_policy": "https-only",
                    "origin_ssl_protocols": ["TLSv1.2"],
                },
                "custom_headers": [{"name": origin_secret.header, "value": origin_secret.sent}],
            } for origin in origins],
            default_cache_behavior=behaviour(None, CACHING_DISABLED, ALL_METHODS),
            ordered_cache_behaviors=[
                behaviour("/health", health.id, READ_METHODS),
                behaviour("/models", catalog.id, READ_METHODS),
                behaviour("/models/*/predict", CACHING_DISABLED, ALL_METHODS),
            ],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=(
                {"acm_certificate_arn": domain.certificate_arn, "ssl_support_method": "sni-only",
                 "minimum_protocol_version": VIEWER_TLS_WITH_CUSTOM_CERT}
                if domain else {"cloudfront_default_certificate": True}
            ),
            web_acl_id=web_acl.arn if web_acl else None,
            # during a rotation CloudFront switches to the new secret only after every API's guard accepts it
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(dict.fromkeys(
                resource for origin in origins for resource in (origin.guard, *origin.also_waits_for)))),
        )
        access_logs(name, self, self.distribution, settings.environment, settings.log_retention_days)
        if domain and domain.hosted_zone_id:
            self._alias_records(name, domain)
        self.distribution_id = self.distribution.id
        self.domain_name = self.distribution.domain_name
        self.url = (pulumi.Output.from_input(f"https://{domain.domain_name}") if domain
                    else pulumi.Output.concat("https://", self.distribution.domain_name))
        self.register_outputs({"distribution_id": self.distribution_id, "url": self.url})

    def _alias_records(self, name: str, domain: CustomDomain) -> None:
        """A (IPv4) and AAAA (IPv6, the distribution has IPv6 on) aliases of the custom domain to the distribution."""
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{name}-{record_type.lower()}",
                zone_id=domain.hosted_zone_id,
                name=domain.domain_name,
                type=record_type,
                aliases=[{"name": self.distribution.domain_name, "zone_id": CLOUDFRONT_HOSTED_ZONE,
                          "evaluate_target_health": False}],
                allow_overwrite=True,  # takes over records created by hand before hostedZoneId was set
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _cache_policy(self, name: str, ttl: Ttl, route: str) -> aws.cloudfront.CachePolicy:
        nothing = {"cookies_config": {"cookie_behavior": "none"}, "headers_config": {"header_behavior": "none"},
                   "query_strings_config": {"query_string_behavior": "none"}}
        compress = ttl.max_ttl > 0
        return aws.cloudfront.CachePolicy(
            name,
            comment=f"ml-edge {route}",
            min_ttl=ttl.min_ttl,
            default_ttl=ttl.default_ttl,
            max_ttl=ttl.max_ttl,
            # CloudFront rejects compression settings in the cache key of a policy that never caches (maxTtl 0)
            parameters_in_cache_key_and_forwarded_to_origin={
                **nothing, "enable_accept_encoding_gzip": compress, "enable_accept_encoding_brotli": compress,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _web_acl(self, name: str, environment: str, rate_limit: int) -> aws.wafv2.WebAcl:
        def visibility(metric: str) -> dict:
            # sampled requests would show viewers' request headers, consumer keys (x-api-key) included
            return {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": False, "metric_name": metric}

        def managed(priority: int, group: str) -> dict:
            return {"name": group, "priority": priority, "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                    "visibility_config": visibility(f"{name}-{group}")}

        return aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="CLOUDFRONT",
            region=WAF_REGION,
            description=f"ml-edge {environment}: rate limit and AWS managed protections",
            default_action={"allow": {}},
            rules=[
                {"name": "rate-limit-per-ip", "priority": 0, "action": {"block": {}},
                 "statement": {"rate_based_statement": {"limit": rate_limit, "aggregate_key_type": "IP"}},
                 "visibility_config": visibility(f"{name}-rate-limit")},
                managed(1, "AWSManagedRulesAmazonIpReputationList"),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
            visibility_config=visibility(f"{name}-waf"),
            opts=pulumi.ResourceOptions(parent=self),
        )
