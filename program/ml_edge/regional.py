"""One region of the environment: the consumers' keys and authorizer, the API with its backends and WAF guard, and
the usage plans, built by the same code in every region of `ml-edge:regions`.

Deliberately not a component resource of its own: the stack's own region (the first) was deployed before regions
existed, and a new parent would change every URN of it (Pulumi would replace the running API). So the first region's
components keep their names and parents, and another region's are the same components with the region appended to
their names (naming.in_region) and to every regional resource (`region=`, placement.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from . import naming
from .api import ModelApi, ModelApiArgs
from .config import EnvConfig
from .consumers import Consumers, ConsumersArgs
from .lambda_function import FunctionSettings
from .origin_secret import OriginSecret
from .usage_plans import UsagePlans, UsagePlansArgs


def function_settings(cfg: EnvConfig, placed_in: str | None = None) -> FunctionSettings:
    return FunctionSettings(environment=cfg.environment, log_retention_days=cfg.log_retention_days,
                            tracing=cfg.tracing, region=placed_in)


def consumers_args(cfg: EnvConfig, placed_in: str | None = None,
                   imported_keys: Mapping[str, pulumi.Input[str]] | None = None) -> ConsumersArgs:
    return ConsumersArgs(environment=cfg.environment, consumers=cfg.consumers,
                         authorizer_reserved_concurrency=cfg.authorizer_reserved_concurrency,
                         functions=function_settings(cfg, placed_in), imported_keys=imported_keys)


def api_args(cfg: EnvConfig, region: str | None = None) -> ModelApiArgs:
    region = region or cfg.region
    return ModelApiArgs(environment=cfg.environment, region=region, models=cfg.models,
                        stage_name=cfg.stage_name, max_instances=cfg.max_instances, throttling=cfg.throttling,
                        tracing=cfg.tracing, log_retention_days=cfg.log_retention_days,
                        backend_certificate=cfg.backend_certificate, home=region == cfg.region)


def usage_plans_args(cfg: EnvConfig, placed_in: str | None = None) -> UsagePlansArgs:
    return UsagePlansArgs(environment=cfg.environment, tiers=cfg.tiers, consumers=cfg.consumers, region=placed_in)


@dataclass(frozen=True)
class RegionalApi:
    region: str
    consumers: Consumers
    api: ModelApi
    usage: UsagePlans


def regional_api(cfg: EnvConfig, region: str, secret: OriginSecret,
                 home_consumers: Consumers | None = None) -> RegionalApi:
    """The region's part; outside the stack's own region (home_consumers given) the consumers' keys are imported
    from the home region's."""
    placed_in = None if region == cfg.region else region
    prefix = naming.stack_prefix(cfg.environment)
    imported = ({c.name: home_consumers.key_value(c.name) for c in cfg.consumers}
                if home_consumers is not None and placed_in is not None else None)
    consumers = Consumers(naming.in_region(f"{prefix}-consumers", placed_in),
                          consumers_args(cfg, placed_in, imported))
    api = ModelApi(naming.api(cfg.environment, placed_in), api_args(cfg, region), secret, consumers)
    usage = UsagePlans(naming.in_region(f"{prefix}-usage-plans", placed_in), usage_plans_args(cfg, placed_in),
                       {n: k.id for n, k in consumers.keys.items()}, api.rest_api_id, api.stage_name)
    return RegionalApi(region, consumers, api, usage)
