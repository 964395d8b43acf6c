"""A Python Lambda function of this repository, with what every one of them needs: an execution role, a log
group with the environment's retention (and write access to it only), X-Ray when tracing is on, and reserved
concurrency (its own share of the account's concurrency: no other function can starve it, and it cannot starve them).

Written once for the reference model and the consumer authorizer: the function waits for the role's policies,
because Lambda refuses a function with active tracing whose role cannot yet write to X-Ray, and a function
logs nothing until its role may write to its group.
"""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .placement import region_argument
from .roles import service_role

RUNTIME = "python3.12"
XRAY_WRITE = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"


@dataclass(frozen=True)
class FunctionSettings:
    """What every function of an environment shares."""

    environment: str
    """Its roles are the environment's (named `ml-edge-<env>-…`, with the environment's permissions boundary)."""
    log_retention_days: int
    """Days CloudWatch Logs keeps each function's log group."""
    tracing: bool
    """X-Ray active tracing (else pass-through)."""
    region: str | None = None
    """The functions' region when it is not the stack's own (placement.py); IAM roles are global."""


def python_function(name: str, parent: pulumi.Resource, settings: FunctionSettings, *,
                    code: pulumi.Input[pulumi.Archive], handler: str, log_group_name: str, description: str,
                    reserved_concurrency: int, memory_mb: int = 128, timeout_seconds: int = 3,
                    variables: dict[str, str] | None = None) -> aws.lambda_.Function:
    child = pulumi.ResourceOptions(parent=parent)
    role = service_role(f"{name}-role", parent, settings.environment, "lambda.amazonaws.com", description)
    log_group = aws.cloudwatch.LogGroup(f"{name}-logs", name=log_group_name,
                                        retention_in_days=settings.log_retention_days, opts=child,
                                        **region_argument(settings.region))
    ready: list[pulumi.Resource] = [
        aws.iam.RolePolicy(f"{name}-logs", role=role.id, policy=log_group.arn.apply(_write_logs_policy), opts=child)]
    if settings.tracing:
        ready.append(aws.iam.RolePolicyAttachment(f"{name}-xray", role=role.name, policy_arn=XRAY_WRITE, opts=child))
    return aws.lambda_.Function(
        name,
        runtime=RUNTIME,
        architectures=["arm64"],
        handler=handler,
        code=code,
        role=role.arn,
        memory_size=memory_mb,
        timeout=timeout_seconds,
        reserved_concurrent_executions=reserved_concurrency,
        environment={"variables": variables} if variables else None,
        logging_config={"log_format": "JSON", "log_group": log_group.name},
        tracing_config={"mode": "Active" if settings.tracing else "PassThrough"},
        description=description,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=ready),
        **region_argument(settings.region),
    )


def allow_api_gateway(name: str, parent: pulumi.Resource, function: aws.lambda_.Function,
                      execution_arn: pulumi.Output[str], path: str, region: str | None = None
                      ) -> aws.lambda_.Permission:
    """Let only one API invoke the function, from `<executionArn>/<path>` (a route, or `authorizers/*`)."""
    return aws.lambda_.Permission(
        name,
        action="lambda:InvokeFunction",
        function=function.name,
        principal="apigateway.amazonaws.com",
        source_arn=execution_arn.apply(lambda arn: f"{arn}/{path}"),
        opts=pulumi.ResourceOptions(parent=parent),
        **region_argument(region),
    )


def _write_logs_policy(log_group_arn: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                       "Resource": f"{log_group_arn}:*"}],
    })
