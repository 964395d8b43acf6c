"""A region that cannot predict stops receiving traffic: every latency-routed Route 53 record has a health check
of its own region, and (an alias) evaluates its target's health.

The record's check may be alarm-based (CLOUDWATCH_METRIC: its alarm in the record's region) or CALCULATED from such
checks (the 5XX check and the region canary's, program/ml_edge/origin_domain.py): then every child must be of the
record's region, and the calculated check healthy only while all are (child_health_threshold = number of children;
a lower threshold would keep a region in while one of its signals fails).

Route 53 answers a latency query with the nearest region's record among the healthy ones. A record without a health
check is always healthy, so an outage of its region's backend stays a global outage for the edge locations nearest
to it. An alias's "evaluate target health" is required too (a free extra signal where AWS gives one; for an API
Gateway target Route 53's AliasTarget reference says it gives none, so the health check is what counts). A latency
set (records of one zone, name and type) has one record per region, each with a distinct health check: a shared
check would take every region out when one fails, or none.
"""

from collections import defaultdict

from pulumi_policy import EnforcementLevel

from .aws import DNS_RECORD, HEALTH_CHECK
from .rule import UNKNOWN, Finding, Resource, Rule, mapping, shown

ALARM_CHECK = "CLOUDWATCH_METRIC"
CALCULATED_CHECK = "CALCULATED"


def scan_stack(resources: list[Resource], config: dict):
    checks = {r.urn: r for r in resources if r.type == HEALTH_CHECK}
    latency_sets: dict[tuple, list[Resource]] = defaultdict(list)
    for record in sorted((r for r in resources if r.type == DNS_RECORD and latency_region(r) is not None),
                         key=lambda r: r.name):
        yield from record_findings(record, checks)
        latency_sets[set_key(record)].append(record)
    for records in latency_sets.values():
        yield from set_findings(records)


def latency_region(record: Resource):
    """The region a latency record answers for; None for a record without latency routing."""
    policies = record.props.get("latencyRoutingPolicies")
    if not isinstance(policies, list) or not policies:
        return None
    return mapping(policies[0]).get("region", UNKNOWN)


def named(region) -> str:
    return region if isinstance(region, str) else shown(region)


def set_key(record: Resource) -> tuple:
    props = record.props
    name = props.get("name")
    return (shown(props.get("zoneId")), name.lower().rstrip(".") if isinstance(name, str) else shown(name),
            shown(props.get("type")))


def record_findings(record: Resource, checks: dict[str, Resource]):
    region = latency_region(record)
    health_check = record.props.get("healthCheckId")
    if health_check in (None, ""):
        yield Finding("healthCheckId", f"not set (the latency record of {named(region)})",
                      f"a Route 53 health check that fails when {named(region)} cannot predict, so that Route 53 "
                      f"stops answering with this region", resource=record)
    for index, alias in enumerate(a for a in record.props.get("aliases") or [] if isinstance(a, dict)):
        evaluate = alias.get("evaluateTargetHealth")
        if evaluate is not True and evaluate is not UNKNOWN:
            yield Finding(f"aliases[{index}].evaluateTargetHealth", f"{shown(evaluate).lower()} (the latency record of "
                          f"{named(region)})", "true: the record also fails over when its target (API Gateway in "
                          "the region) is unhealthy", resource=record)
    for check in (checks[u] for u in record.property_dependencies.get("healthCheckId", []) if u in checks):
        yield from disabled_findings(record, region, check)
        if check.props.get("type") == CALCULATED_CHECK:
            yield from calculated_findings(record, region, check, checks)
        else:
            yield from alarm_region_findings(record, region, check)


def disabled_findings(record: Resource, region, check: Resource, via: str = ""):
    """A disabled health check is always healthy (Route 53 HealthCheckConfig `Disabled`): no failover at all."""
    if check.props.get("disabled") is True:
        yield Finding("healthCheckId", f"health check {check.name}{via}, disabled: always healthy (the latency record "
                      f"of {named(region)})", "an enabled health check", resource=record)


def alarm_region_findings(record: Resource, region, check: Resource, via: str = ""):
    alarm_region = check.props.get("cloudwatchAlarmRegion")
    if check.props.get("type") == ALARM_CHECK and isinstance(alarm_region, str) and isinstance(region, str) \
            and alarm_region != region:
        yield Finding("healthCheckId", f"health check {check.name}{via}, on an alarm in {named(alarm_region)} "
                      f"(the latency record of {named(region)})",
                      f"a health check on {named(region)}'s own alarm", resource=record)


def calculated_findings(record: Resource, region, check: Resource, checks: dict[str, Resource]):
    """A calculated check: each child of the record's region, and all of them needed."""
    children = sorted((checks[u] for u in check.property_dependencies.get("childHealthchecks", []) if u in checks),
                      key=lambda child: child.name)
    for child in children:
        yield from disabled_findings(record, region, child, f" (a child of {check.name})")
        yield from alarm_region_findings(record, region, child, f" (a child of {check.name})")
    listed, threshold = check.props.get("childHealthchecks"), check.props.get("childHealthThreshold")
    count = len(listed) if isinstance(listed, list) else len(children)
    if threshold is not UNKNOWN and threshold != count:
        yield Finding("healthCheckId", f"health check {check.name}, healthy with {shown(threshold)} of its {count} "
                      f"children (the latency record of {named(region)})",
                      f"child_health_threshold = {count}: the region is out as soon as one of its checks fails",
                      resource=record)


def set_findings(records: list[Resource]):
    """One record per region, each with a health check of its own: every record of a clash is named."""
    by_region, by_check = defaultdict(list), defaultdict(list)
    for record in sorted(records, key=lambda r: r.name):
        if (region := latency_region(record)) is not UNKNOWN:
            by_region[region].append(record)
        if (check := _health_check_identity(record)) is not None:
            by_check[check].append(record)
    for region, clash in by_region.items():
        for record in clash if len(clash) > 1 else []:
            yield Finding("latencyRoutingPolicies[0].region", f"{named(region)}, as is {_others(record, clash)} of "
                          "the same latency set", "one record per region in a latency set", resource=record)
    for clash in by_check.values():
        for record in clash if len(clash) > 1 else []:
            yield Finding("healthCheckId", f"the health check of {_others(record, clash)} too (the latency record "
                          f"of {named(latency_region(record))})", "a health check of its own per region: a shared "
                          "one takes every region out when one fails, or none", resource=record)


def _others(record: Resource, clash: list[Resource]) -> str:
    return ", ".join(r.name for r in clash if r is not record)


def _health_check_identity(record: Resource):
    """What tells two records' health checks apart: the health check resource a planned id comes from (ids are
    unknown before it exists), else the literal id; None when there is none or it is unknown."""
    sources = record.property_dependencies.get("healthCheckId")
    if sources:
        return tuple(sorted(sources))
    value = record.props.get("healthCheckId")
    return value if isinstance(value, str) and value else None


RULE = Rule(
    name="route53-latency-health-checked",
    description="Every latency-routed Route 53 record has a health check of its own region and evaluates its "
                "alias target's health; a latency set has one record per region, each with its own health check.",
    remediation="Keep the LatencyOrigin of program/ml_edge/origin_domain.py: per region one latency record with "
                "set_identifier = region, health_check_id = that region's CALCULATED check (children: its 5XX and "
                "canary checks, on alarms in that region; child_health_threshold = 2) and "
                "evaluate_target_health=True on the alias.",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
