"""HTTP model servers never receive a consumer's key or the origin secret, and can tell API Gateway from a direct
caller.

(a) An `http_proxy` integration passes every client header to the backend, so it must override both headers
with a static value; an `http` (non-proxy) integration passes only what it maps, so no request parameter and no
mapping template may read either header (nor `$context.identity.apiKey`, the caller's key).
(b) The API's stage has a client certificate: API Gateway presents it to model servers (mutual TLS), so they can
refuse everyone else.
"""

import re

from pulumi_policy import EnforcementLevel

from . import openapi
from .aws import HEADER_NAME_SETTING, REST_API, STAGE
from .rule import Finding, Resource, Rule, shown

KEY_HEADER = "x-api-key"
INTEGRATION = "x-amazon-apigateway-integration"
HEADER_SOURCE = re.compile(r"^\$?method\.request\.(?:multivalue)?header\.(.+)$", re.IGNORECASE)
MAPPING_EXPRESSION = re.compile(r"^\$?(method\.request|context|stageVariables)\.")
CALLER_KEY = re.compile(r"^\$?context\.identity\.apiKey$")
ALL_PARAMS = re.compile(r"\$!?\{?\s*input\.params\(\s*\)")  # the map of every header, query and path parameter
CALLER_KEY_IN_TEMPLATE = re.compile(r"\$!?\{?\s*context\.identity\.apiKey\b")


def scan_stack(resources: list[Resource], config: dict):
    header = config["headerName"]
    stages = [r for r in resources if r.type == STAGE]
    for api in (r for r in resources if r.type == REST_API):
        document = openapi.document(api)
        if not isinstance(document, dict):
            continue  # unknown until deploy, or invalid (apigateway-predict-requires-key reports that)
        http = [(path, method, operation[INTEGRATION]) for path, method, operation in openapi.operations(document)
                if isinstance(operation.get(INTEGRATION), dict)
                and str(operation[INTEGRATION].get("type", "")).lower() in ("http", "http_proxy")]
        for path, method, integration in http:
            problems = forwarded_headers(integration, [KEY_HEADER, header])
            if problems:
                yield Finding(f"body.paths[{path}].{method}.{INTEGRATION}", "; ".join(problems),
                              f"an integration that never passes x-api-key or {header} to the model server: "
                              f"type http mapping only the headers it needs (an http_proxy integration must "
                              f"override both with a static value)", resource=api)
        if not http:
            continue
        for stage in (s for s in stages if api.urn in s.property_dependencies.get("restApi", [])):
            certificate = stage.props.get("clientCertificateId")
            if not certificate:  # an id still UNKNOWN counts as set: it comes from a ClientCertificate
                yield Finding("clientCertificateId", shown(certificate),
                              f"a client certificate (aws.apigateway.ClientCertificate): the {len(http)} HTTP "
                              f"model route(s) behind this stage need it so model servers can authenticate API "
                              f"Gateway (mutual TLS) and refuse direct callers", resource=stage)


def forwarded_headers(integration: dict, headers: list[str]) -> list[str]:
    """How the integration lets each of `headers` reach the backend (empty: it does not)."""
    kind = str(integration.get("type")).lower()
    parameters = integration.get("requestParameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    templates = integration.get("requestTemplates")
    templates = templates if isinstance(templates, dict) else {}
    found = []
    if kind == "http_proxy":
        passed = [f"{name} {_override(value)}" for name in headers
                  if not _static(value := _target_value(parameters, name))]
        return [f"type http_proxy (passes every client header) with {', '.join(passed)}"] if passed else []
    for target, source in parameters.items():
        match = HEADER_SOURCE.match(str(source))
        if match and match.group(1).lower() in [h.lower() for h in headers]:
            found.append(f"type http mapping {shown(source)} to {target}")
        elif CALLER_KEY.match(str(source)):
            found.append(f"type http mapping {shown(source)} (the caller's key) to {target}")
    for content_type, template in templates.items():
        text = str(template)
        names = [h for h in headers
                 if re.search(r"\$!?\{?\s*input\.params\(\s*['\"]" + re.escape(h) + r"['\"]\s*\)", text, re.I)]
        if names:
            found.append(f"type http with a {content_type} template reading {', '.join(names)}")
        if ALL_PARAMS.search(text):
            found.append(f"type http with a {content_type} template reading $input.params() (every header)")
        if CALLER_KEY_IN_TEMPLATE.search(text):
            found.append(f"type http with a {content_type} template reading $context.identity.apiKey")
    return found


def _target_value(parameters: dict, header: str):
    targets = {str(k).lower(): v for k, v in parameters.items()}
    return targets.get(f"integration.request.header.{header.lower()}")


def _override(value) -> str:
    if value is None:
        return "not overridden"
    if MAPPING_EXPRESSION.match(str(value)):
        return f"mapped from {shown(value)}"
    return "overridden with a value that is not a quoted literal"  # never shown: it could be the secret itself


def _static(value) -> bool:
    return isinstance(value, str) and len(value) >= 2 and value.startswith("'") and value.endswith("'")


RULE = Rule(
    name="apigateway-backend-headers-stripped",
    description="HTTP model servers never receive x-api-key or the origin secret header, and the stage presents a "
                "client certificate so they can refuse direct callers (mutual TLS).",
    remediation="Keep HTTP models on a non-proxy `http` integration that maps only Content-Type, Accept and the "
                "consumer name (program/ml_edge/backends.py), and the stage's client_certificate_id "
                "(program/ml_edge/api.py); each model server must require that client certificate.",
    config={"headerName": HEADER_NAME_SETTING},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
