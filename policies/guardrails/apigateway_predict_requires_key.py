"""Every inference route requires a consumer key AND the consumer authorizer: in the API's OpenAPI body each
POST …/predict operation has exactly one security requirement naming both an API-key scheme (x-api-key header)
and a Lambda REQUEST authorizer that reads x-api-key and decides which models the consumer may call. The key
source is AUTHORIZER: the authorizer hands API Gateway the key (usageIdentifierKey), so usage plans still meter.
"""

import re

from pulumi_policy import EnforcementLevel

from . import openapi
from .aws import REST_API
from .rule import Finding, Resource, Rule, shown

KEY_HEADER = "x-api-key"
AUTHTYPE = "x-amazon-apigateway-authtype"
AUTHORIZER = "x-amazon-apigateway-authorizer"
KEY_IDENTITY = f"method.request.header.{KEY_HEADER}"
LAMBDA_INVOCATION = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/"
    r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?/invocations$")
ALLOWED_SECURITY = ('exactly one requirement naming both an API-key scheme (x-api-key header) and the consumer '
                    'REQUEST authorizer, e.g. [{"api_key": [], "consumer": []}] (alternatives would each open the '
                    'route; every inference call needs a consumer key the authorizer allows for this model)')


def scan(api: Resource, config: dict):
    document = openapi.document(api)
    if isinstance(document, Finding):
        yield document
    if not isinstance(document, dict):
        return
    source = document.get("x-amazon-apigateway-api-key-source", "HEADER")
    if source != "AUTHORIZER":
        yield Finding("body.x-amazon-apigateway-api-key-source", shown(source),
                      '"AUTHORIZER" (the consumer authorizer returns the key as usageIdentifierKey, so usage plans '
                      'still meter it)')
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    schemes = schemes if isinstance(schemes, dict) else {}
    keys = {name for name, scheme in schemes.items() if is_key_scheme(scheme)}
    problems = {name: authorizer_problems(scheme) for name, scheme in schemes.items() if is_custom(scheme)}
    referenced: set[str] = set()
    for path, method, operation in openapi.operations(document):
        if method.lower() != "post" or not path.endswith(config["predictSuffix"]):
            continue
        security = operation.get("security")
        requirement = security[0] if isinstance(security, list) and len(security) == 1 else None
        names = set(requirement) if isinstance(requirement, dict) else set()
        referenced |= names & set(problems)
        if not (names & keys and names & set(problems)):
            yield Finding(f"body.paths[{path}].post.security", shown(security), ALLOWED_SECURITY)
    for name in sorted(referenced):
        for where, found, allowed in problems[name]:
            yield Finding(f"body.components.securitySchemes[{name}].{where}", found, allowed)


def is_key_scheme(scheme) -> bool:
    return (isinstance(scheme, dict) and scheme.get("type") == "apiKey" and scheme.get("in") == "header"
            and str(scheme.get("name", "")).lower() == KEY_HEADER and AUTHTYPE not in scheme)


def is_custom(scheme) -> bool:
    return isinstance(scheme, dict) and str(scheme.get(AUTHTYPE, "")).lower() == "custom"


def authorizer_problems(scheme: dict) -> list[tuple[str, str, str]]:
    """(property, found, allowed) for each way a custom scheme is not the consumer REQUEST authorizer."""
    authorizer = scheme.get(AUTHORIZER)
    if not isinstance(authorizer, dict):
        return [(AUTHORIZER, shown(authorizer), "a Lambda REQUEST authorizer")]
    found = []
    kind = authorizer.get("type")
    if str(kind).lower() != "request":
        found.append((f"{AUTHORIZER}.type", shown(kind),
                      '"request" (a TOKEN authorizer would not see which model is called)'))
    identity = authorizer.get("identitySource")
    if KEY_IDENTITY not in [s.strip().lower() for s in str(identity).split(",")]:
        found.append((f"{AUTHORIZER}.identitySource", shown(identity), f'one containing "{KEY_IDENTITY}"'))
    uri = authorizer.get("authorizerUri")
    if not LAMBDA_INVOCATION.match(str(uri)):
        found.append((f"{AUTHORIZER}.authorizerUri", shown(uri),
                      "a Lambda invocation ARN: arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/"
                      "<authorizer function ARN>/invocations"))
    return found


RULE = Rule(
    name="apigateway-predict-requires-key",
    description="Every inference route (POST …/predict) of every REST API requires a consumer API key and the "
                "consumer REQUEST authorizer (which enforces each consumer's model list); the key source is "
                "AUTHORIZER so usage plans still meter.",
    remediation="Keep the predict operations' `security: [{api_key: [], consumer: []}]`, the `consumer` Lambda "
                "REQUEST authorizer (identity source method.request.header.x-api-key) and "
                "`x-amazon-apigateway-api-key-source: AUTHORIZER` in program/ml_edge/openapi.py; give each caller "
                "a consumer in ml-edge:consumers.",
    config={"predictSuffix": {"type": "string", "default": "/predict",
                              "description": "Paths ending with this are inference routes."}},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(REST_API,),
    scan=scan,
)
