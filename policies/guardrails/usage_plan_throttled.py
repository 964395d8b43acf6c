"""Every usage plan limits its keys: a positive rate and burst, within the environment's ceiling."""

from pulumi_policy import EnforcementLevel

from .rule import UNKNOWN, Finding, Resource, Rule, shown

USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"


def scan(plan: Resource, config: dict):
    throttle = plan.props.get("throttleSettings") or {}
    rate, burst = throttle.get("rateLimit"), throttle.get("burstLimit")
    if rate is UNKNOWN or burst is UNKNOWN:
        return
    if not rate or not burst:
        yield Finding("throttleSettings", f"rateLimit {shown(rate)}, burstLimit {shown(burst)}",
                      "a positive rateLimit and burstLimit (a tier in ml-edge:tiers)")
    elif rate > config["maxRateLimit"]:
        yield Finding("throttleSettings.rateLimit", shown(rate), f"at most {config['maxRateLimit']} req/s")


RULE = Rule(
    name="apigateway-usage-plan-throttled",
    description="Every API Gateway usage plan throttles its consumer keys (rate and burst), within the "
                "environment's ceiling.",
    remediation="Give every tier in ml-edge:tiers a rateLimit and burstLimit; raise maxRateLimit in the "
                "environment's policy.json only after review.",
    config={"maxRateLimit": {"type": "number", "exclusiveMinimum": 0, "default": 1000,
                             "description": "Highest steady rate (requests per second) a usage plan may grant."}},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(USAGE_PLAN,),
    scan=scan,
)
