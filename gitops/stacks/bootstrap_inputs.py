"""What tools/bootstrap.sh needs from an environment's stack file, read as the Pulumi CLI reads it (environments.py)
rather than line by line: the regions (`ml-edge:regions`, a flow or block list; `[aws:region]` without it), the
custom domain and the origin domain with their hosted zones, and the SageMaker endpoint of each model in each region
(`endpointName`: one name for every region, or a map region → name). Each value is checked against the shape it takes
in an ARN or a policy (the program's own patterns and regions), so a policy is never rendered from a value the
bootstrap cannot use; an error names the key and the file.

`python -m gitops.cli.bootstrap_inputs --env <env>` prints them as `key value…` lines for the bootstrap:
  region <aws:region>
  regions <region> <region>…                      (the first is aws:region)
  custom-domain <domainName>                      (with ml-edge:customDomain)
  custom-zone <hostedZoneId>                      (with ml-edge:customDomain.hostedZoneId)
  origin-domain <name> · origin-zone <hostedZoneId>  (with ml-edge:originDomain)
  endpoint <region> <endpointName>                (each SageMaker model, each region)
Exit: 0 read · 2 (UNUSABLE) the stack file cannot be read or a value is unusable (the message says which).
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import program_path  # noqa: F401  (makes the program's ml_edge package importable)
from .environments import ENVIRONMENTS_DIR, EnvironmentNotFound, read_stack_config, stack_file

from ml_edge.patterns import DNS_NAME_PATTERN, HOSTED_ZONE_PATTERN, SAGEMAKER_ENDPOINT_PATTERN  # isort: skip
from ml_edge.regions import REGIONS, region_list_problem  # isort: skip

UNUSABLE = 2
REGION_KEY, REGIONS_KEY = "aws:region", "ml-edge:regions"
CUSTOM_DOMAIN_KEY, ORIGIN_DOMAIN_KEY, MODELS_KEY = "ml-edge:customDomain", "ml-edge:originDomain", "ml-edge:models"


class UnusableStackFile(ValueError):
    """The stack file cannot be read, or a value the bootstrap needs is missing or has the wrong shape."""


@dataclass(frozen=True)
class Domain:
    name: str
    zone: str | None


@dataclass(frozen=True)
class BootstrapInputs:
    region: str
    regions: tuple[str, ...]
    custom_domain: Domain | None
    origin_domain: Domain | None
    endpoints: tuple[tuple[str, str], ...]  # (region, SageMaker endpoint name), in the stack file's order

    def lines(self) -> list[str]:
        lines = [f"region {self.region}", f"regions {' '.join(self.regions)}"]
        for prefix, domain in (("custom", self.custom_domain), ("origin", self.origin_domain)):
            if domain is not None:
                lines.append(f"{prefix}-domain {domain.name}")
                lines += [f"{prefix}-zone {domain.zone}"] if domain.zone else []
        return lines + [f"endpoint {region} {name}" for region, name in self.endpoints]


def read_inputs(environment: str, environments_dir: Path = ENVIRONMENTS_DIR) -> BootstrapInputs:
    where = f"environments/{environment}/{stack_file(environment).name}"
    try:
        values = read_stack_config(environment, environments_dir).values
    except EnvironmentNotFound as error:
        raise UnusableStackFile(str(error)) from None

    def fail(key: str, problem: str) -> UnusableStackFile:
        return UnusableStackFile(f"{where}: {key}: {problem}")

    region = values.get(REGION_KEY, "")
    if region not in REGIONS:
        raise fail(REGION_KEY, f"must name a region of the commercial partition, got {region or 'nothing'!r}")
    regions = _regions(_structured(values, REGIONS_KEY), region, fail)
    custom = _domain(_structured(values, CUSTOM_DOMAIN_KEY), CUSTOM_DOMAIN_KEY, "domainName", False, fail)
    origin = _domain(_structured(values, ORIGIN_DOMAIN_KEY), ORIGIN_DOMAIN_KEY, "name", True, fail)
    if len(regions) > 1 and origin is None:
        raise fail(ORIGIN_DOMAIN_KEY, f"required with more than one region ({REGIONS_KEY}: {', '.join(regions)}): "
                                      "{name, hostedZoneId}, the latency-routed name CloudFront reaches the regions "
                                      "by; the deploy role may create its records and certificates only")
    endpoints = _endpoints(_structured(values, MODELS_KEY), regions, fail)
    return BootstrapInputs(region, regions, custom, origin, endpoints)


def _structured(values: dict[str, str], key: str) -> Any:
    """A list or mapping value (read_stack_config hands objects on as JSON, as the engine does), a scalar's text as
    it is; None when absent."""
    if key not in values:
        return None
    try:
        return json.loads(values[key])
    except json.JSONDecodeError:
        return values[key]


def _regions(value: Any, region: str, fail) -> tuple[str, ...]:
    if value is None:
        return (region,)
    if not isinstance(value, list) or not value or not all(isinstance(r, str) for r in value):
        raise fail(REGIONS_KEY, f"expected a list of regions ([{region}, …]), got {value!r}")
    problem = region_list_problem(value)
    if problem:
        raise fail(REGIONS_KEY, problem)
    if value[0] != region:
        raise fail(REGIONS_KEY, f"the first region must be {REGION_KEY} ({region}), got {value[0]}")
    return tuple(value)


def _domain(value: Any, key: str, name_field: str, zone_required: bool, fail) -> Domain | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(key, f"expected a mapping {{{name_field}: …, hostedZoneId: …}}, got {value!r}")
    name, zone = value.get(name_field), value.get("hostedZoneId")
    if not isinstance(name, str) or not re.fullmatch(DNS_NAME_PATTERN, name):
        raise fail(f"{key}.{name_field}", f"expected a lower-case DNS name, got {name!r}")
    if zone is None and not zone_required:
        return Domain(name, None)
    if not isinstance(zone, str) or not re.fullmatch(HOSTED_ZONE_PATTERN, zone):
        raise fail(f"{key}.hostedZoneId", f"expected a Route 53 hosted zone id (Z…), got {zone!r}")
    return Domain(name, zone)


def _endpoints(models: Any, regions: tuple[str, ...], fail) -> tuple[tuple[str, str], ...]:
    """Each model's SageMaker endpoint in each region: one name for all, or a map that names each region."""
    found: list[tuple[str, str]] = []
    for index, model in enumerate(models if isinstance(models, list) else []):
        if not isinstance(model, dict) or "endpointName" not in model:
            continue
        key, value = f"{MODELS_KEY}[{index}].endpointName", model["endpointName"]
        names = value if isinstance(value, dict) else dict.fromkeys(regions, value)
        if set(names) != set(regions):
            raise fail(key, f"a map must name each region of {REGIONS_KEY} ({', '.join(regions)}) and only those")
        for region in regions:
            name = names[region]
            if not isinstance(name, str) or not re.fullmatch(SAGEMAKER_ENDPOINT_PATTERN, name):
                raise fail(key, f"expected a SageMaker endpoint name ({SAGEMAKER_ENDPOINT_PATTERN}), got {name!r}")
            found.append((region, name))
    return tuple(found)
