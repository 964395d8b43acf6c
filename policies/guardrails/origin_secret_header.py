"""Every origin that is an API Gateway endpoint carries the secret header, with a real (long, generated) value.

An origin is the API's when its host is an execute-api one (or unknown until deploy), or when it sends the secret
header at all. An origin on a custom domain (several regions: the latency-routed origin name) that sends no header
is the API's only in the stack's view: origin-secret-accepted finds that one.

Policies see secret values in plain text: findings describe the value (its length) and never contain it.
"""

import re

from pulumi_policy import EnforcementLevel

from .aws import DISTRIBUTION, HEADER_NAME_SETTING, MIN_LENGTH_SETTING
from .rule import UNKNOWN, Finding, Resource, Rule

EXECUTE_API_HOST = re.compile(r"\.execute-api\.[a-z0-9-]+\.amazonaws\.com$")
PLACEHOLDER_WORDS = ["changeme", "change-me", "placeholder", "example", "secret", "password", "dummy", "todo",
                     "replace", "default", "test", "xxxx", "1234", "abcd"]


def scan(distribution: Resource, config: dict):
    header, min_length = config["headerName"], config["minLength"]
    for index, origin in enumerate(distribution.props.get("origins") or []):
        if "customOriginConfig" not in origin or not is_api_origin(origin, header):
            continue
        where = f"origins[{index}] ({origin.get('originId')}).customHeaders"
        headers = secret_headers(origin, header)
        if not headers:
            names = [str(h.get("name")) for h in origin.get("customHeaders") or []]
            yield Finding(where, f"[{', '.join(names)}] (no {header})", f"a {header} header carrying the origin secret")
            continue
        value = headers[0].get("value")
        if value is UNKNOWN:
            continue  # generated at deploy time; the check runs again when the value is known
        where = f"{where}[{header}].value"
        if not isinstance(value, str) or len(value) < min_length:
            length = len(value) if isinstance(value, str) else 0
            yield Finding(where, f"a secret of {length} characters", f"at least {min_length} characters")
        elif _looks_like_a_placeholder(value, config["placeholders"]):
            yield Finding(where, "a secret that looks like a placeholder",
                          "a generated random value (the program's RandomPassword)")


def is_api_origin(origin: dict, header: str, api_domains: set | frozenset = frozenset()) -> bool:
    """An origin on API Gateway: an execute-api host, a host unknown until deploy (an API's host is computed from
    its id), one of `api_domains` (the plan's API Gateway custom domain names), or one sent the secret header."""
    domain = origin.get("domainName")
    return (domain is UNKNOWN or bool(EXECUTE_API_HOST.search(str(domain))) or domain in api_domains
            or bool(secret_headers(origin, header)))


def secret_headers(origin: dict, header: str) -> list[dict]:
    return [h for h in origin.get("customHeaders") or []
            if isinstance(h, dict) and str(h.get("name", "")).lower() == header.lower()]


def _looks_like_a_placeholder(value: str, words: list[str]) -> bool:
    lowered = value.lower()
    return any(word in lowered for word in words) or len(set(value)) < 8


RULE = Rule(
    name="origin-secret-header",
    description="Every CloudFront origin that points at an API Gateway endpoint sends the secret origin header, "
                "with a value of at least the configured length that is not a known placeholder.",
    remediation="Keep the origin's custom_headers entry for the secret header (program/ml_edge/edge.py) and let "
                "the program generate its value (origin_secret.py); never put a literal value in config or code.",
    config={
        "headerName": HEADER_NAME_SETTING,
        "minLength": MIN_LENGTH_SETTING,
        "placeholders": {"type": "array", "items": {"type": "string"}, "default": PLACEHOLDER_WORDS,
                         "description": "Fragments that mark a value as a placeholder (compared lower-case)."},
    },
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(DISTRIBUTION,),
    scan=scan,
)
