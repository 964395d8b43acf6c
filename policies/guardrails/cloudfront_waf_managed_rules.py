"""The edge's web ACL runs AWS's managed protections in block mode: the known-bad-inputs group (Log4j JNDI lookups
among them, CVE-2021-44228) and the IP reputation list, each with override action none and no rule of theirs turned
into count or allow. Web ACLs of scope REGIONAL are the origin guard's: it refuses everything without the origin
secret, so managed groups belong at the edge."""

from pulumi_policy import EnforcementLevel

from .aws import WEB_ACL
from .rule import UNKNOWN, Finding, Resource, Rule, mapping, shown

REQUIRED_GROUPS = ["AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"]
WEAKENING_ACTIONS = ("count", "allow")


def scan(acl: Resource, config: dict):
    if acl.props.get("scope") != "CLOUDFRONT":
        return
    rules = acl.props.get("rules")
    if rules is UNKNOWN:
        return
    found = {}
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        group = mapping(mapping(mapping(rule).get("statement")).get("managedRuleGroupStatement"))
        if group.get("vendorName") == "AWS" and group.get("name"):
            found[group["name"]] = (index, rule, group)
    for name in config["requiredRuleGroups"]:
        if name not in found:
            yield Finding("rules", f"without the AWS managed rule group {name}",
                          f"a rule running {name} (ml-edge:waf.enabled adds it)")
            continue
        index, rule, group = found[name]
        where = f"rules[{index}] ({rule.get('name')})"
        override = rule.get("overrideAction")
        if override is not UNKNOWN and override != {"none": {}}:
            yield Finding(f"{where}.overrideAction", shown(override), '{"none": {}} (the group\'s own block actions)')
        overrides = group.get("ruleActionOverrides")
        for o, item in enumerate(overrides if isinstance(overrides, list) else []):
            action = mapping(mapping(item).get("actionToUse"))
            weakened = [a for a in WEAKENING_ACTIONS if a in action]
            if weakened:
                yield Finding(f"{where}.statement.managedRuleGroupStatement.ruleActionOverrides[{o}]",
                              f"{item.get('name')} → {weakened[0]}", "no rule of the group counted or allowed")


RULE = Rule(
    name="cloudfront-waf-managed-rules",
    description="The edge's (CLOUDFRONT) web ACL runs the AWS managed known-bad-inputs (Log4j) and IP reputation "
                "rule groups in block mode.",
    remediation="Keep the managed rules of program/ml_edge/edge.py's _web_acl with override_action none and no "
                "rule_action_overrides to count or allow.",
    config={"requiredRuleGroups": {"type": "array", "items": {"type": "string"}, "default": REQUIRED_GROUPS,
                                   "description": "AWS managed rule groups every edge web ACL must run."}},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(WEB_ACL,),
    scan=scan,
)
