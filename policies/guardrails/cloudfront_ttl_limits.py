"""Nothing is cached longer than the environment allows, and inference answers are never cached."""

from pulumi_policy import EnforcementLevel

from .aws import CACHE_POLICY, CACHING_DISABLED, DISTRIBUTION
from .rule import UNKNOWN, Finding, Resource, Rule, behaviours, shown

LEGACY_TTLS = ("minTtl", "defaultTtl", "maxTtl")


def scan(resource: Resource, config: dict):
    if resource.type == CACHE_POLICY:
        yield from _ttls("", resource.props, config["maxTtl"])
        return
    for path, behaviour in behaviours(resource):
        if any(key in behaviour for key in LEGACY_TTLS):
            yield from _ttls(f"{path}.", behaviour, config["maxTtl"])
    yield from _inference_uncached(resource, config["inferencePathPattern"])


def _ttls(prefix: str, props: dict, limit: int):
    ttls = {key: props.get(key) for key in LEGACY_TTLS}
    if any(v is UNKNOWN for v in ttls.values()):
        return
    low, default, high = (ttls[k] or 0 for k in LEGACY_TTLS)
    if high > limit:
        yield Finding(f"{prefix}maxTtl", shown(high), f"at most {limit} seconds in this environment")
    if not low <= default <= high:
        yield Finding(f"{prefix}minTtl/defaultTtl/maxTtl", f"{low}/{default}/{high}",
                      "minTtl ≤ defaultTtl ≤ maxTtl")


def _inference_uncached(distribution: Resource, pattern: str):
    matching = [(p, b) for p, b in behaviours(distribution) if b.get("pathPattern") == pattern]
    path, behaviour = matching[0] if matching else next(
        ((p, b) for p, b in behaviours(distribution) if p == "defaultCacheBehavior"), (None, None))
    if behaviour is None:
        return
    policy = behaviour.get("cachePolicyId")
    if policy == CACHING_DISABLED:
        return
    if policy is None and all((behaviour.get(k) or 0) == 0 for k in LEGACY_TTLS):
        return
    yield Finding(f"{path}.cachePolicyId (serves {pattern})", shown(policy),
                  f'the managed CachingDisabled policy "{CACHING_DISABLED}": inference answers are never cached')


RULE = Rule(
    name="cloudfront-ttl-limits",
    description="Every cache policy and legacy cache behaviour keeps minTtl ≤ defaultTtl ≤ maxTtl ≤ the "
                "environment's maximum, and the inference path is not cached at all.",
    remediation="Lower the TTLs in ml-edge:cache of environments/<env>/Pulumi.<env>.yaml (or raise maxTtl in "
                "that environment's policy.json after review); route the inference path through the managed "
                "CachingDisabled cache policy.",
    config={
        "maxTtl": {"type": "integer", "minimum": 0, "maximum": 31536000, "default": 3600,
                   "description": "Longest time in seconds any response may be cached at the edge."},
        "inferencePathPattern": {"type": "string", "default": "/models/*/predict",
                                 "description": "The path pattern of inference requests, which must not be cached."},
    },
    enforcement=EnforcementLevel.MANDATORY,
    resource_types=(DISTRIBUTION, CACHE_POLICY),
    scan=scan,
)
