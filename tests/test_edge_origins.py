"""The edge takes its origins as ApiOrigin handles (program/ml_edge/origin.py): at least one, with distinct ids,
checked when the Edge is constructed, before it registers anything; with several, the distribution gets one origin
each and waits for every API's guard. Planned under the offline plan's mocks, one component at a time."""

import contextvars

import pulumi
import pytest
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from gitops.planning.plan_mocks import PlanMocks, PlanMonitor
from ml_edge.config import OriginSecretConfig
from ml_edge.edge import Edge, EdgeSettings, InvalidOrigins
from ml_edge.origin import ApiOrigin
from ml_edge.origin_secret import OriginSecret

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def planned(build, monitor: PlanMonitor | None = None) -> PlanMonitor:
    """Run `build` under the plan's mocks; the monitor holds what it registered."""
    monitor = monitor or PlanMonitor(PlanMocks("eu-west-1"))

    def run() -> None:
        pulumi.runtime.set_mocks(monitor.mocks, project="ml-edge", stack="qa", preview=True, monitor=monitor)
        _sync_await(run_pulumi_func(build))

    contextvars.Context().run(run)
    return monitor


def origin(origin_id: str) -> ApiOrigin:
    return ApiOrigin(origin_id=origin_id,
                     domain_name=pulumi.Output.from_input(f"{origin_id}.execute-api.eu-west-1.amazonaws.com"),
                     origin_path=pulumi.Output.from_input("/v1"),
                     guard=pulumi.CustomResource("test:index:Guard", f"{origin_id}-guard", {}))


def edge(*origin_ids: str) -> None:
    secret = OriginSecret("qa-origin-secret", OriginSecretConfig())
    Edge("qa-edge", [origin(i) for i in origin_ids], EdgeSettings(environment="qa"), secret)


def test_an_edge_without_origins_is_refused_before_it_registers():
    monitor = PlanMonitor(PlanMocks("eu-west-1"))
    with pytest.raises(InvalidOrigins, match=r"Edge qa-edge: needs at least one origin .*got none"):
        planned(edge, monitor)
    assert [r.type for r in monitor.registrations if r.type.startswith("ml-edge:")] == ["ml-edge:index:OriginSecret"]


def test_two_origins_with_one_id_are_refused_naming_the_id():
    with pytest.raises(InvalidOrigins, match=r"Edge qa-edge: origin ids must be distinct .*repeated: api in api, "
                                             r"eu, api"):
        planned(lambda: edge("api", "eu", "api"))


def test_each_origin_is_a_distribution_origin_and_the_edge_waits_for_every_guard():
    monitor = planned(lambda: edge("api", "api-eu"))
    (distribution,) = [r for r in monitor.registrations if r.type == DISTRIBUTION]
    origins = distribution.inputs["origins"]
    assert [(o["originId"], o["domainName"], o["originPath"]) for o in origins] == [
        ("api", "api.execute-api.eu-west-1.amazonaws.com", "/v1"),
        ("api-eu", "api-eu.execute-api.eu-west-1.amazonaws.com", "/v1")]
    assert {o["customHeaders"][0]["name"] for o in origins} == {"X-Origin-Verify"}
    guards = {r.urn for r in monitor.registrations if r.type == "test:index:Guard"}
    assert len(guards) == 2 and guards <= set(distribution.dependencies)
    behaviours = [distribution.inputs["defaultCacheBehavior"], *distribution.inputs["orderedCacheBehaviors"]]
    assert {b["targetOriginId"] for b in behaviours} == {"api"}  # the first origin, until origin groups land
