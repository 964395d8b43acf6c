"""The API as one OpenAPI document: routes, request validation, gateway responses and integrations.

A pure function of the API's definition (ModelApiArgs, or the whole EnvConfig: both have its three fields) and
the backends' integrations, so the contract is one readable, diffable value.
"""

import json
from collections.abc import Sequence
from typing import Protocol

from .config import Model, ReferenceModel

JSON = "application/json"
API_KEY_SCHEME = "api_key"  # the name AWS documents for API Gateway API keys
AUTHORIZER_SCHEME = "consumer"  # the Lambda REQUEST authorizer that knows each key's models
AUTHORIZER_CACHE_SECONDS = 300  # a key's answer (every route it may call) is reused this long
NOT_FOUND_MESSAGE = "Not found: no such model or path. GET /models lists the models."
ERROR_HEADERS = {"Cache-Control": "no-store"}  # on every error answer: gateway responses and the WAF's 403
# On every answer of a region's API (mapped here for the mock and non-proxy integrations and the gateway responses,
# set by the WAF's 403 and by the reference model's function itself): which region served it, so a caller (the smoke
# suite) can tell which region the edge reached. CloudFront passes it on to the viewer (edge.py); a cached GET repeats
# the region whose answer filled the cache, a predict (never cached) names the region that served it.
REGION_HEADER = "X-ML-Edge-Region"

# Gateway response templates get simple variable substitution only (no VTL, so no escaping): a variable whose
# text may hold a quote, such as $context.error.validationErrorString, would break the JSON. Only
# $context.error.messageString, which API Gateway documents as already quoted, is substituted.
SUBSTITUTED_QUOTED = "$context.error.messageString"
ERROR_SCHEMA = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}


class ApiDefinition(Protocol):
    """What the document is made of."""

    @property
    def environment(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def models(self) -> Sequence[Model]: ...

    @property
    def max_instances(self) -> int: ...


def openapi_document(api: ApiDefinition, integrations: dict[str, dict], authorizer_uri: str) -> dict:
    """`integrations` maps each model name to its x-amazon-apigateway-integration; `authorizer_uri` is the
    consumer authorizer's Lambda invocation URI."""
    paths = {
        "/health": {"get": _static_get("Liveness of this environment", health_body(api), api.region)},
        "/models": {"get": _static_get("The model catalog, with one valid example request per model",
                                       catalog_body(api), api.region)},
    }
    for model in api.models:
        paths[f"/models/{model.name}/predict"] = {"post": _predict(model, integrations[model.name], api.region)}
    return {
        "openapi": "3.0.1",
        "info": {"title": f"ml-edge-{api.environment}", "version": "1.0",
                 "description": "ML models behind one cached HTTPS edge. Every response is JSON."},
        "paths": paths,
        "components": {"schemas": _schemas(api), "securitySchemes": security_schemes(authorizer_uri)},
        # the authorizer hands API Gateway the caller's key (usageIdentifierKey), so usage plans still meter it
        "x-amazon-apigateway-api-key-source": "AUTHORIZER",
        "x-amazon-apigateway-request-validators": {
            "body": {"validateRequestBody": True, "validateRequestParameters": False},
        },
        "x-amazon-apigateway-gateway-responses": gateway_responses(api),
    }


def security_schemes(authorizer_uri: str) -> dict:
    """Predict needs both: an API key (metered by the consumer's usage plan) and the consumer authorizer, which
    allows the key only on the models of its consumer. The authorizer never sees a key it does not know by hash."""
    return {
        API_KEY_SCHEME: {"type": "apiKey", "name": "x-api-key", "in": "header"},
        AUTHORIZER_SCHEME: {
            "type": "apiKey", "name": "x-api-key", "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "request",
                "identitySource": "method.request.header.x-api-key",
                "authorizerUri": authorizer_uri,
                "authorizerResultTtlInSeconds": AUTHORIZER_CACHE_SECONDS,
            },
        },
    }


def health_body(api: ApiDefinition) -> dict:
    return {"status": "ok", "environment": api.environment}


def catalog_body(api: ApiDefinition) -> dict:
    return {"models": [
        {"name": m.name, "backend": m.backend, "description": m.description, "example": m.catalog_example}
        for m in api.models
    ]}


def vtl_literal(value: dict) -> str:
    """JSON for a mapping template: `$` and `#` are VTL syntax, so they travel as JSON unicode escapes."""
    return json.dumps(value, ensure_ascii=True).replace("$", "\\u0024").replace("#", "\\u0023")


def gateway_responses(api: ApiDefinition) -> dict:
    """API Gateway's own errors as JSON: 404 instead of 'Missing Authentication Token', 403 for a missing, unknown
    or not-allowed key, 400 saying what a valid body is. (The origin guard's 403 comes from WAF, which answers
    before API Gateway: its headers are set there.)"""
    headers = {f"gatewayresponse.header.{name}": f"'{value}'"
               for name, value in {**ERROR_HEADERS, REGION_HEADER: api.region}.items()}

    def response(status: str | None, message: str | None = None) -> dict:
        template = json.dumps({"message": message}) if message else f'{{"message": {SUBSTITUTED_QUOTED}}}'
        answer = {"responseParameters": headers, "responseTemplates": {JSON: template}}
        return {"statusCode": status, **answer} if status else answer

    forbidden_key = "Forbidden: send a valid consumer key in x-api-key"
    return {
        "MISSING_AUTHENTICATION_TOKEN": response("404", NOT_FOUND_MESSAGE),
        "RESOURCE_NOT_FOUND": response("404", NOT_FOUND_MESSAGE),
        "BAD_REQUEST_BODY": response("400", f'Invalid request body: send a JSON object {{"instances": [...]}} with '
                                            f'1 to {api.max_instances} instances, shaped like the example of this '
                                            f'model in GET /models'),
        "UNSUPPORTED_MEDIA_TYPE": response("415", "Send the request body as application/json"),
        "THROTTLED": response("429", "Too many requests for this consumer key or this API; retry with backoff"),
        "QUOTA_EXCEEDED": response("429", "Quota of this consumer key exceeded"),
        "UNAUTHORIZED": response("403", forbidden_key),  # no x-api-key: API Gateway answers before the authorizer
        "INVALID_API_KEY": response("403", forbidden_key),
        # the authorizer denies a key it does not know, and a known key on a model outside its consumer's list
        "ACCESS_DENIED": response("403", "Forbidden: this consumer key is unknown or may not call this model "
                                         "(GET /models lists the models; ask for access to more)"),
        "DEFAULT_4XX": response(None),
        "DEFAULT_5XX": response(None),
    }


def region_headers() -> dict:
    """A method response's declaration of the region header (API Gateway maps only declared headers)."""
    return {"headers": {REGION_HEADER: {"schema": {"type": "string"}}}}


def with_region_header(integration: dict, region: str) -> dict:
    """The integration with every integration response mapping the region header to a static value. A proxy
    integration has no integration responses: its backend sets the header itself (the reference model does)."""
    if "responses" not in integration:
        return integration
    mapping = {f"method.response.header.{REGION_HEADER}": f"'{region}'"}
    return {**integration, "responses": {
        pattern: {**response, "responseParameters": {**response.get("responseParameters", {}), **mapping}}
        for pattern, response in integration["responses"].items()}}


def _static_get(summary: str, body: dict, region: str) -> dict:
    return {
        "summary": summary,
        # no inline response schema: API Gateway would have to invent a model for it (an import warning)
        "responses": {"200": {"description": "OK", **region_headers()}},
        "x-amazon-apigateway-integration": with_region_header({
            "type": "mock",
            "passthroughBehavior": "when_no_match",
            "requestTemplates": {JSON: '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {JSON: vtl_literal(body)}}},
        }, region),
    }


def _predict(model, integration: dict, region: str) -> dict:
    schema = "IrisPredictRequest" if isinstance(model, ReferenceModel) else "PredictRequest"
    responses = {"200": {"description": "One prediction per instance", **region_headers()}}
    for status in ("400", "403", "404", "429", "502"):
        responses[status] = {"description": "Error", **region_headers(),
                             "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "summary": f"Predict with {model.name} ({model.backend})",
        "requestBody": {"required": True, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
        "responses": responses,
        "security": [{API_KEY_SCHEME: [], AUTHORIZER_SCHEME: []}],  # a consumer key allowed on this model
        "x-amazon-apigateway-request-validator": "body",
        "x-amazon-apigateway-integration": with_region_header(integration, region),
    }


def _schemas(api: ApiDefinition) -> dict:
    instances = {"type": "array", "minItems": 1, "maxItems": api.max_instances}
    iris_instance = {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}
    return {
        "PredictRequest": {"type": "object", "required": ["instances"], "properties": {"instances": instances}},
        "IrisPredictRequest": {
            "type": "object", "required": ["instances"], "additionalProperties": False,
            "properties": {"instances": {**instances, "items": iris_instance}},
        },
        "Error": ERROR_SCHEMA,
    }
