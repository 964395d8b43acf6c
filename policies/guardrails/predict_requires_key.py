"""Every inference route requires a consumer key: in the API's OpenAPI body each POST …/predict operation has an
API-key security requirement read from the x-api-key header."""

import json

from pulumi_policy import EnforcementLevel

from .aws import REST_API
from .rule import Finding, Resource, Rule, shown


def scan(api: Resource, config: dict):
    body = api.props.get("body")
    if not isinstance(body, str):
        return  # computed at deploy, or an API built from Resource/Method resources (not used here)
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        yield Finding("body", "not valid JSON", "an OpenAPI document")
        return
    source = document.get("x-amazon-apigateway-api-key-source", "HEADER")
    if source != "HEADER":
        yield Finding("body.x-amazon-apigateway-api-key-source", shown(source), '"HEADER" (consumers send x-api-key)')
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    key_schemes = {name for name, s in schemes.items() if isinstance(s, dict) and s.get("type") == "apiKey"
                   and s.get("in") == "header" and str(s.get("name", "")).lower() == "x-api-key"}
    for path, item in (document.get("paths") or {}).items():
        operation = item.get("post") if isinstance(item, dict) else None
        if not path.endswith(config["predictSuffix"]) or not isinstance(operation, dict):
            continue
        required = {name for requirement in operation.get("security") or [] for name in requirement}
        if not required & key_schemes:
            yield Finding(f"body.paths[{path}].post.security", shown(operation.get("security")),
                          "an API-key requirement (x-api-key header): every inference call needs a consumer key")


RULE = Rule(
    name="apigateway-predict-requires-key",
    description="Every inference route (POST …/predict) of every REST API requires a consumer API key.",
    remediation="Keep the `security` requirement on predict operations in program/ml_edge/openapi.py and give "
                "each caller a consumer in ml-edge:consumers.",
    config={"predictSuffix": {"type": "string", "default": "/predict",
                              "description": "Paths ending with this are inference routes."}},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(REST_API,),
    scan=scan,
)
