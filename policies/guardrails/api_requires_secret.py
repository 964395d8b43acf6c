"""Nobody reaches the API around the edge: each stage answers only requests carrying the origin secret.

Either a REGIONAL WAF web ACL associated with the stage blocks by default and allows only an exact match of the
secret header, or every method of the API requires that header.
"""

import json

from pulumi_policy import EnforcementLevel

from .aws import HEADER_NAME_SETTING, MIN_LENGTH_SETTING, REST_API, STAGE, WEB_ACL, WEB_ACL_ASSOCIATION
from .rule import UNKNOWN, Finding, Resource, Rule


def scan_stack(resources: list[Resource], config: dict):
    header, min_length = config["headerName"], config["minLength"]
    apis = {r.urn: r for r in resources if r.type == REST_API}
    acls = {r.urn: r for r in resources if r.type == WEB_ACL}
    associations = [r for r in resources if r.type == WEB_ACL_ASSOCIATION]
    for stage in (r for r in resources if r.type == STAGE):
        api = next((apis[u] for u in stage.property_dependencies.get("restApi", []) if u in apis), None)
        if api is not None and every_method_requires(api, header):
            continue
        guards = [acls[u] for a in associations if stage.urn in a.property_dependencies.get("resourceArn", [])
                  for u in a.property_dependencies.get("webAclArn", []) if u in acls]
        if any(admits_only_the_secret(acl, header, min_length) for acl in guards):
            continue
        found = ("guarded by a web ACL that also admits requests without the secret" if guards
                 else "reachable without the origin secret (no WAF web ACL associated, no method requires it)")
        yield Finding(f"stage {stage.props.get('stageName', stage.name)}", found,
                      f"a REGIONAL WAF web ACL on the stage that blocks by default and allows only requests whose "
                      f"{header} header exactly matches the secret, or every method requiring {header}",
                      resource=stage)


def guarding_acls(resources: list[Resource]) -> list[Resource]:
    """The REGIONAL web ACLs associated with a stage."""
    stages = {r.urn for r in resources if r.type == STAGE}
    acls = {r.urn: r for r in resources if r.type == WEB_ACL and r.props.get("scope") == "REGIONAL"}
    return [acls[u] for a in resources if a.type == WEB_ACL_ASSOCIATION
            and stages & set(a.property_dependencies.get("resourceArn", []))
            for u in a.property_dependencies.get("webAclArn", []) if u in acls]


def accepted_values(acl: Resource, header: str) -> list:
    """The header values the web ACL's allow rules compare with (UNKNOWN where not yet known)."""
    values: list = []

    def collect(statement: dict) -> None:
        for inner in (statement.get("orStatement") or {}).get("statements") or []:
            collect(inner)
        match = statement.get("byteMatchStatement")
        if isinstance(match, dict):
            name = ((match.get("fieldToMatch") or {}).get("singleHeader") or {}).get("name")
            if str(name).lower() == header.lower():
                values.append(match.get("searchString"))

    for rule in acl.props.get("rules") or []:
        if "allow" in (rule.get("action") or {}):
            collect(rule.get("statement") or {})
    return values


def admits_only_the_secret(acl: Resource, header: str, min_length: int) -> bool:
    props = acl.props
    if props.get("scope") != "REGIONAL" or "block" not in (props.get("defaultAction") or {}):
        return False
    allowing = [rule for rule in props.get("rules") or [] if "allow" in (rule.get("action") or {})]
    return bool(allowing) and all(_secret_match(rule.get("statement") or {}, header, min_length) for rule in allowing)


def _secret_match(statement: dict, header: str, min_length: int) -> bool:
    if "orStatement" in statement:  # two accepted values while a secret is rotated
        inner = (statement["orStatement"] or {}).get("statements") or []
        return bool(inner) and all(_secret_match(s, header, min_length) for s in inner)
    match = statement.get("byteMatchStatement")
    if not isinstance(match, dict):
        return False
    single = ((match.get("fieldToMatch") or {}).get("singleHeader") or {}).get("name")
    value = match.get("searchString")
    long_enough = value is UNKNOWN or (isinstance(value, str) and len(value) >= min_length)
    return (str(single).lower() == header.lower() and match.get("positionalConstraint") == "EXACTLY"
            and long_enough)


def every_method_requires(api: Resource, header: str) -> bool:
    body = api.props.get("body")
    if not isinstance(body, str):
        return False
    try:
        paths = json.loads(body).get("paths") or {}
    except (json.JSONDecodeError, AttributeError):
        return False
    operations = [(item, op) for item in paths.values() if isinstance(item, dict)
                  for method, op in item.items() if method != "parameters" and isinstance(op, dict)]
    return bool(operations) and all(_requires(item.get("parameters", []) + op.get("parameters", []), header)
                                    for item, op in operations)


def _requires(parameters: list, header: str) -> bool:
    return any(p.get("in") == "header" and str(p.get("name", "")).lower() == header.lower() and p.get("required")
               for p in parameters if isinstance(p, dict))


RULE = Rule(
    name="api-requires-origin-secret",
    description="Every API Gateway stage rejects callers without the origin secret: a REGIONAL WAF web ACL on the "
                "stage admits only the secret header (or every method requires the header).",
    remediation="Keep the origin guard of program/ml_edge/api.py: a REGIONAL wafv2.WebAcl (default block, one "
                "allow rule matching the secret header EXACTLY) and a WebAclAssociation with the stage.",
    config={"headerName": HEADER_NAME_SETTING, "minLength": MIN_LENGTH_SETTING},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
