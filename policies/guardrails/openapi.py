"""Reading a RestApi's OpenAPI body: the document and its operations."""

import json
from collections.abc import Iterator

from .rule import Finding, Resource

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "x-amazon-apigateway-any-method")


def document(api: Resource) -> dict | Finding | None:
    """The parsed body; None when it is computed at deploy (or the API is built from Resource/Method resources,
    not used here); a Finding when it is not a JSON object."""
    body = api.props.get("body")
    if not isinstance(body, str):
        return None
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return Finding("body", "not valid JSON", "an OpenAPI document")
    return parsed if isinstance(parsed, dict) else Finding("body", "not a JSON object", "an OpenAPI document")


def operations(openapi: dict) -> Iterator[tuple[str, str, dict]]:
    """(path, method, operation) for every operation of the document."""
    paths = openapi.get("paths")
    for path, item in (paths.items() if isinstance(paths, dict) else []):
        for method, operation in (item.items() if isinstance(item, dict) else []):
            if method.lower() in HTTP_METHODS and isinstance(operation, dict):
                yield path, method, operation
