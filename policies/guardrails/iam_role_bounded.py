"""Every IAM role the stack creates carries a permissions boundary and lives under the ml-edge path: the deploy
role may only create such roles (tools/bootstrap.sh), and the boundary caps what any of them may ever do, so a
changed program cannot mint an administrator role."""

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
    path = role.props.get("path")
    if path is not UNKNOWN and not (isinstance(path, str) and re.fullmatch(r"/ml-edge/[a-z][a-z0-9-]*/", path)):
        yield Finding("path", shown(path), '"/ml-edge/<env>/" (the only path the deploy role may create roles in)')


RULE = Rule(
    name="iam-role-bounded",
    description="Every IAM role has the environment's permissions boundary and lives under /ml-edge/<env>/.",
    remediation="Create roles with program/ml_edge/roles.py's service_role (path and permissions boundary set); "
                "tools/bootstrap.sh creates the boundary policy.",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(IAM_ROLE,),
    scan=scan,
)
