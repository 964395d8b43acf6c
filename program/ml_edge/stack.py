"""One environment: config in, components, stack outputs out (their names are a contract, see DESIGN.md).

The one place that reads the whole EnvConfig: each component gets the args of its own (the part of the config it
uses) and typed handles of the others (the API's origin, the consumers' keys and authorizer, the origin secret).
Each region of `ml-edge:regions` gets its regional part (regional.py); with more than one, CloudFront reaches them
through the latency-routed origin domain (origin_domain.py), and `originUrl` stays the first region's.
"""

import pulumi

from . import naming
from .api import ModelApi
from .config import EnvConfig
from .edge import Edge, EdgeSettings
from .origin_domain import LatencyOrigin
from .origin_secret import OriginSecret
from .outputs import HEARTBEAT_OUTPUT, ROTATION_OUTPUT
from .regional import RegionalApi, api_args, consumers_args, function_settings, regional_api, usage_plans_args
from .smoke_heartbeat import SmokeHeartbeat, SmokeHeartbeatArgs

# each described in outputs.py (tests/test_docs.py keeps the two equal): the contract's, then what parts add
OUTPUT_NAMES = ("edgeUrl", "originUrl", "distributionId", "apiId", "stage", "models", "environment")
CONSUMER_OUTPUTS = ("consumerKeyIds", "consumerPlans", "smokeApiKey", "smokeKeyPlan")
RESTRICTED_SMOKE_OUTPUTS = ("smokeRestrictedApiKey", "smokeRestrictedModels")
BACKEND_OUTPUTS = ("backendClientCertificate", "backendClientCertificates")
REGION_OUTPUTS = ("regions", "originUrls")  # with more than one region

__all__ = ["api_args", "build", "consumers_args", "function_settings", "usage_plans_args"]


def edge_settings(cfg: EnvConfig) -> EdgeSettings:
    return EdgeSettings(environment=cfg.environment, price_class=cfg.price_class, health_ttl=cfg.cache.health,
                        catalog_ttl=cfg.cache.catalog, custom_domain=cfg.custom_domain,
                        waf_rate_limit=cfg.waf.rate_limit if cfg.waf.enabled else None,
                        log_retention_days=cfg.log_retention_days)


def heartbeat_args(cfg: EnvConfig) -> SmokeHeartbeatArgs:
    return SmokeHeartbeatArgs(environment=cfg.environment, hours=cfg.smoke_heartbeat_hours)


def regional_parts(cfg: EnvConfig, secret: OriginSecret) -> list[RegionalApi]:
    """One per region, the stack's own first; the others import its consumers' keys."""
    home = regional_api(cfg, cfg.region, secret)
    return [home, *(regional_api(cfg, region, secret, home.consumers) for region in cfg.regions[1:])]


def build(cfg: EnvConfig) -> dict[str, pulumi.Output]:
    prefix = naming.stack_prefix(cfg.environment)
    secret = OriginSecret(f"{prefix}-origin-secret", cfg.origin_secret)
    parts = regional_parts(cfg, secret)
    consumers, api, usage = parts[0].consumers, parts[0].api, parts[0].usage
    origin = (LatencyOrigin(f"{prefix}-origin-domain", cfg.origin_domain, function_settings(cfg), parts).origin
              if len(parts) > 1 else api.origin)
    edge = Edge(f"{prefix}-edge", [origin], edge_settings(cfg), secret)
    outputs = {
        "edgeUrl": edge.url,
        "originUrl": api.invoke_url,
        "distributionId": edge.distribution_id,
        "apiId": api.rest_api_id,
        "stage": api.stage_name,
        "models": pulumi.Output.from_input([m.name for m in cfg.models]),
        "environment": pulumi.Output.from_input(cfg.environment),
        "consumerKeyIds": consumers.key_ids,
        "consumerPlans": pulumi.Output.from_input(usage.plans),
        ROTATION_OUTPUT: pulumi.Output.from_input(cfg.origin_secret.model_dump(by_alias=True)),
        HEARTBEAT_OUTPUT: SmokeHeartbeat(f"{prefix}-smoke-heartbeat", heartbeat_args(cfg)).alarm_name,
    }
    if len(parts) > 1:  # one region: the outputs stay what they were
        outputs["regions"] = pulumi.Output.from_input(list(cfg.regions))
        outputs["originUrls"] = pulumi.Output.all(**{part.region: part.api.invoke_url for part in parts})
    if cfg.smoke_consumer is not None:
        outputs["smokeApiKey"] = consumers.key_value(cfg.smoke_consumer)
        outputs["smokeKeyPlan"] = pulumi.Output.from_input(usage.plans[cfg.smoke_consumer])
    if cfg.smoke_restricted_consumer is not None:
        restricted = next(c for c in cfg.consumers if c.name == cfg.smoke_restricted_consumer)
        outputs["smokeRestrictedApiKey"] = consumers.key_value(restricted.name)
        outputs["smokeRestrictedModels"] = pulumi.Output.from_input(list(restricted.models))
    if api.presented_certificate is not None:
        presented = api.backend_certificates[api.presented_certificate]
        outputs["backendClientCertificate"] = presented.pem_encoded_certificate
        outputs["backendClientCertificates"] = _issued_certificates(api)
        if len(parts) > 1:  # each region issues its own certificates: model servers must trust every region's
            outputs["backendClientCertificatesByRegion"] = pulumi.Output.all(**{
                part.region: _issued_certificates(part.api) for part in parts})
    return outputs


def _issued_certificates(api: ModelApi) -> pulumi.Output:
    """slot → {pem, expires} of every certificate the API's region issued: what a rotation hands model servers"""
    return pulumi.Output.all(**{slot: pulumi.Output.all(pem=c.pem_encoded_certificate, expires=c.expiration_date)
                                for slot, c in api.backend_certificates.items()})
