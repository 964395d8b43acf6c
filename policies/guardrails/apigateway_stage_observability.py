"""Every API stage writes access logs and, where required, X-Ray traces."""

from .aws import STAGE
from .rule import Finding, Resource, Rule, shown


def scan(stage: Resource, config: dict):
    if not (stage.props.get("accessLogSettings") or {}).get("destinationArn"):
        yield Finding("accessLogSettings.destinationArn", "not set", "a CloudWatch log group ARN")
    if config["requireTracing"] and stage.props.get("xrayTracingEnabled") is not True:
        yield Finding("xrayTracingEnabled", shown(stage.props.get("xrayTracingEnabled")), "true")


RULE = Rule(
    name="apigateway-stage-observability",
    description="Every API Gateway stage has access logging, and X-Ray tracing when the config requires it.",
    remediation="Keep access_log_settings on the Stage (program/ml_edge/api.py) and set ml-edge:tracing: true.",
    config={"requireTracing": {"type": "boolean", "default": True,
                               "description": "Whether X-Ray tracing is required on every stage."}},
    resource_types=(STAGE,),
    scan=scan,
)
