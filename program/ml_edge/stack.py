"""One environment: config in, components, stack outputs out (their names are a contract, see DESIGN.md).

The one place that reads the whole EnvConfig: each component gets the args of its own (the part of the config it
uses) and typed handles of the others (the API's origin, the consumers' keys and authorizer, the origin secret).
"""

import pulumi

from . import naming
from .api import ModelApi, ModelApiArgs
from .config import EnvConfig
from .consumers import Consumers, ConsumersArgs
from .edge import Edge, EdgeSettings
from .lambda_function import FunctionSettings
from .origin_secret import OriginSecret
from .outputs import HEARTBEAT_OUTPUT, ROTATION_OUTPUT
from .smoke_heartbeat import SmokeHeartbeat, SmokeHeartbeatArgs
from .usage_plans import UsagePlans, UsagePlansArgs

# each described in outputs.py (tests/test_docs.py keeps the two equal): the contract's, then what parts add
OUTPUT_NAMES = ("edgeUrl", "originUrl", "distributionId", "apiId", "stage", "models", "environment")
CONSUMER_OUTPUTS = ("consumerKeyIds", "consumerPlans", "smokeApiKey", "smokeKeyPlan")
RESTRICTED_SMOKE_OUTPUTS = ("smokeRestrictedApiKey", "smokeRestrictedModels")
BACKEND_OUTPUTS = ("backendClientCertificate", "backendClientCertificates")


def function_settings(cfg: EnvConfig) -> FunctionSettings:
    return FunctionSettings(environment=cfg.environment, log_retention_days=cfg.log_retention_days,
                            tracing=cfg.tracing)


def consumers_args(cfg: EnvConfig) -> ConsumersArgs:
    return ConsumersArgs(environment=cfg.environment, consumers=cfg.consumers,
                         authorizer_reserved_concurrency=cfg.authorizer_reserved_concurrency,
                         functions=function_settings(cfg))


def api_args(cfg: EnvConfig) -> ModelApiArgs:
    return ModelApiArgs(environment=cfg.environment, region=cfg.region, models=cfg.models,
                        stage_name=cfg.stage_name, max_instances=cfg.max_instances, throttling=cfg.throttling,
                        tracing=cfg.tracing, log_retention_days=cfg.log_retention_days,
                        backend_certificate=cfg.backend_certificate)


def edge_settings(cfg: EnvConfig) -> EdgeSettings:
    return EdgeSettings(environment=cfg.environment, price_class=cfg.price_class, health_ttl=cfg.cache.health,
                        catalog_ttl=cfg.cache.catalog, custom_domain=cfg.custom_domain,
                        waf_rate_limit=cfg.waf.rate_limit if cfg.waf.enabled else None,
                        log_retention_days=cfg.log_retention_days)


def usage_plans_args(cfg: EnvConfig) -> UsagePlansArgs:
    return UsagePlansArgs(environment=cfg.environment, tiers=cfg.tiers, consumers=cfg.consumers)


def heartbeat_args(cfg: EnvConfig) -> SmokeHeartbeatArgs:
    return SmokeHeartbeatArgs(environment=cfg.environment, hours=cfg.smoke_heartbeat_hours)


def build(cfg: EnvConfig) -> dict[str, pulumi.Output]:
    prefix = naming.stack_prefix(cfg.environment)
    secret = OriginSecret(f"{prefix}-origin-secret", cfg.origin_secret)
    consumers = Consumers(f"{prefix}-consumers", consumers_args(cfg))
    api = ModelApi(f"{prefix}-api", api_args(cfg), secret, consumers)
    edge = Edge(f"{prefix}-edge", [api.origin], edge_settings(cfg), secret)
    usage = UsagePlans(f"{prefix}-usage-plans", usage_plans_args(cfg), {n: k.id for n, k in consumers.keys.items()},
                       api.rest_api_id, api.stage_name)
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
    if cfg.smoke_consumer is not None:
        outputs["smokeApiKey"] = consumers.key_value(cfg.smoke_consumer)
        outputs["smokeKeyPlan"] = pulumi.Output.from_input(usage.plans[cfg.smoke_consumer])
    if cfg.smoke_restricted_consumer is not None:
        restricted = next(c for c in cfg.consumers if c.name == cfg.smoke_restricted_consumer)
        outputs["smokeRestrictedApiKey"] = consumers.key_value(restricted.name)
        outputs["smokeRestrictedModels"] = pulumi.Output.from_input(list(restricted.models))
    if api.presented_certificate is not None:
        certificates = api.backend_certificates
        outputs["backendClientCertificate"] = certificates[api.presented_certificate].pem_encoded_certificate
        outputs["backendClientCertificates"] = pulumi.Output.all(**{
            slot: pulumi.Output.all(pem=c.pem_encoded_certificate, expires=c.expiration_date)
            for slot, c in certificates.items()})
    return outputs
