"""Every IAM role the stack creates carries the environment's permissions boundary: the deploy role may only create
such roles (tools/bootstrap/policies/deploy-edge-iam.json), and the boundary caps what any of them may ever do,
so a changed program cannot mint an administrator role."""

import re

from pulumi_policy import EnforcementLevel

from .rule import UNKNOWN, Finding, Resource, Rule, shown

IAM_ROLE = "aws:iam/role:Role"
BOUNDARY_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:policy/ml-edge-[a-z][a-z0-9-]*-boundary")


def scan(role: Resource, config: dict):
    boundary = role.props.get("permissionsBoundary")
    if boundary is not UNKNOWN and not (isinstance(boundary, str) and BOUNDARY_ARN.fullmatch(boundary)):
        yield Finding("permissionsBoundary", shown(boundary),
                      "the environment's boundary policy arn:aws:iam::<account>:policy/ml-edge-<env>-boundary")

RULE = Rule(
    name="iam-role-bounded",
    description="Every IAM role carries the environment's permissions boundary ml-edge-<env>-boundary.",
    remediation="Create roles with program/ml_edge/roles.py's service_role (permissions boundary set); "
                "tools/bootstrap.sh creates the boundary policy.",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(IAM_ROLE,),
    scan=scan,
)
