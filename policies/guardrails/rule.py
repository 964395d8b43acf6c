"""A guardrail is one small rule: a name, what it protects, how to fix it, the resource types it reads, its
config (JSON schema with defaults) and one scan function that yields findings. `to_policy` turns it into the
pulumi_policy object the analyzer serves; the scan functions take plain data, so tests call them directly.
"""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, _is_unknown


class _Unknown:
    """A value the engine only learns at deploy time (for example an id of a resource not yet created)."""

    def __repr__(self) -> str:
        return "(unknown until deploy)"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Resource:
    """What a rule sees of a planned resource: engine-shaped (camelCase) properties as plain data."""

    type: str
    name: str
    urn: str
    props: dict
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)  # property → URNs it came from
    provider: dict = field(default_factory=dict)  # its provider's inputs, as the engine sends them (aws: region)


@dataclass(frozen=True)
class Finding:
    """One violation: where, what was found (never a secret), and what is allowed."""

    path: str
    found: str
    allowed: str
    resource: Resource | None = None  # for stack rules: the resource at fault

    def message(self, resource: Resource) -> str:
        return f"{resource.name} ({resource.type}): {self.path} is {self.found}; allowed: {self.allowed}"


Scan = Callable[[Resource, Mapping[str, Any]], Iterable[Finding]]
StackScan = Callable[[list[Resource], Mapping[str, Any]], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    remediation: str
    config: dict[str, dict]  # JSON schema of each config property, each with a "default"
    enforcement: EnforcementLevel = EnforcementLevel.ADVISORY
    resource_types: tuple[str, ...] = ()
    scan: Scan | None = None
    scan_stack: StackScan | None = None

    def settings(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The rule's config: schema defaults, overlaid with what the pack config gives."""
        return {**{k: v["default"] for k, v in self.config.items()}, **plain(dict(given or {}))}

    def findings(self, resource: Resource, given: Mapping[str, Any] | None = None) -> list[Finding]:
        if self.scan is None or resource.type not in self.resource_types:
            return []
        return list(self.scan(resource, self.settings(given)))

    def stack_findings(self, resources: list[Resource], given: Mapping[str, Any] | None = None) -> list[Finding]:
        return list(self.scan_stack(resources, self.settings(given))) if self.scan_stack else []

    def to_policy(self):
        common = dict(name=self.name, description=self.description, enforcement_level=self.enforcement,
                      config_schema=PolicyConfigSchema(properties=self.config), remediation_steps=self.remediation)
        if self.scan_stack is not None:
            return StackValidationPolicy(validate=self._validate_stack, **common)
        return ResourceValidationPolicy(validate=self._validate_resource, **common)

    def _validate_resource(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in self.resource_types:
            args.not_applicable(f"applies to {', '.join(self.resource_types)} only")
        resource = Resource(args.resource_type, args.name, args.urn, plain(args.props),
                            provider=_provider_inputs(args.provider))
        for finding in self.findings(resource, args.get_config()):
            report(redact(finding.message(resource), resource))

    def _validate_stack(self, args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [
            Resource(r.resource_type, r.name, r.urn, plain(r.props),
                     {k: [d.urn for d in deps] for k, deps in r.property_dependencies.items()},
                     _provider_inputs(r.provider))
            for r in args.resources
        ]
        for finding in self.stack_findings(resources, args.get_config()):
            at_fault = finding.resource or resources[0]
            report(redact(finding.message(at_fault), *resources), at_fault.urn)


def _provider_inputs(provider) -> dict:
    return plain(provider.props) if provider is not None else {}


def plain(value: Any) -> Any:
    """The analyzer's unknown-checking proxies → plain dicts and lists, unknown values → UNKNOWN, and whole
    numbers back to int (protobuf carries every number as a float)."""
    if isinstance(value, str):
        return UNKNOWN if _is_unknown(value) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _get(value, key) for key in value}
    if isinstance(value, Sequence):
        return [_get(value, index) for index in range(len(value))]
    return value


def _get(container: Any, key: Any) -> Any:
    try:
        return plain(container[key])
    except UnknownValueError:
        return UNKNOWN


# --- helpers the rules share ----------------------------------------------------------------------------------

def mapping(value: Any) -> dict:
    """The value when it is an object, else an empty one (an unknown or malformed property reads as nothing)."""
    return value if isinstance(value, dict) else {}


def region_of(resource: Resource) -> Any:
    """Where a resource is deployed: its own `region` (pulumi-aws 7) if set, else its provider's, which for the
    default provider is the stack's aws:region (global services, Route 53 and CloudFront, read as the stack's).
    None when neither is given; UNKNOWN when the region is computed at deploy."""
    own = resource.props.get("region")
    return own if own not in (None, "") else resource.provider.get("region") or None


def shown(value: Any) -> str:
    """A value as a violation message shows it (never call this on a secret)."""
    if value is None:
        return "not set"
    if value is UNKNOWN:
        return repr(UNKNOWN)
    if isinstance(value, list | dict):
        return json.dumps(value, default=repr)
    return f'"{value}"' if isinstance(value, str) else str(value)


def one_of(values: Iterable[Any]) -> str:
    return ", ".join(shown(v) for v in values)


def behaviours(distribution: Resource) -> list[tuple[str, dict]]:
    """(path in the properties, behaviour) for every cache behaviour, ordered ones first, default last."""
    props = distribution.props
    ordered = props.get("orderedCacheBehaviors") or []
    found = [(f"orderedCacheBehaviors[{i}] ({b.get('pathPattern')})", b) for i, b in enumerate(ordered)
             if isinstance(b, dict)]
    default = props.get("defaultCacheBehavior")
    if isinstance(default, dict):
        found.append(("defaultCacheBehavior", default))
    return found


SENSITIVE_MIN_LENGTH = 6


def sensitive_values(resource: Resource) -> set[str]:
    """Header values CloudFront adds to origin requests and strings WAF compares headers with: policies see them
    in plain text, so every message is scrubbed of them before it is reported."""
    found: set[str] = set()
    for origin in resource.props.get("origins") or []:
        for header in (origin.get("customHeaders") or []) if isinstance(origin, dict) else []:
            if isinstance(header, dict) and isinstance(header.get("value"), str):
                found.add(header["value"])
    _search_strings(resource.props.get("rules"), found)
    return {v for v in found if len(v) >= SENSITIVE_MIN_LENGTH}


def _search_strings(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("searchString"), str):
            found.add(value["searchString"])
        for item in value.values():
            _search_strings(item, found)
    elif isinstance(value, list):
        for item in value:
            _search_strings(item, found)


def redact(message: str, *resources: Resource) -> str:
    for resource in resources:
        for secret in sorted(sensitive_values(resource), key=len, reverse=True):
            message = message.replace(secret, "[secret]")
    return message
