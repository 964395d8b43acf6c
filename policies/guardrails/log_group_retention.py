"""Every log group the stack creates expires its events: a group without retention keeps everything forever (client
IPs and consumer names included), and one whose retention was lost costs more each month."""

from pulumi_policy import EnforcementLevel

from .aws import LOG_GROUP
from .rule import UNKNOWN, Finding, Resource, Rule, shown


def scan(group: Resource, config: dict):
    days = group.props.get("retentionInDays")
    if days is UNKNOWN:
        return
    minimum = config["minRetentionDays"]
    if not isinstance(days, int) or isinstance(days, bool) or days < max(1, minimum):
        yield Finding("retentionInDays", "not set (kept forever)" if days in (None, 0) else shown(days),
                      f"a retention of at least {max(1, minimum)} day(s) (ml-edge:logRetentionDays)")


RULE = Rule(
    name="log-group-retention",
    description="Every CloudWatch Logs group sets a retention, at least the environment's minimum.",
    remediation="Create log groups with retention_in_days=cfg.log_retention_days (ml-edge:logRetentionDays); lower "
                "minRetentionDays in the environment's policy.json only after review.",
    config={"minRetentionDays": {"type": "integer", "minimum": 1, "default": 1,
                                 "description": "Shortest retention a log group may have, in days."}},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(LOG_GROUP,),
    scan=scan,
)
