"""Usage plans: how often each consumer key may call, metered per key.

inputs   EnvConfig (tiers, consumers), the consumers' API key ids, the API and its stage
creates  one usage plan per tier (the tier's rate, burst and quota per key; named after the tier, so unique by
         construction) · each key's membership of its tier's plan
outputs  plans (consumer → its limits and models, readable)

Which models a key may call is not a plan's business: the consumer authorizer (consumers.py) enforces that.
"""

import pulumi
import pulumi_aws as aws

from . import naming
from .config import Consumer, EnvConfig, Tier


def describe_plan(tier_name: str, tier: Tier, consumer: Consumer) -> str:
    quota = f", quota {tier.quota.limit} per {tier.quota.period.lower()}" if tier.quota else ", no quota"
    models = "all models" if consumer.models == "all" else "models " + ", ".join(consumer.models)
    return f"{tier_name}: {tier.rate_limit:g} req/s, burst {tier.burst_limit}{quota}; {models}"


class UsagePlans(pulumi.ComponentResource):
    plans: dict[str, str]

    def __init__(self, name: str, cfg: EnvConfig, key_ids: dict[str, pulumi.Input[str]],
                 rest_api_id: pulumi.Input[str], stage_name: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:index:UsagePlans", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tiers = {tier_name: aws.apigateway.UsagePlan(
            f"{name}-{tier_name}",
            name=f"{naming.stack_prefix(cfg.environment)}-tier-{tier_name}",
            description=f"ml-edge {cfg.environment} tier {tier_name}",
            api_stages=[{"api_id": rest_api_id, "stage": stage_name}],
            throttle_settings={"rate_limit": tier.rate_limit, "burst_limit": tier.burst_limit},
            quota_settings={"limit": tier.quota.limit, "period": tier.quota.period} if tier.quota else None,
            opts=child,
        ) for tier_name, tier in cfg.tiers.items()}
        # A key belongs to one usage plan per stage: moving a consumer to another tier replaces its membership,
        # and the new one can only be created once the old one is gone.
        membership = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        for consumer in cfg.consumers:
            aws.apigateway.UsagePlanKey(f"{name}-{consumer.name}", key_id=key_ids[consumer.name], key_type="API_KEY",
                                        usage_plan_id=tiers[consumer.tier].id, opts=membership)
        self.plans = {c.name: describe_plan(c.tier, cfg.tiers[c.tier], c) for c in cfg.consumers}
        self.register_outputs({})
