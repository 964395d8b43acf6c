"""IAM roles the program creates: each assumed by one AWS service, named `ml-edge-<env>-…` (naming.py), and capped
by the environment's permissions boundary.

The deploy role may create and change only roles named `ml-edge-<env>-*` that carry the boundary policy
`ml-edge-<env>-boundary` (tools/bootstrap/policies/deploy-edge-iam.json; the bootstrap creates the boundary), so
even a changed program cannot mint a role with more rights than the boundary allows, nor touch another
environment's roles.
"""

import json

import pulumi
import pulumi_aws as aws

from .regions import PARTITION


def boundary_policy_name(environment: str) -> str:
    return f"ml-edge-{environment}-boundary"


def assume_role_policy(service: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    })


def service_role(name: str, parent: pulumi.Resource, environment: str, service: str,
                 description: str) -> aws.iam.Role:
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    return aws.iam.Role(
        name,
        assume_role_policy=assume_role_policy(service),
        permissions_boundary=account.apply(
            lambda account_id: f"arn:{PARTITION}:iam::{account_id}:policy/{boundary_policy_name(environment)}"),
        description=description,
        opts=pulumi.ResourceOptions(parent=parent),
    )
