"""Usage plans: how often each consumer key may call, metered per key.

inputs   UsagePlansArgs (the environment, its tiers and consumers), the consumers' API key ids, the API and its stage
creates  one usage plan per tier (the tier's rate, burst and quota per key; named after the tier, so unique by
         construction) · each key's membership of its tier's plan
outputs  plans (consumer → its limits and models, readable)

Which models a key may call is not a plan's business: the consumer authorizer (consumers.py) enforces that.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import naming
from .config import Consumer, Tier
from .placement import region_argument


def describe_plan(tier_name: str, tier: Tier, consumer: Consumer) -> str:
    quota = f", quota {tier.quota.limit} per {tier.quota.period.lower()}" if tier.quota else ", no quota"
    models = "all models" if consumer.models == "all" else "models " + ", ".join(consumer.models)
    return f"{tier_name}: {tier.rate_limit:g} req/s, burst {tier.burst_limit}{quota}; {models}"


@dataclass(frozen=True)
class UsagePlansArgs:
    environment: str
    """Names the plans (`ml-edge-<env>-tier-<tier>`)."""
    tiers: Mapping[str, Tier]
    """One plan per tier, by name."""
    consumers: Sequence[Consumer]
    """Each consumer's key joins its tier's plan (the tier must be one of `tiers`)."""
    region: str | None = None
    """The plans' region when it is not the stack's own (placement.py). Plans are regional: in several regions a
    key has a quota in each."""


class UsagePlans(pulumi.ComponentResource):
    plans: dict[str, str]

    def __init__(self, name: str, args: UsagePlansArgs, key_ids: Mapping[str, pulumi.Input[str]],
                 rest_api_id: pulumi.Input[str], stage_name: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:index:UsagePlans", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tiers = {tier_name: aws.apigateway.UsagePlan(
            f"{name}-{tier_name}",
            name=f"{naming.stack_prefix(args.environment)}-tier-{tier_name}",
            description=f"ml-edge {args.environment} tier {tier_name}",
            api_stages=[{"api_id": rest_api_id, "stage": stage_name}],
            throttle_settings={"rate_limit": tier.rate_limit, "burst_limit": tier.burst_limit},
            quota_settings={"limit": tier.quota.limit, "period": tier.quota.period} if tier.quota else None,
            opts=child,
            **region_argument(args.region),
        ) for tier_name, tier in args.tiers.items()}
        # A key belongs to one usage plan per stage: moving a consumer to another tier replaces its membership,
        # and the new one can only be created once the old one is gone.
        membership = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        for consumer in args.consumers:
            aws.apigateway.UsagePlanKey(f"{name}-{consumer.name}", key_id=key_ids[consumer.name], key_type="API_KEY",
                                        usage_plan_id=tiers[consumer.tier].id, opts=membership,
                                        **region_argument(args.region))
        self.plans = {c.name: describe_plan(c.tier, args.tiers[c.tier], c) for c in args.consumers}
        self.register_outputs({})
