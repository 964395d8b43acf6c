"""Every distribution's access logs are delivered (CloudFront standard logging v2) to a log group of this stack, and
the delivery names its record fields, none of which holds what a client may send as a secret: cookies, query
strings or request headers beyond Host and User-Agent (a consumer key belongs in x-api-key, but a client may put one
in the URL). Without an explicit field list CloudWatch Logs delivers every field, cookies and query strings
included. The chain is read from the plan's property dependencies: delivery source (ACCESS_LOGS) whose resourceArn
comes from the distribution → delivery → destination whose resource comes from a log group of the stack (the
log-group-retention guardrail then sees its retention)."""

from pulumi_policy import EnforcementLevel

from .aws import DISTRIBUTION, LOG_DELIVERY, LOG_DELIVERY_DESTINATION, LOG_DELIVERY_SOURCE, LOG_GROUP
from .rule import UNKNOWN, Finding, Resource, Rule, shown

ACCESS_LOGS = "ACCESS_LOGS"
# standard logging field names (legacy style) and the real-time style names of the same data
FORBIDDEN_FIELDS = ["cs(Cookie)", "cs-cookie", "cs-uri-query", "cs-headers", "cs-header-names"]


def scan_stack(resources: list[Resource], config: dict):
    by_urn = {r.urn: r for r in resources}
    groups = {r.urn for r in resources if r.type == LOG_GROUP}
    destinations = {r.urn for r in resources if r.type == LOG_DELIVERY_DESTINATION
                    and set(r.property_dependencies.get("deliveryDestinationConfiguration", [])) & groups}
    deliveries = [r for r in resources if r.type == LOG_DELIVERY]
    for delivery in deliveries:
        yield from _fields(delivery, config["forbiddenFields"])
    for distribution in (r for r in resources if r.type == DISTRIBUTION):
        sources = {r.urn for r in resources if r.type == LOG_DELIVERY_SOURCE
                   and r.props.get("logType") in (ACCESS_LOGS, UNKNOWN)
                   and distribution.urn in r.property_dependencies.get("resourceArn", [])}
        delivered = [d for d in deliveries if set(d.property_dependencies.get("deliverySourceName", [])) & sources
                     and set(d.property_dependencies.get("deliveryDestinationArn", [])) & destinations]
        if not delivered:
            found = ("an ACCESS_LOGS delivery source, but no delivery to a log group of this stack" if sources
                     else "no ACCESS_LOGS delivery source")
            yield Finding("access logs", found,
                          "a LogDeliverySource (ACCESS_LOGS, from this distribution) → LogDelivery → "
                          "LogDeliveryDestination on a log group of this stack (program/ml_edge/edge_logs.py)",
                          resource=by_urn[distribution.urn])


def _fields(delivery: Resource, forbidden: list[str]):
    fields = delivery.props.get("recordFields")
    if fields is UNKNOWN:
        return
    if not isinstance(fields, list) or not fields:
        yield Finding("recordFields", shown(fields),
                      "an explicit list of fields (without one CloudFront delivers every field, cookies and query "
                      "strings included)", resource=delivery)
        return
    leaking = [f for f in fields if isinstance(f, str) and f.lower() in {x.lower() for x in forbidden}]
    if leaking:
        yield Finding("recordFields", f"including {', '.join(leaking)}",
                      f"no field that records what a client may send as a secret ({', '.join(forbidden)})",
                      resource=delivery)


RULE = Rule(
    name="cloudfront-access-logs",
    description="Every CloudFront distribution delivers its access logs (standard logging v2) to a log group of the "
                "stack, with an explicit list of record fields that leaves out cookies, query strings and request "
                "headers.",
    remediation="Create the delivery with program/ml_edge/edge_logs.py (source ACCESS_LOGS from the distribution, "
                "destination on a log group with retention, record_fields=RECORD_FIELDS); never add cs(Cookie), "
                "cs-uri-query or cs-headers to the fields.",
    config={"forbiddenFields": {"type": "array", "items": {"type": "string"}, "default": FORBIDDEN_FIELDS,
                                "description": "Record fields a delivery may not contain."}},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
