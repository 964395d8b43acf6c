"""One environment: config in, components, stack outputs out (their names are a contract, see DESIGN.md)."""

import pulumi

from .api import ModelApi
from .config import EnvConfig
from .consumers import Consumers
from .edge import Edge
from .origin_secret import OriginSecret

OUTPUT_NAMES = ("edgeUrl", "originUrl", "distributionId", "apiId", "stage", "models", "environment")
# beyond the contract's names: consumer key ids and plans (readable), the smoke consumer's key (secret) and plan
CONSUMER_OUTPUTS = ("consumerKeyIds", "consumerPlans", "smokeApiKey", "smokeKeyPlan")


def build(cfg: EnvConfig) -> dict[str, pulumi.Output]:
    prefix = f"ml-edge-{cfg.environment}"
    secret = OriginSecret(f"{prefix}-origin-secret", cfg.origin_secret)
    api = ModelApi(f"{prefix}-api", cfg, secret)
    edge = Edge(f"{prefix}-edge", cfg, api.rest_api_id, api.stage_name, secret, api.origin_guard)
    consumers = Consumers(f"{prefix}-consumers", cfg, api.rest_api_id, api.stage_name)
    extra = {"consumerKeyIds": consumers.key_ids, "consumerPlans": pulumi.Output.from_input(consumers.plans)}
    if consumers.smoke_key is not None:
        extra["smokeApiKey"] = pulumi.Output.secret(consumers.smoke_key)
        extra["smokeKeyPlan"] = pulumi.Output.from_input(consumers.plans[cfg.smoke_consumer])
    return {
        "edgeUrl": edge.url,
        "originUrl": api.invoke_url,
        "distributionId": edge.distribution_id,
        "apiId": api.rest_api_id,
        "stage": api.stage_name,
        "models": pulumi.Output.from_input([m.name for m in cfg.models]),
        "environment": pulumi.Output.from_input(cfg.environment),
        **extra,
    }
