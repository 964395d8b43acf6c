"""No way into the backends but the REST API behind the edge: no Lambda function URL, no HTTP or WebSocket API
(apigatewayv2), and every Lambda permission lets only API Gateway invoke, from this stack's REST API (its
execution ARN, e.g. `<executionArn>/*/POST/models/iris/predict` or `<executionArn>/authorizers/*`). One exception:
EventBridge (`events.amazonaws.com`) may invoke a function from a rule of this stack (the region canary's schedule,
`arn:aws:events:<region>:<account>:rule/ml-edge-<env>-…`): a schedule carries no request of a client. So the rule must
be a schedule (no event pattern, which anyone allowed to put events on the bus could match), in the permission's
region, its ARN the source ARN, and the function one of the rule's own targets."""

import re

from pulumi_policy import EnforcementLevel

from .aws import EVENT_RULE, EVENT_TARGET, HTTP_API, LAMBDA_FUNCTION_URL, LAMBDA_PERMISSION, REST_API, STAGE
from .rule import UNKNOWN, Finding, Resource, Rule, region_of, shown

API_GATEWAY = "apigateway.amazonaws.com"
EVENTS = "events.amazonaws.com"
BYPASSES = {LAMBDA_FUNCTION_URL: "a Lambda function URL (a public endpoint next to the edge)",
            HTTP_API: "an API Gateway HTTP or WebSocket API (apigatewayv2), a second way in next to the edge"}


def scan_stack(resources: list[Resource], config: dict):
    apis = {r.urn: r for r in resources if r.type == REST_API}
    rules = {r.urn: r for r in resources if r.type == EVENT_RULE}
    targets = [r for r in resources if r.type == EVENT_TARGET]
    prefixes = execution_arn_prefixes(resources, apis)
    for resource in resources:
        if resource.type in BYPASSES:
            yield Finding("type", BYPASSES[resource.type],
                          "no other way into the backends than the REST API behind CloudFront", resource=resource)
        elif resource.type == LAMBDA_PERMISSION and resource.props.get("principal") == EVENTS:
            yield from _scheduled(resource, rules, targets)
        elif resource.type == LAMBDA_PERMISSION:
            yield from _permission(resource, apis, prefixes)


def _permission(permission: Resource, apis: dict[str, Resource], prefixes: dict[str, re.Pattern]):
    principal = permission.props.get("principal")
    if principal is not UNKNOWN and principal != API_GATEWAY:
        yield Finding("principal", shown(principal), f'"{API_GATEWAY}" (only this stack\'s REST API may invoke a '
                                                     f'function), or "{EVENTS}" from an EventBridge rule of this stack',
                      resource=permission)
        return
    source = permission.props.get("sourceArn")
    from_apis = [u for u in permission.property_dependencies.get("sourceArn", []) if u in apis]
    if not from_apis:
        yield Finding("sourceArn", shown(source),
                      "an ARN built from the execution ARN of a REST API of this stack (without it any API Gateway "
                      "API, in any account, may invoke the function)", resource=permission)
    elif isinstance(source, str) and not any(prefixes[u].match(source) for u in from_apis):
        names = ", ".join(apis[u].name for u in from_apis)
        yield Finding("sourceArn", shown(source),
                      f"an ARN under the execution ARN of {names} (<executionArn>/<stage>/<method>/<path> or "
                      f"<executionArn>/authorizers/<id>, no wildcard in the API id, region or account)",
                      resource=permission)


def _scheduled(permission: Resource, rules: dict[str, Resource], targets: list[Resource]):
    """EventBridge may invoke only from a schedule of this stack: the source ARN comes from one of its rules (the
    rule's own ARN once known) and names a rule of the environment (`rule/ml-edge-<env>-…`, no wildcard), in a
    concrete region and account; that rule is a schedule in the permission's region and targets this function."""
    source = permission.props.get("sourceArn")
    environment = stack_name(permission.urn)
    allowed = (f"the ARN of an EventBridge rule of this stack (arn:aws:events:<region>:<account>:rule/"
               f"ml-edge-{environment}-…; without it any rule, in any account, may invoke the function)")
    from_rules = [rules[u] for u in permission.property_dependencies.get("sourceArn", []) if u in rules]
    pattern = rf"arn:aws[a-z-]*:events:[a-z]{{2}}(-[a-z]+)+-\d:\d{{12}}:rule/ml-edge-{re.escape(environment)}-[\w.-]+"
    own_arns = [r.props.get("arn") for r in from_rules if isinstance(r.props.get("arn"), str)]
    if len(from_rules) != 1 or (isinstance(source, str) and (not re.fullmatch(pattern, source)
                                                             or (own_arns and source not in own_arns))):
        yield Finding("sourceArn", shown(source), allowed, resource=permission)
        return
    (rule,) = from_rules
    if rule.props.get("eventPattern") or not rule.props.get("scheduleExpression") \
            or rule.props.get("eventBusName") not in (None, "", "default", UNKNOWN):
        yield Finding("sourceArn", f"the rule {rule.name}, which is not a schedule on the default event bus",
                      "a rule with a scheduleExpression and no eventPattern (anyone allowed to put events on a bus "
                      "could match a pattern)", resource=permission)
    here, there = region_of(permission), region_of(rule)
    if UNKNOWN not in (here, there) and here != there:
        yield Finding("sourceArn", f"the rule {rule.name} in {shown(there)}", f"a rule in the permission's region "
                      f"{shown(here)}", resource=permission)
    functions = set(permission.property_dependencies.get("function", []))
    if functions and not any(rule.urn in t.property_dependencies.get("rule", [])
                             and functions & set(t.property_dependencies.get("arn", [])) for t in targets):
        yield Finding("function", f"a function the rule {rule.name} does not target",
                      "the function the rule's own target invokes", resource=permission)


def stack_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::…` → the stack, which is the environment."""
    return urn.split("::", 1)[0].rsplit(":", 1)[-1]


def execution_arn_prefixes(resources: list[Resource], apis: dict[str, Resource]) -> dict[str, re.Pattern]:
    """REST API URN → what an ARN under its execution ARN starts with, as far as the plan knows it: the API's own
    `executionArn` (known once the API exists), else its id as a stage names it (the region and account then
    only need to be concrete), else any concrete API id."""
    ids = {}
    for stage in (r for r in resources if r.type == STAGE):
        urns, value = stage.property_dependencies.get("restApi", []), stage.props.get("restApi")
        if len(urns) == 1 and urns[0] in apis and isinstance(value, str):
            ids[urns[0]] = value
    prefixes = {}
    for urn, api in apis.items():
        arn = api.props.get("executionArn")
        if isinstance(arn, str):
            prefixes[urn] = re.compile(re.escape(arn) + "/")
        else:
            api_id = re.escape(ids[urn]) if urn in ids else "[a-z0-9]+"
            prefixes[urn] = re.compile(rf"arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{{12}}:{api_id}/")
    return prefixes


RULE = Rule(
    name="backends-only-via-api",
    description="No way into the backends but the REST API behind the edge: no Lambda function URL, no HTTP or "
                "WebSocket API, and every Lambda permission is for API Gateway from this stack's REST API (or for "
                "EventBridge from a rule of this stack).",
    remediation="Remove function URLs and apigatewayv2 APIs; grant lambda:InvokeFunction only to "
                "apigateway.amazonaws.com with source_arn built from the REST API's execution_arn "
                "(program/ml_edge/backends.py does this for the models and the consumer authorizer), or to "
                "events.amazonaws.com with source_arn = the arn of an EventRule of this stack (origin_domain.py's "
                "region canary).",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
