"""Origin-secret rotation with several regions (issue 11: "the origin secret, its rotation … cover every region"): one
pair of generated values serves every region; in each phase every region's guard accepts exactly what the config
accepts, and CloudFront switches to the new value only after every region's guard took it."""

import pytest
import yaml

from gitops.planning.plan import plan_environment
from gitops.stacks.environments import ENVIRONMENTS_DIR
from ml_edge.resource_types import DISTRIBUTION, RANDOM_PASSWORD, WEB_ACL

PHASES = {"steady a": {"send": "a", "accept": ["a"]}, "rotating to b": {"send": "b", "accept": ["a", "b"]},
          "steady b": {"send": "b", "accept": ["b"]}}


@pytest.fixture(scope="module")
def rotation_plans(tmp_path_factory, plans):
    prod = yaml.safe_load((ENVIRONMENTS_DIR / "prod" / "Pulumi.prod.yaml").read_text())
    assert "ml-edge:originSecret" not in prod["config"]  # prod is steady on a: the session's plan is that phase
    rotated = {"steady a": plans["prod"]}
    for phase, rotation in list(PHASES.items())[1:]:
        folder = tmp_path_factory.mktemp(phase.replace(" ", "-")) / "prod"
        folder.mkdir()
        config = {**prod["config"], "ml-edge:originSecret": rotation}
        (folder / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": config}))
        rotated[phase] = plan_environment("prod", folder.parent)
    return rotated


def accepted(acl) -> set[str]:
    statement = acl.inputs["rules"][0]["statement"]
    matches = [s["byteMatchStatement"] for s in statement["orStatement"]["statements"]] \
        if "orStatement" in statement else [statement["byteMatchStatement"]]
    return {m["searchString"].value for m in matches}


def sent(plan) -> str:
    (origin,) = plan.one(DISTRIBUTION).inputs["origins"]
    return origin["customHeaders"][0]["value"].value


@pytest.mark.parametrize("phase", PHASES)
def test_every_regions_guard_accepts_what_the_phase_accepts_and_cloudfront_sends_one_of_them(rotation_plans, phase):
    plan = rotation_plans[phase]
    assert len(plan.config.regions) == 3
    assert len(plan.of_type(RANDOM_PASSWORD)) == 2  # one pair for the environment, not one per region
    # the mocks derive a value from its resource, so a steady phase shows what each slot resolves to
    generated = {"a": sent(rotation_plans["steady a"]), "b": sent(rotation_plans["steady b"])}
    assert generated["a"] != generated["b"]
    guards = {plan.region_of(acl): acl for acl in plan.of_type(WEB_ACL) if acl.inputs["scope"] == "REGIONAL"}
    assert sorted(guards) == sorted(plan.config.regions)
    for region, acl in guards.items():
        assert accepted(acl) == {generated[slot] for slot in PHASES[phase]["accept"]}, region
    assert sent(plan) == generated[PHASES[phase]["send"]]
    # CloudFront is updated only once every region's guard accepts what it will send
    assert {acl.urn for acl in guards.values()} <= set(plan.one(DISTRIBUTION).dependencies)
