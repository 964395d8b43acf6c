"""Physical names fit AWS's limits (issue 9, item 5). Pulumi autonames a resource as its logical name, `-`, and 7
random characters; the plan names resources the same way (gitops.planning.plan_mocks.autoname), so every planned name
can be checked against the limit AWS documents (ml_edge.naming.NAME_LIMITS). The config validation refuses a config
whose names would overflow, naming the key; the longest names it accepts plan within every limit, in one region and
in every region of prod's (another region's names carry `-<region>`, the longest region's the longest names)."""

import json
import re
from dataclasses import dataclass

import pytest
import yaml
from plan_views import in_regions

from gitops.cli import preview
from gitops.planning.plan import plan_environment
from gitops.planning.plan_mocks import autoname
from gitops.stacks.environments import ENVIRONMENTS_DIR
from ml_edge import naming
from ml_edge.resource_types import FUNCTION, IAM_ROLE

LONGEST_ENVIRONMENT = "e" * 10 + "-" + "n" * 9  # the environment-name pattern allows 20 characters
BASE = yaml.safe_load((ENVIRONMENTS_DIR / "prod" / "Pulumi.prod.yaml").read_text())["config"]
PROD_REGIONS = BASE["ml-edge:regions"]
LONGEST_REGION = max(PROD_REGIONS[1:], key=len)  # another region's logical names end with `-<region>`
IAM_ROLE_MAX = 64


def environment_of(length: int) -> str:
    return ("e" * 10 + "-" + "n" * 9)[:length]


@dataclass(frozen=True)
class Setup:
    """The regions the longest config runs in, the longest environment name the validation accepts there, and the
    longest reference model name (room) whose role still fits IAM's limit in the region with the longest name."""
    regions: list[str]
    environment: str
    region_suffix: str  # what the longest region adds to a name: `-<region>`, nothing with one region

    @property
    def room(self) -> int:
        # ml-edge-<env>-api[-<region>]-<model>-role-xxxxxxx
        return (IAM_ROLE_MAX - len("ml-edge-") - len(self.environment) - len("-api") - len(self.region_suffix)
                - len("-") - len("-role") - naming.AUTONAME_SUFFIX)

    def longest_roles(self, model: str) -> set[str]:
        """The logical names whose roles are exactly at IAM's limit."""
        roles = {f"ml-edge-{self.environment}-api{self.region_suffix}-{model}-role"}
        if self.region_suffix:  # the SageMaker role of the region with the longest name limits the environment's
            roles.add(f"ml-edge-{self.environment}-api{self.region_suffix}-sagemaker-role")
        return roles


SETUPS = {
    "one-region": Setup(PROD_REGIONS[:1], LONGEST_ENVIRONMENT, ""),
    # ml-edge-<env>-api-<region>-sagemaker-role-xxxxxxx (a role per region, IAM being global) fits IAM's 64
    # characters only with a shorter environment name; the consumer authorizer's role is 4 characters shorter
    "every-prod-region": Setup(PROD_REGIONS, environment_of(
        IAM_ROLE_MAX - len("ml-edge-") - len("-api") - len(f"-{LONGEST_REGION}") - len("-sagemaker-role")
        - naming.AUTONAME_SUFFIX), f"-{LONGEST_REGION}"),
}


def planned_names(plan) -> list[tuple[str, str, str]]:
    """(type, logical name, physical name) of every planned resource whose name AWS limits."""
    found = []
    for resource in plan.resources:
        limit = naming.NAME_LIMITS.get(resource.type)
        if limit and resource.custom:
            found.append((resource.type, resource.name, resource.inputs[limit.prop]))
    return found


def assert_within_limits(plan) -> None:
    for kind, logical, physical in planned_names(plan):
        limit = naming.NAME_LIMITS[kind]
        assert isinstance(physical, str) and 1 <= len(physical) <= limit.max_length, (kind, logical, physical)


def test_every_planned_name_fits_in_every_environment(plans):
    for plan in plans.values():
        assert planned_names(plan)
        assert_within_limits(plan)


def test_the_plan_autonames_like_the_engine(plans):
    plan = plans["dev"]
    (role,) = [r for r in plan.of_type(IAM_ROLE) if r.name == "ml-edge-dev-api-iris-role"]
    assert re.fullmatch(r"ml-edge-dev-api-iris-role-[0-9a-f]{7}", role.inputs["name"])
    (function,) = [f for f in plan.of_type(FUNCTION) if f.name == "ml-edge-dev-api-iris"]
    assert function.inputs["name"] == autoname(function.type, function.name)  # reproducible from plan to plan
    assert re.fullmatch(r"ml-edge-dev-api-iris-[0-9a-f]{7}", function.inputs["name"])


def longest_config(setup: Setup, model_chars: int) -> dict:
    """Prod's config in the setup's regions with every name as long as the validator allows there, the reference
    model's name at `model_chars`."""
    config = in_regions(BASE, setup.regions)
    long = "m" * 40  # the model-name pattern allows 40 characters
    config["ml-edge:models"][0]["name"] = "r" * model_chars
    config["ml-edge:models"][1]["name"] = long
    config["ml-edge:models"][2]["name"] = long[:-1] + "h"
    config["ml-edge:tiers"] = {"t" * 31: {"rateLimit": 1, "burstLimit": 1}}
    config["ml-edge:consumers"] = [{"name": "c" * 39 + str(i), "tier": "t" * 31, "models": "all"} for i in range(2)]
    config["ml-edge:consumers"].append({"name": "c" * 40, "tier": "t" * 31, "models": ["r" * model_chars]})
    config["ml-edge:smokeConsumer"] = "c" * 39 + "0"
    config["ml-edge:smokeRestrictedConsumer"] = "c" * 40
    config["aws:defaultTags"] = {"tags": {"environment": setup.environment}}
    return config


def write(tmp_path, setup: Setup, config: dict) -> None:
    folder = tmp_path / setup.environment
    folder.mkdir()
    (folder / f"Pulumi.{setup.environment}.yaml").write_text(yaml.safe_dump({"config": config}))
    (folder / "policy.json").write_text(json.dumps({}))


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS)
def test_the_longest_names_the_validation_accepts_plan_within_every_limit(tmp_path, setup):
    write(tmp_path, setup, longest_config(setup, setup.room))
    plan = plan_environment(setup.environment, tmp_path)
    assert plan.config.regions == setup.regions
    assert_within_limits(plan)
    roles = {logical: len(physical) for kind, logical, physical in planned_names(plan) if kind == IAM_ROLE}
    # exactly at IAM's limit: the reference model's role (in the region with the longest name), and with several
    # regions the consumer authorizer's there
    assert {logical for logical, length in roles.items() if length == IAM_ROLE_MAX} == setup.longest_roles(
        "r" * setup.room)
    assert max(roles.values()) == IAM_ROLE_MAX


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS)
def test_one_character_more_is_refused_with_exit_2_naming_the_key(tmp_path, capsys, setup):
    write(tmp_path, setup, longest_config(setup, setup.room + 1))
    assert preview.main(["--env", setup.environment, "--environments-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    where = f" in {LONGEST_REGION}" if setup.region_suffix else ""
    assert (f"ml-edge:models[0].name: '{'r' * (setup.room + 1)}' with environment '{setup.environment}' is too "
            f"long{where}:") in err
    assert "would be 65 characters; AWS allows 64" in err


def test_an_environment_name_too_long_for_another_regions_roles_is_refused(tmp_path, capsys):
    """A region suffix lengthens the names of the roles each region has of its own (IAM is global): the SageMaker
    role of the region with the longest name is the first to overflow."""
    setup = SETUPS["every-prod-region"]
    longer = Setup(setup.regions, environment_of(len(setup.environment) + 1), setup.region_suffix)
    config = longest_config(longer, setup.room - 1)  # the model's role still fits
    write(tmp_path, longer, config)
    assert preview.main(["--env", longer.environment, "--environments-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (f"ml-edge:regions: {LONGEST_REGION} with environment '{longer.environment}' is too long for the SageMaker "
            f"role's names: the Role name ml-edge-{longer.environment}-api-{LONGEST_REGION}-sagemaker-role-xxxxxxx "
            "would be 65 characters; AWS allows 64") in err


@pytest.mark.parametrize("kind", sorted(naming.NAME_LIMITS))
def test_every_limit_says_where_aws_documents_it(kind):
    limit = naming.NAME_LIMITS[kind]
    assert limit.max_length > 0 and limit.documented and limit.prop


def test_the_copies_of_the_name_patterns_are_the_configs():
    """The consumer authorizer (packaged on its own) and the comment poster (no program code in its job) keep
    copies of the config's name patterns: a model name the config accepts is one the authorizer's table takes, and
    an environment the config accepts is one whose comment folder the poster takes."""
    from gitops.github import poster
    from ml_edge.authorizer import handler
    from ml_edge.config import Consumer, EnvConfig, ReferenceModel

    assert handler.MODEL_NAME.pattern == naming.NAME_PATTERN
    assert poster.FOLDER.pattern == rf"comment-(offline|cloud)-({naming.ENVIRONMENT_PATTERN})"
    patterns = {model: next(m.pattern for m in model.model_fields["name" if model is not EnvConfig
                                                                    else "environment"].metadata
                            if hasattr(m, "pattern"))
                for model in (Consumer, ReferenceModel, EnvConfig)}
    assert patterns == {Consumer: f"^{naming.NAME_PATTERN}$", ReferenceModel: f"^{naming.NAME_PATTERN}$",
                        EnvConfig: f"^{naming.ENVIRONMENT_PATTERN}$"}
