"""Plan an environment offline: run the shared program under Pulumi's mock runtime and return what it would deploy.

The same code path as `pulumi preview` up to the engine: the environment's stack file becomes the program's
config and the program's own entry point (program/__main__.py) runs: it validates the config, registers the
resources and exports the stack outputs.
"""

import contextvars
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..stacks import program_path  # noqa: F401  (makes the program's ml_edge package importable)
from ..stacks.environments import ENVIRONMENTS_DIR, PROGRAM_DIR, read_stack_config

# isort: split

import pulumi
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ml_edge.config import EnvConfig
from ml_edge.stack_config import InvalidStackConfig, read_env_config

from .plan_mocks import PlanMocks, PlanMonitor, Registration, Secret

PROJECT = "ml-edge"


PlannedResource = Registration  # one registered resource, as the engine would have received it


@dataclass
class Plan:
    environment: str
    config: EnvConfig
    resources: list[PlannedResource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, kind: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == kind]

    def one(self, kind: str) -> PlannedResource:
        found = self.of_type(kind)
        if len(found) != 1:
            raise LookupError(f"expected one {kind}, planned {len(found)}")
        return found[0]

    def region_of(self, resource: PlannedResource) -> str:
        """Where a resource is deployed: its `region` input (pulumi-aws 7), else the provider's, the stack's aws:region
        (global services, IAM, Route 53 and CloudFront, count as the stack's region)."""
        return self.region_of_inputs(resource.inputs)

    def region_of_inputs(self, inputs: dict) -> str:
        return inputs.get("region") or self.config.region

    def in_region(self, region: str) -> "Plan":
        """The same plan seen from one region: only the resources deployed there (outputs unchanged)."""
        return Plan(self.environment, self.config, [r for r in self.resources if self.region_of(r) == region],
                    self.outputs)

    def children(self, parent_urn: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.parent == parent_urn]

    @property
    def roots(self) -> list[PlannedResource]:
        urns = {r.urn for r in self.resources}
        return [r for r in self.resources if r.parent not in urns]


def plan_environment(environment: str, environments_dir: Path = ENVIRONMENTS_DIR) -> Plan:
    """Raise EnvironmentNotFound for a missing folder, InvalidStackConfig for a bad config."""
    stack_config = read_stack_config(environment, environments_dir)
    # a fresh context per plan: Pulumi keeps its settings, config and root stack in context variables
    return contextvars.Context().run(_plan, stack_config)


def _plan(stack_config) -> Plan:
    region = stack_config.values.get("aws:region", "us-east-1")
    monitor = PlanMonitor(PlanMocks(region))
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack_config.environment, preview=True,
                             monitor=monitor)
    pulumi.runtime.set_all_config(dict(stack_config.values), list(stack_config.secret_keys))
    config = read_env_config()  # the entry point validates again; reading first keeps the typed config
    resolved: dict[str, Any] = {}

    async def resolve(outputs: dict[str, Any]) -> None:
        for name, value in outputs.items():
            output = pulumi.Output.from_input(value)
            plain = await output.future()
            resolved[name] = Secret(plain) if await output.is_secret() else plain

    def run_entry_point() -> None:
        runpy.run_path(str(PROGRAM_DIR / "__main__.py"), run_name="__main__")
        _sync_await(resolve(get_root_resource().outputs))  # what `pulumi.export` recorded

    _sync_await(run_pulumi_func(run_entry_point))
    return Plan(stack_config.environment, config, list(monitor.registrations), resolved)


__all__ = ["Plan", "PlannedResource", "Secret", "InvalidStackConfig", "plan_environment"]
