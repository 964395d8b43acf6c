import json

import pytest

from gitops.planning.plan import Plan, plan_environment
from gitops.stacks.environments import environment_names
from ml_edge.resource_types import DISTRIBUTION, REST_API

ENVIRONMENTS = environment_names()


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    return {env: plan_environment(env) for env in ENVIRONMENTS}


@pytest.fixture(params=ENVIRONMENTS)
def plan(request, plans) -> Plan:
    return plans[request.param]


def openapi(plan: Plan) -> dict:
    return json.loads(plan.one(REST_API).inputs["body"])


def distribution(plan: Plan) -> dict:
    return plan.one(DISTRIBUTION).inputs


def behaviours(plan: Plan) -> list[dict]:
    inputs = distribution(plan)
    return [*inputs["orderedCacheBehaviors"], inputs["defaultCacheBehavior"]]


@pytest.fixture(scope="session")
def pack():
    from gitops.policy.policy_check import PolicyPackProcess
    with PolicyPackProcess() as process:
        yield process


def unwrap_secrets(value):
    """Policies see secret values in plain text: what the engine hands the analyzer."""
    from gitops.planning.plan_mocks import Secret
    if isinstance(value, Secret):
        return unwrap_secrets(value.value)
    if isinstance(value, dict):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


@pytest.fixture(scope="session")
def standard_bootstrap(tmp_path_factory):
    """tools/bootstrap.sh run once over empty accounts, an empty state backend and a copy of the repository, for
    every environment folder (none named), with stand-in aws, pulumi and gh CLIs (tests/test_deploy_bootstrap.py);
    shared by the tests that only read what it did. The repository is named as an administrator might type it,
    Acme/ML-Edge: GitHub calls it acme/ml-edge. The first try to set the new logging role meets IAM's propagation
    delay, as it does on a real first bootstrap."""
    from test_deploy_bootstrap import PROPAGATING, REVIEWERS, Bootstrap
    run = Bootstrap(tmp_path_factory.mktemp("standard-bootstrap"))
    run.result = run.run(*REVIEWERS, repo="Acme/ML-Edge", update_errors=[PROPAGATING])
    assert run.result.returncode == 0, run.result.stderr
    return run
