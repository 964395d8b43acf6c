import json

import pytest

from gitops.environments import environment_names
from gitops.plan import Plan, plan_environment

ENVIRONMENTS = environment_names()


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    return {env: plan_environment(env) for env in ENVIRONMENTS}


@pytest.fixture(params=ENVIRONMENTS)
def plan(request, plans) -> Plan:
    return plans[request.param]


def openapi(plan: Plan) -> dict:
    return json.loads(plan.one("aws:apigateway/restApi:RestApi").inputs["body"])


def distribution(plan: Plan) -> dict:
    return plan.one("aws:cloudfront/distribution:Distribution").inputs


def behaviours(plan: Plan) -> list[dict]:
    inputs = distribution(plan)
    return [*inputs["orderedCacheBehaviors"], inputs["defaultCacheBehavior"]]
