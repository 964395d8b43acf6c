"""Every usage plan limits its keys: a positive rate and burst, within the environment's ceiling. A per-method
throttle of zero is refused: it restricts nothing (the AWS SDK under pulumi-aws 7 drops zero values, so AWS
receives `{}`, no limit: aws-cdk#10071), and AWS documents usage-plan throttles as best-effort targets, not
access control."""

from pulumi_policy import EnforcementLevel

from .aws import USAGE_PLAN
from .rule import UNKNOWN, Finding, Resource, Rule, shown


def scan(plan: Resource, config: dict):
    throttle = plan.props.get("throttleSettings") or {}
    rate, burst = throttle.get("rateLimit"), throttle.get("burstLimit")
    if rate is UNKNOWN or burst is UNKNOWN:
        pass
    elif not rate or not burst:
        yield Finding("throttleSettings", f"rateLimit {shown(rate)}, burstLimit {shown(burst)}",
                      "a positive rateLimit and burstLimit (a tier in ml-edge:tiers)")
    elif rate > config["maxRateLimit"]:
        yield Finding("throttleSettings.rateLimit", shown(rate), f"at most {config['maxRateLimit']} req/s")
    yield from zero_method_throttles(plan)


def zero_method_throttles(plan: Resource):
    stages = plan.props.get("apiStages")
    for s, stage in enumerate(stages if isinstance(stages, list) else []):
        throttles = stage.get("throttles") if isinstance(stage, dict) else None
        for t, throttle in enumerate(throttles if isinstance(throttles, list) else []):
            if not isinstance(throttle, dict):
                continue
            rate, burst = throttle.get("rateLimit"), throttle.get("burstLimit")
            if rate == 0 or burst == 0:
                yield Finding(f"apiStages[{s}].throttles[{t}] ({throttle.get('path')})",
                              f"rateLimit {shown(rate)}, burstLimit {shown(burst)}",
                              "no zero throttle: AWS receives it as {} (no limit; the SDK drops zero values, "
                              "aws-cdk#10071) and usage-plan throttles are best-effort, not access control; "
                              "restrict a consumer's models with the consumer authorizer")


RULE = Rule(
    name="apigateway-usage-plan-throttled",
    description="Every API Gateway usage plan throttles its consumer keys (rate and burst), within the "
                "environment's ceiling, and never relies on a per-method throttle of zero.",
    remediation="Give every tier in ml-edge:tiers a rateLimit and burstLimit; raise maxRateLimit in the "
                "environment's policy.json only after review. Never restrict a model with a zero throttle: the "
                "consumer authorizer enforces each consumer's model list.",
    config={"maxRateLimit": {"type": "number", "exclusiveMinimum": 0, "default": 1000,
                             "description": "Highest steady rate (requests per second) a usage plan may grant."}},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(USAGE_PLAN,),
    scan=scan,
)
