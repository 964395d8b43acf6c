"""Every Lambda function has reserved concurrency: its own share of the account's concurrency, which no other
function can take (a busy model or a flood on another function cannot starve it) and which it cannot exceed (it
cannot starve the API's other models or the account). Unset, or -1, means the shared pool; 0 means the function is
throttled entirely."""

from pulumi_policy import EnforcementLevel

from .aws import FUNCTION
from .rule import UNKNOWN, Finding, Resource, Rule, shown


def scan(function: Resource, config: dict):
    reserved = function.props.get("reservedConcurrentExecutions")
    if reserved is UNKNOWN:
        return
    if not isinstance(reserved, int) or isinstance(reserved, bool) or reserved < 1:
        yield Finding("reservedConcurrentExecutions",
                      "not set (the account's shared pool)" if reserved is None else shown(reserved),
                      "a positive number of concurrent executions (ml-edge:models[i].reservedConcurrency, "
                      "ml-edge:authorizerReservedConcurrency); 0 throttles every call, -1 is the shared pool")


RULE = Rule(
    name="lambda-reserved-concurrency",
    description="Every Lambda function reserves a positive concurrency, so no function can starve another or be "
                "starved by one.",
    remediation="Give every model a reservedConcurrency (and the authorizer ml-edge:authorizerReservedConcurrency) "
                "in environments/<env>/Pulumi.<env>.yaml; program/ml_edge/lambda_function.py sets it on every "
                "function.",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(FUNCTION,),
    scan=scan,
)
