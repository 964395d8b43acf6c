"""Warns before aws-quotas blocks: the plan uses more than 80 % of an AWS quota (counted as aws-quotas counts, with
the same raised values). Advisory in every environment, prod too: mandatory, it would block at 80 %."""

from pulumi_policy import EnforcementLevel

from .aws_quotas import RAISED_SETTING, REMEDIATION, finding, usage
from .rule import Resource, Rule

HEADROOM = 0.8


def near_quota(resources: list[Resource], config: dict):
    for quota, scope, resource, count, limit in usage(resources, config):
        if HEADROOM * limit < count <= limit:
            yield finding(quota, scope, resource, count, limit, "above 80 %: raise the quota before it blocks")


RULE = Rule(
    name="aws-quotas-headroom",
    description="Warns when the plan uses more than 80 % of an AWS quota (the quotas of aws-quotas), per region.",
    remediation=REMEDIATION,
    config={"raised": RAISED_SETTING},
    enforcement=EnforcementLevel.ADVISORY,
    scan_stack=near_quota,
)
