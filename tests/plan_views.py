"""What the tests read from a plan, and the environments they plan: helpers, imported by name (conftest.py keeps
only fixtures)."""

import json

from gitops.planning.plan import Plan
from gitops.planning.plan_mocks import Secret
from gitops.stacks.environments import environment_names
from ml_edge.resource_types import DISTRIBUTION, REST_API

ENVIRONMENTS = environment_names()


def openapi(plan: Plan) -> dict:
    return json.loads(plan.one(REST_API).inputs["body"])


def distribution(plan: Plan) -> dict:
    return plan.one(DISTRIBUTION).inputs


def behaviours(plan: Plan) -> list[dict]:
    inputs = distribution(plan)
    return [*inputs["orderedCacheBehaviors"], inputs["defaultCacheBehavior"]]


def unwrap_secrets(value):
    """Policies see secret values in plain text: what the engine hands the analyzer."""
    if isinstance(value, Secret):
        return unwrap_secrets(value.value)
    if isinstance(value, dict):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value
