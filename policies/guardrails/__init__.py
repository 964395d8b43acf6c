"""The ml-edge-guardrails rules, one per module. Mandatory rules block a plan; advisory ones warn unless an
environment's policy.json makes them mandatory (prod does)."""

from . import (
    api_requires_secret,
    backend_headers_stripped,
    backends_only_via_api,
    edge_waf,
    https_redirect,
    iam_role_bounded,
    no_legacy_forwarding,
    origin_guard_no_sampled_requests,
    origin_https,
    origin_secret_accepted,
    origin_secret_header,
    predict_requires_key,
    regional_endpoint,
    security_headers,
    stage_observability,
    ttl_limits,
    usage_plan_throttled,
    viewer_tls,
)
from .rule import Rule

PACK_NAME = "ml-edge-guardrails"

POLICIES: list[Rule] = [
    https_redirect.RULE,
    origin_https.RULE,
    ttl_limits.RULE,
    origin_secret_header.RULE,
    api_requires_secret.RULE,
    origin_secret_accepted.RULE,
    origin_guard_no_sampled_requests.RULE,
    regional_endpoint.RULE,
    predict_requires_key.RULE,
    usage_plan_throttled.RULE,
    backend_headers_stripped.RULE,
    backends_only_via_api.RULE,
    iam_role_bounded.RULE,
    edge_waf.RULE,
    viewer_tls.RULE,
    security_headers.RULE,
    stage_observability.RULE,
    no_legacy_forwarding.RULE,
]
