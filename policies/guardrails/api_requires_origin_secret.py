"""Nobody reaches the API around the edge: each stage answers only requests carrying the origin secret.

A REGIONAL WAF web ACL associated with the stage blocks by default and allows only an exact match of the secret
header. Declaring the header as required on methods is no guard (API Gateway checks presence, not the value).
With several regions, every region's stage needs its own guard: a REGIONAL web ACL and its association live in one
region and guard only resources of that region, so a guard (or association) in another region than the stage's
is no guard. A resource's region is its `region` if set, else its provider's (the stack's aws:region).
The guard fails closed on anything whose effect this plan cannot see: rule groups (their rules and actions live
elsewhere), override actions, and actions other than allow and block.
"""

from pulumi_policy import EnforcementLevel

from .aws import HEADER_NAME_SETTING, MIN_LENGTH_SETTING, STAGE, WEB_ACL, WEB_ACL_ASSOCIATION
from .rule import UNKNOWN, Finding, Resource, Rule, region_of, shown

RULE_GROUP_STATEMENTS = ("ruleGroupReferenceStatement", "managedRuleGroupStatement")


def scan_stack(resources: list[Resource], config: dict):
    header, min_length = config["headerName"], config["minLength"]
    acls = {r.urn: r for r in resources if r.type == WEB_ACL}
    associations = [r for r in resources if r.type == WEB_ACL_ASSOCIATION]
    allowed = (f"a REGIONAL WAF web ACL on the stage that blocks by default and allows only requests whose {header} "
               f"header exactly matches the secret (rules: allow on that match, or block; no rule groups, override "
               f"actions, count, captcha or challenge)")
    for stage in (r for r in resources if r.type == STAGE):
        region = region_of(stage)
        guards = [(a, acls[u]) for a in associations if stage.urn in a.property_dependencies.get("resourceArn", [])
                  for u in a.property_dependencies.get("webAclArn", []) if u in acls]
        problems = {acl.name: _elsewhere(region, association, acl) + guard_problems(acl, header, min_length)
                    for association, acl in guards}
        if guards and not all(problems.values()):
            continue
        found = ("; ".join(f"guarded by web ACL {name}, which {', '.join(reasons)}" for name, reasons in
                           problems.items()) if guards
                 else "reachable without the origin secret (no WAF web ACL associated)")
        yield Finding(f"stage {stage.props.get('stageName', stage.name)}", found, allowed, resource=stage)


def _elsewhere(region, association: Resource, acl: Resource) -> list[str]:
    """Why a guard does not guard a stage of `region`: its web ACL or association is in another region."""
    if region is UNKNOWN:
        return []  # judged at deploy
    return [f"{what} in {shown(other)}, not in the stage's region {shown(region)}"
            for what, other in (("is", region_of(acl)), ("is associated", region_of(association)))
            if other is not UNKNOWN and other != region]


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


def guard_problems(acl: Resource, header: str, min_length: int) -> list[str]:
    """Why the web ACL may admit a request without the secret (empty: it admits only the secret)."""
    props = acl.props
    problems = []
    if props.get("scope") != "REGIONAL":
        problems.append(f"has scope {shown(props.get('scope'))}")
    if "block" not in _keys(props.get("defaultAction")):
        problems.append("does not block by default")
    rules = [r for r in _items(props.get("rules")) if isinstance(r, dict)]
    for rule in rules:
        name = shown(rule.get("name"))
        actions = _keys(rule.get("action"))
        groups = sorted(_statement_kinds(rule.get("statement")) & set(RULE_GROUP_STATEMENTS))
        if groups:
            problems.append(f"has rule {name} using a rule group ({', '.join(groups)}), whose actions this plan "
                            f"cannot see")
        if rule.get("overrideAction"):
            problems.append(f"has rule {name} with an overrideAction")
        if actions not in (["allow"], ["block"]) and not groups:
            problems.append(f"has rule {name} with action {', '.join(actions) or 'none'}")
        elif actions == ["allow"] and not _secret_match(rule.get("statement") or {}, header, min_length):
            problems.append(f"has rule {name} that allows requests without an exact match of a {header} secret of "
                            f"at least {min_length} characters")
    if not any(_keys(r.get("action")) == ["allow"] for r in rules):
        problems.append(f"has no rule allowing the {header} secret")
    return problems


def _keys(value) -> list[str]:
    return sorted(value) if isinstance(value, dict) else []


def _items(value) -> list:
    return value if isinstance(value, list) else []


def _statement_kinds(statement) -> set[str]:
    """Every statement type used anywhere in a (nested) statement."""
    kinds: set[str] = set()
    if isinstance(statement, dict):
        for key, value in statement.items():
            if key.endswith("Statement"):
                kinds.add(key)
            kinds |= _statement_kinds(value)
    elif isinstance(statement, list):
        for item in statement:
            kinds |= _statement_kinds(item)
    return kinds


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


RULE = Rule(
    name="api-requires-origin-secret",
    description="Every API Gateway stage rejects callers without the origin secret: a REGIONAL WAF web ACL on the "
                "stage admits only the secret header; rule groups, override actions and actions other than allow "
                "or block fail closed.",
    remediation="Keep the origin guard of program/ml_edge/api.py: a REGIONAL wafv2.WebAcl (default block, one "
                "allow rule matching the secret header EXACTLY, no rule groups) and a WebAclAssociation with the "
                "stage. Requiring the header on methods is no substitute: API Gateway checks presence, not value.",
    config={"headerName": HEADER_NAME_SETTING, "minLength": MIN_LENGTH_SETTING},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
