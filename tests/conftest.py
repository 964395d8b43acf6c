"""Fixtures only: the helpers tests import by name live in plan_views.py (and the fakes in their own modules)."""

import pytest
from plan_views import ENVIRONMENTS, REGIONAL_PARTS, RegionalPart

from gitops.planning.plan import Plan, plan_environment


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    return {env: plan_environment(env) for env in ENVIRONMENTS}


@pytest.fixture(scope="session")
def two_region_plan(tmp_path_factory) -> Plan:
    """Prod's config in two regions (it runs in one): what only several regions plan (region outputs, records)."""
    from test_regional_plans import REGION_SETS, plan_in
    return plan_in(tmp_path_factory.mktemp("two-regions"), REGION_SETS[2])


@pytest.fixture(params=ENVIRONMENTS)
def plan(request, plans) -> Plan:
    return plans[request.param]


@pytest.fixture(params=REGIONAL_PARTS, ids=lambda part: "-".join(part))
def regional(request, plans) -> RegionalPart:
    """Each region's copy of each environment's regional part (ids like `prod-eu-west-1`): a fact about the API,
    its stage, functions, keys, guard or logs holds in every region, not just in the first."""
    environment, region = request.param
    plan = plans[environment]
    assert plan.config.regions == [r for env, r in REGIONAL_PARTS if env == environment], "collected other regions"
    return RegionalPart(plan, region)


@pytest.fixture(scope="session")
def pack():
    from gitops.policy.policy_check import PolicyPackProcess
    with PolicyPackProcess() as process:
        yield process


@pytest.fixture(scope="session")
def standard_bootstrap(tmp_path_factory):
    """tools/bootstrap.sh run once over empty accounts, an empty state backend and a copy of the repository, for
    every environment folder (none named), with stand-in aws, pulumi and gh CLIs (tests/test_deploy_bootstrap.py);
    shared by the tests that only read what it did. The repository is named as an administrator might type it,
    Acme/ML-Edge: GitHub calls it acme/ml-edge; prod's reviewers are a team and a user; the administrator's shell
    sets a Pulumi secrets-provider override. The first try to set the new logging role meets IAM's propagation
    delay, as it does on a real first bootstrap."""
    from test_deploy_bootstrap import ADMINISTRATORS_OVERRIDE, PROPAGATING, STANDARD_REVIEWERS, Bootstrap
    run = Bootstrap(tmp_path_factory.mktemp("standard-bootstrap"))
    run.reviewers, run.environment = STANDARD_REVIEWERS[1], ADMINISTRATORS_OVERRIDE
    run.result = run.run(*STANDARD_REVIEWERS, repo="Acme/ML-Edge", update_errors=[PROPAGATING],
                         environment=run.environment)
    assert run.result.returncode == 0, run.result.stderr
    return run
