"""Physical names fit AWS's limits (issue 9, item 5). Pulumi autonames a resource as its logical name, `-`, and 7
random characters; the plan names resources the same way (gitops.planning.plan_mocks.autoname), so every planned name
can be checked against the limit AWS documents (ml_edge.naming.NAME_LIMITS). The config validation refuses a config
whose names would overflow, naming the key; the longest names it accepts plan within every limit."""

import copy
import json
import re

import pytest
import yaml

from gitops.cli import preview
from gitops.planning.plan import plan_environment
from gitops.planning.plan_mocks import autoname
from gitops.stacks.environments import ENVIRONMENTS_DIR
from ml_edge import naming
from ml_edge.resource_types import FUNCTION, IAM_ROLE

LONGEST_ENVIRONMENT = "e" * 10 + "-" + "n" * 9  # the environment-name pattern allows 20 characters
BASE = yaml.safe_load((ENVIRONMENTS_DIR / "prod" / "Pulumi.prod.yaml").read_text())["config"]


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


def longest_config(model_chars: int) -> dict:
    """Prod's config with every name as long as the validator allows, the reference model's name at `model_chars`."""
    config = copy.deepcopy(BASE)
    long = "m" * 40  # the model-name pattern allows 40 characters
    config["ml-edge:models"][0]["name"] = "r" * model_chars
    config["ml-edge:models"][1]["name"] = long
    config["ml-edge:models"][2]["name"] = long[:-1] + "h"
    config["ml-edge:tiers"] = {"t" * 31: {"rateLimit": 1, "burstLimit": 1}}
    config["ml-edge:consumers"] = [{"name": "c" * 39 + str(i), "tier": "t" * 31, "models": "all"} for i in range(2)]
    config["ml-edge:consumers"].append({"name": "c" * 40, "tier": "t" * 31, "models": ["r" * model_chars]})
    config["ml-edge:smokeConsumer"] = "c" * 39 + "0"
    config["ml-edge:smokeRestrictedConsumer"] = "c" * 40
    config["aws:defaultTags"] = {"tags": {"environment": LONGEST_ENVIRONMENT}}
    return config


def write(tmp_path, config: dict) -> None:
    folder = tmp_path / LONGEST_ENVIRONMENT
    folder.mkdir()
    (folder / f"Pulumi.{LONGEST_ENVIRONMENT}.yaml").write_text(yaml.safe_dump({"config": config}))
    (folder / "policy.json").write_text(json.dumps({}))


ROOM = 64 - len("ml-edge-") - len(LONGEST_ENVIRONMENT) - len("-api-") - len("-role") - naming.AUTONAME_SUFFIX


def test_the_longest_names_the_validation_accepts_plan_within_every_limit(tmp_path):
    write(tmp_path, longest_config(ROOM))
    plan = plan_environment(LONGEST_ENVIRONMENT, tmp_path)
    assert_within_limits(plan)
    lengths = {physical: len(physical) for kind, _, physical in planned_names(plan) if kind.endswith(":Role")}
    assert max(lengths.values()) == 64  # the reference model's role is exactly at IAM's limit


def test_one_character_more_is_refused_with_exit_2_naming_the_key(tmp_path, capsys):
    write(tmp_path, longest_config(ROOM + 1))
    assert preview.main(["--env", LONGEST_ENVIRONMENT, "--environments-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"ml-edge:models[0].name: '{'r' * (ROOM + 1)}' with environment '{LONGEST_ENVIRONMENT}' is too long" in err
    assert "would be 65 characters; AWS allows 64" in err


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
