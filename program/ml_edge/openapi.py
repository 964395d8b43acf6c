"""The API as one OpenAPI document: routes, request validation, gateway responses and integrations.

A pure function of the config and the backends' integrations, so the contract is one readable, diffable value.
"""

import json

from .config import EnvConfig, ReferenceModel

JSON = "application/json"
API_KEY_SCHEME = "api_key"  # the name AWS documents for API Gateway API keys
NOT_FOUND_MESSAGE = "Not found: no such model or path. GET /models lists the models."

# AWS's documented template; validationErrorString names the failing property (e.g. missing "instances")
BAD_BODY_TEMPLATE = '{"message": "Invalid request body: $context.error.validationErrorString"}'
ERROR_SCHEMA = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}


def openapi_document(cfg: EnvConfig, integrations: dict[str, dict]) -> dict:
    """`integrations` maps each model name to its x-amazon-apigateway-integration."""
    paths = {
        "/health": {"get": _static_get("Liveness of this environment", health_body(cfg))},
        "/models": {"get": _static_get("The model catalog, with one valid example request per model",
                                       catalog_body(cfg))},
    }
    for model in cfg.models:
        paths[f"/models/{model.name}/predict"] = {"post": _predict(model, integrations[model.name])}
    return {
        "openapi": "3.0.1",
        "info": {"title": f"ml-edge-{cfg.environment}", "version": "1.0",
                 "description": "ML models behind one cached HTTPS edge. Every response is JSON."},
        "paths": paths,
        "components": {"schemas": _schemas(cfg), "securitySchemes": {
            API_KEY_SCHEME: {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
        "x-amazon-apigateway-api-key-source": "HEADER",
        "x-amazon-apigateway-request-validators": {
            "body": {"validateRequestBody": True, "validateRequestParameters": False},
        },
        "x-amazon-apigateway-gateway-responses": gateway_responses(),
    }


def health_body(cfg: EnvConfig) -> dict:
    return {"status": "ok", "environment": cfg.environment}


def catalog_body(cfg: EnvConfig) -> dict:
    return {"models": [
        {"name": m.name, "backend": m.backend, "description": m.description, "example": m.catalog_example}
        for m in cfg.models
    ]}


def vtl_literal(value: dict) -> str:
    """JSON for a mapping template: `$` and `#` are VTL syntax, so they travel as JSON unicode escapes."""
    return json.dumps(value, ensure_ascii=True).replace("$", "\\u0024").replace("#", "\\u0023")


def gateway_responses() -> dict:
    """API Gateway's own errors as JSON: 404 instead of 'Missing Authentication Token', 400 naming the problem."""
    no_store = {"gatewayresponse.header.Cache-Control": "'no-store'"}

    def response(status: str | None, template: str) -> dict:
        answer = {"responseParameters": no_store, "responseTemplates": {JSON: template}}
        return {"statusCode": status, **answer} if status else answer

    return {
        "MISSING_AUTHENTICATION_TOKEN": response("404", json.dumps({"message": NOT_FOUND_MESSAGE})),
        "RESOURCE_NOT_FOUND": response("404", json.dumps({"message": NOT_FOUND_MESSAGE})),
        "BAD_REQUEST_BODY": response("400", BAD_BODY_TEMPLATE),
        "UNSUPPORTED_MEDIA_TYPE": response("415", '{"message": "Send the request body as application/json"}'),
        "THROTTLED": response("429", '{"message": "Too many requests (or a model outside your key\'s plan); '
                                     'retry with backoff"}'),
        "QUOTA_EXCEEDED": response("429", '{"message": "Quota of this consumer key exceeded"}'),
        "INVALID_API_KEY": response("403", '{"message": "Forbidden: send a valid consumer key in x-api-key"}'),
        "WAF_FILTERED": response("403", '{"message": "Forbidden"}'),
        "DEFAULT_4XX": response(None, '{"message": $context.error.messageString}'),
        "DEFAULT_5XX": response(None, '{"message": $context.error.messageString}'),
    }


def _static_get(summary: str, body: dict) -> dict:
    return {
        "summary": summary,
        # no inline response schema: API Gateway would have to invent a model for it (an import warning)
        "responses": {"200": {"description": "OK"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "passthroughBehavior": "when_no_match",
            "requestTemplates": {JSON: '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {JSON: vtl_literal(body)}}},
        },
    }


def _predict(model, integration: dict) -> dict:
    schema = "IrisPredictRequest" if isinstance(model, ReferenceModel) else "PredictRequest"
    responses = {"200": {"description": "One prediction per instance"}}
    error = {"description": "Error", "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for status in ("400", "403", "404", "429", "502"):
        responses[status] = error
    return {
        "summary": f"Predict with {model.name} ({model.backend})",
        "requestBody": {"required": True, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
        "responses": responses,
        "security": [{API_KEY_SCHEME: []}],  # a consumer key; health and the catalog need none
        "x-amazon-apigateway-request-validator": "body",
        "x-amazon-apigateway-integration": integration,
    }


def _schemas(cfg: EnvConfig) -> dict:
    instances = {"type": "array", "minItems": 1, "maxItems": cfg.max_instances}
    iris_instance = {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}
    return {
        "PredictRequest": {"type": "object", "required": ["instances"], "properties": {"instances": instances}},
        "IrisPredictRequest": {
            "type": "object", "required": ["instances"], "additionalProperties": False,
            "properties": {"instances": {**instances, "items": iris_instance}},
        },
        "Error": ERROR_SCHEMA,
    }
