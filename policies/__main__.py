"""The ml-edge-guardrails policy pack. Only builds the pack: PolicyPack(...) starts the analyzer server and never
returns, so everything else (the rules, their tests) lives in the importable `guardrails` package."""

from pulumi_policy import PolicyPack

from guardrails import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    description="Blocks an ml-edge plan that would serve plain HTTP, cache too long, expose the origin or a "
                "backend (in any region), leak a key or the secret, skip the consumer authorizer, deploy an "
                "edge-optimized API, keep routing to a region that cannot predict, serve other models in one "
                "region or cross an AWS quota. Limits come from environments/<env>/policy.json.",
    policies=[rule.to_policy() for rule in POLICIES],
)
