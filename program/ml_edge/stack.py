"""One environment: config in, components, stack outputs out (their names are a contract, see DESIGN.md)."""

import pulumi

from . import naming
from .api import ModelApi
from .config import EnvConfig
from .consumers import Consumers
from .edge import Edge
from .origin_secret import OriginSecret
from .smoke_heartbeat import SmokeHeartbeat
from .usage_plans import UsagePlans

# each described in outputs.py (tests/test_docs.py keeps the two equal): the contract's, then what parts add
OUTPUT_NAMES = ("edgeUrl", "originUrl", "distributionId", "apiId", "stage", "models", "environment")
CONSUMER_OUTPUTS = ("consumerKeyIds", "consumerPlans", "smokeApiKey", "smokeKeyPlan")
ROTATION_OUTPUT = "originSecretRotation"  # for the rotation-order check (names of slots only, no secret)
HEARTBEAT_OUTPUT = "smokeHeartbeatAlarm"
RESTRICTED_SMOKE_OUTPUTS = ("smokeRestrictedApiKey", "smokeRestrictedModels")
BACKEND_OUTPUTS = ("backendClientCertificate", "backendClientCertificates")


def build(cfg: EnvConfig) -> dict[str, pulumi.Output]:
    prefix = naming.stack_prefix(cfg.environment)
    secret = OriginSecret(f"{prefix}-origin-secret", cfg.origin_secret)
    consumers = Consumers(f"{prefix}-consumers", cfg)
    api = ModelApi(f"{prefix}-api", cfg, secret, consumers)
    edge = Edge(f"{prefix}-edge", cfg, api.rest_api_id, api.stage_name, secret, api.origin_guard)
    usage = UsagePlans(f"{prefix}-usage-plans", cfg, {n: k.id for n, k in consumers.keys.items()},
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
        HEARTBEAT_OUTPUT: SmokeHeartbeat(f"{prefix}-smoke-heartbeat", cfg).alarm_name,
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
