"""API Gateway validates every request body before a backend sees it: each operation that takes a body (POST, PUT,
PATCH) declares a required JSON body with a schema, and names a request validator that validates bodies. A body
that does not fit is answered 400 by API Gateway, at no backend cost (the reference model, a SageMaker endpoint or a
model server never parses it)."""

from pulumi_policy import EnforcementLevel

from .aws import REST_API
from .openapi import document, operations
from .rule import Finding, Resource, Rule, mapping, shown

VALIDATOR = "x-amazon-apigateway-request-validator"
VALIDATORS = "x-amazon-apigateway-request-validators"
BODY_METHODS = ("post", "put", "patch")
JSON = "application/json"


def scan(api: Resource, config: dict):
    openapi = document(api)
    if isinstance(openapi, Finding):
        yield openapi
    if not isinstance(openapi, dict):
        return
    validators = openapi.get(VALIDATORS) if isinstance(openapi.get(VALIDATORS), dict) else {}
    for path, method, operation in operations(openapi):
        if method.lower() not in BODY_METHODS:
            continue
        where = f"paths.{path}.{method}"
        body = mapping(operation.get("requestBody"))
        schema = mapping(mapping(mapping(body.get("content")).get(JSON)).get("schema"))
        if body.get("required") is not True or not schema:
            yield Finding(f"{where}.requestBody", "not a required JSON body with a schema",
                          f'{{"required": true, "content": {{"{JSON}": {{"schema": ...}}}}}}')
        name = operation.get(VALIDATOR, openapi.get(VALIDATOR))
        validator = validators.get(name) if isinstance(name, str) else None
        if not isinstance(validator, dict) or validator.get("validateRequestBody") is not True:
            yield Finding(f"{where}.{VALIDATOR}", shown(name),
                          f"a validator of {VALIDATORS} with validateRequestBody: true")


RULE = Rule(
    name="apigateway-request-validation",
    description="Every API operation that takes a body (POST, PUT, PATCH) requires a JSON body with a schema, and "
                "API Gateway validates it before any backend runs.",
    remediation="Keep requestBody (required, with a schema) and x-amazon-apigateway-request-validator: body on every "
                "predict operation (program/ml_edge/openapi.py).",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(REST_API,),
    scan=scan,
)
