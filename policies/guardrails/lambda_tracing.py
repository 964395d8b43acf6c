"""Every Lambda function sends X-Ray traces (active tracing), so a request can be followed from the stage into the
authorizer and the model."""

from .aws import FUNCTION
from .rule import UNKNOWN, Finding, Resource, Rule, shown


def scan(function: Resource, config: dict):
    tracing = function.props.get("tracingConfig")
    mode = tracing.get("mode") if isinstance(tracing, dict) else tracing
    if mode is not UNKNOWN and mode != "Active":
        yield Finding("tracingConfig.mode", shown(mode), '"Active" (ml-edge:tracing: true)')


RULE = Rule(
    name="lambda-tracing",
    description="Every Lambda function has active X-Ray tracing.",
    remediation="Set ml-edge:tracing: true (program/ml_edge/lambda_function.py then sets tracing_config mode Active).",
    config={},
    resource_types=(FUNCTION,),
    scan=scan,
)
