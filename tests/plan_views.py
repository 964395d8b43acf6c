"""What the tests read from a plan, and the environments they plan: helpers, imported by name (conftest.py keeps
only fixtures)."""

import copy
import json
from dataclasses import dataclass, field

from gitops.planning.plan import Plan
from gitops.planning.plan_mocks import Secret
from gitops.stacks.environments import environment_names, read_stack_config
from ml_edge.config_loading import load_config
from ml_edge.resource_types import DISTRIBUTION, REST_API

ENVIRONMENTS = environment_names()


def configured_regions(environment: str) -> list[str]:
    """The regions an environment's stack file names (the stack's own first), read when tests are collected: the
    plans are built later, once per session."""
    stack = read_stack_config(environment)
    return load_config(stack.values, environment, stack.secret_keys).regions


REGIONS = {env: configured_regions(env) for env in ENVIRONMENTS}
# (environment, region) for every region of every environment: a test about the regional part runs once for each
REGIONAL_PARTS = [(env, region) for env in ENVIRONMENTS for region in REGIONS[env]]
PER_REGION_VALUES = ("endpointName", "url")  # a model's backend: one for every region, or a map region → value


@dataclass(frozen=True)
class RegionalPart:
    """One region's copy of an environment's regional part (REST API, stage, functions, keys and usage plans,
    authorizer, WAF guard, log groups, backends): `plan` holds only the resources deployed in that region
    (Plan.in_region; global ones, IAM and Route 53 and CloudFront, count as the stack's region), `whole` the
    environment's plan, its edge and its outputs."""

    whole: Plan
    region: str
    plan: Plan = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "plan", self.whole.in_region(self.region))

    @property
    def environment(self) -> str:
        return self.whole.environment

    @property
    def home(self) -> bool:
        """The stack's own region (aws:region), whose resources keep their one-region names."""
        return self.region == self.whole.config.region

    @property
    def placed_in(self) -> str | None:
        """How the program names the region in logical names (ml_edge.naming): None at home."""
        return None if self.home else self.region

    @property
    def api_id(self) -> str:
        return self.plan.one(REST_API).id


def in_regions(config: dict, regions: list[str]) -> dict:
    """A stack config (as its file holds it, with its own `originDomain` if it runs in several regions) moved to
    `regions` (the stack's own first): with one region, no `regions` nor `originDomain`, and each backend map reduced
    to its one value, as a one-region environment is written; with several, each map naming exactly those regions."""
    config = copy.deepcopy(config)
    config.pop("ml-edge:regions", None)
    origin_domain = config.pop("ml-edge:originDomain", None)
    if len(regions) > 1:
        config["ml-edge:regions"] = list(regions)
        config["ml-edge:originDomain"] = origin_domain
    for model in config["ml-edge:models"]:
        for key in PER_REGION_VALUES:
            if isinstance(model.get(key), dict):
                model[key] = (model[key][config["aws:region"]] if len(regions) == 1
                              else {region: model[key][region] for region in regions})
    return config


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
