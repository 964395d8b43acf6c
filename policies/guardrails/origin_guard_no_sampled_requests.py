"""The origin guard keeps no sampled requests: WAF sampled requests show each request's headers, so anyone allowed
to read them (wafv2:GetSampledRequests, the console) would read the live origin secret. Metrics may stay on."""

from pulumi_policy import EnforcementLevel

from .aws import HEADER_NAME_SETTING, WEB_ACL
from .rule import UNKNOWN, Finding, Resource, Rule, shown

ALLOWED = "false (sampled requests show request headers, i.e. the live origin secret; metrics may stay on)"


def scan(acl: Resource, config: dict):
    if acl.props.get("scope") != "REGIONAL" or not matches_header(acl.props.get("rules"), config["headerName"]):
        return
    yield from _sampling("visibilityConfig", acl.props.get("visibilityConfig"))
    rules = acl.props.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            yield from _sampling(f"rules[{index}] ({rule.get('name')}).visibilityConfig", rule.get("visibilityConfig"))


def _sampling(path: str, visibility):
    enabled = visibility.get("sampledRequestsEnabled") if isinstance(visibility, dict) else None
    if enabled is not False and enabled is not UNKNOWN and visibility is not UNKNOWN:
        yield Finding(f"{path}.sampledRequestsEnabled", shown(enabled), ALLOWED)


def matches_header(value, header: str) -> bool:
    """Whether any statement inspects the given header (then the web ACL sees the secret)."""
    if isinstance(value, dict):
        return header.lower() in _inspected_headers(value.get("fieldToMatch")) \
            or any(matches_header(v, header) for v in value.values())
    if isinstance(value, list):
        return any(matches_header(v, header) for v in value)
    return False


def _inspected_headers(field) -> set[str]:
    field = field if isinstance(field, dict) else {}
    single = field.get("singleHeader")
    pattern = (field.get("headers") or {}).get("matchPattern") if isinstance(field.get("headers"), dict) else None
    names = [single.get("name")] if isinstance(single, dict) else []
    if isinstance(pattern, dict) and isinstance(pattern.get("includedHeaders"), list):
        names += pattern["includedHeaders"]
    return {str(n).lower() for n in names}


RULE = Rule(
    name="origin-guard-no-sampled-requests",
    description="The REGIONAL web ACL that checks the origin secret keeps no sampled requests (they show request "
                "headers, so the live secret), on the web ACL and on every rule; CloudWatch metrics may stay on.",
    remediation="Set sampled_requests_enabled=False in the visibility_config of the origin guard and of each of its "
                "rules (program/ml_edge/api.py); keep cloudwatch_metrics_enabled=True.",
    config={"headerName": HEADER_NAME_SETTING},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(WEB_ACL,),
    scan=scan,
)
