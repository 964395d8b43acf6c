"""Consumers on the planned API: a generated key each, on its tier's usage plan, predict needs a key (allowed on
its consumer's models by the authorizer) and nothing else does, and no key value is ever printed. With several
regions each region has its own keys (the stack's region's values imported) and usage plans on its own stage."""

import json
import re
import shutil

import pytest
import yaml
from plan_views import openapi

from gitops.cli import preview
from gitops.planning.plan import plan_environment
from gitops.planning.plan_mocks import Secret, api_key_value
from gitops.planning.render import render_plan
from gitops.preview.comment import render_comment
from gitops.preview.offline import run_offline_preview
from gitops.stacks.environments import ENVIRONMENTS_DIR
from ml_edge.resource_types import API_KEY, USAGE_PLAN, USAGE_PLAN_KEY

API_KEY = API_KEY
USAGE_PLAN = USAGE_PLAN
PLAN_KEY = USAGE_PLAN_KEY


def by_id(plan):
    return {r.id: r for r in plan.resources}


def test_every_consumer_has_a_key_on_a_plan_with_its_tiers_limits(regional):
    plan = regional.plan
    keys = {k.inputs["name"].removeprefix(f"ml-edge-{plan.environment}-"): k for k in plan.of_type(API_KEY)}
    assert set(keys) == {c.name for c in plan.config.consumers}
    resources = by_id(plan)
    for consumer in plan.config.consumers:
        (membership,) = [m for m in plan.of_type(PLAN_KEY) if m.inputs["keyId"] == keys[consumer.name].id]
        assert membership.inputs["keyType"] == "API_KEY"
        usage_plan = resources[membership.inputs["usagePlanId"]].inputs
        tier = plan.config.tiers[consumer.tier]
        assert usage_plan["throttleSettings"] == {"rateLimit": tier.rate_limit, "burstLimit": tier.burst_limit}
        if tier.quota:
            assert usage_plan["quotaSettings"] == {"limit": tier.quota.limit, "period": tier.quota.period}
        (stage,) = usage_plan["apiStages"]
        assert stage == {"apiId": regional.api_id, "stage": plan.config.stage_name}  # no method throttles
        assert usage_plan["name"] == f"ml-edge-{plan.environment}-tier-{consumer.tier}"


def test_usage_plans_are_one_per_tier_so_their_names_cannot_collide(tmp_path):
    """Issue 9, item 6: a tier `free-iris` and a tier `free` limited to iris once both became `…-free-iris`."""
    shutil.copytree(ENVIRONMENTS_DIR / "dev", tmp_path / "dev")
    stack = tmp_path / "dev" / "Pulumi.dev.yaml"
    document = yaml.safe_load(stack.read_text())
    document["config"]["ml-edge:tiers"].update({"free-iris": {"rateLimit": 1, "burstLimit": 1},
                                                "free": {"rateLimit": 1, "burstLimit": 1}})
    document["config"]["ml-edge:consumers"] += [{"name": "a", "tier": "free-iris"},
                                                {"name": "b", "tier": "free", "models": ["iris"]}]
    stack.write_text(yaml.safe_dump(document))
    plan = plan_environment("dev", tmp_path)
    names = [p.inputs["name"] for p in plan.of_type(USAGE_PLAN)]
    assert sorted(names) == ["ml-edge-dev-tier-free", "ml-edge-dev-tier-free-iris", "ml-edge-dev-tier-internal"]
    assert len({p.name for p in plan.of_type(USAGE_PLAN)}) == 3


def test_no_key_value_is_written_in_the_plan(regional):
    """API Gateway generates each key in the stack's region; another region imports that value, as a secret."""
    keys = regional.plan.of_type(API_KEY)
    assert len(keys) == len(regional.plan.config.consumers)
    home_keys = {k.inputs["name"]: k for k in regional.whole.in_region(regional.whole.config.region).of_type(API_KEY)}
    for key in keys:
        if regional.home:
            assert "value" not in key.inputs  # API Gateway generates it
        else:
            value = key.inputs["value"]
            assert isinstance(value, Secret) and value == Secret(api_key_value(home_keys[key.inputs["name"]].name))


def test_predict_needs_a_consumer_key_and_health_and_the_catalog_do_not(regional):
    document = openapi(regional.plan)
    assert set(document["components"]["securitySchemes"]) == {"api_key", "consumer"}
    for path, item in document["paths"].items():
        (operation,) = item.values()
        expected = [{"api_key": [], "consumer": []}] if path.endswith("/predict") else None
        assert operation.get("security") == expected, path


def test_missing_unknown_and_not_allowed_keys_and_quotas_answer_json(regional):
    """No x-api-key: API Gateway answers UNAUTHORIZED (401) before the authorizer runs; an unknown key or a model
    outside the key's list: the authorizer's policy denies (ACCESS_DENIED). The contract says 403 for all."""
    responses = openapi(regional.plan)["x-amazon-apigateway-gateway-responses"]
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED", "INVALID_API_KEY"):
        assert responses[kind]["statusCode"] == "403", kind
    assert responses["QUOTA_EXCEEDED"]["statusCode"] == "429"
    for kind in ("INVALID_API_KEY", "QUOTA_EXCEEDED", "THROTTLED", "UNAUTHORIZED", "ACCESS_DENIED"):
        assert json.loads(responses[kind]["responseTemplates"]["application/json"])["message"]


def test_the_smoke_consumers_key_is_a_secret_output(plan):
    smoke = plan.outputs["smokeApiKey"]
    assert isinstance(smoke, Secret) and len(smoke.value) >= 20
    assert plan.outputs["consumerPlans"][plan.config.smoke_consumer].startswith("internal: ")
    assert set(plan.outputs["consumerKeyIds"]) == {c.name for c in plan.config.consumers}


def test_no_key_value_is_printed_in_the_preview_or_the_comment(plans):
    offline = run_offline_preview("prod")
    text = render_plan(offline.plan) + render_comment(offline, None)
    assert plans["prod"].outputs["smokeApiKey"].value not in text
    assert re.search(r"smokeApiKey +\[secret\]", text)


def test_adding_a_consumer_is_a_one_file_change_whose_preview_shows_the_key_and_plan(tmp_path, capsys):
    shutil.copytree(ENVIRONMENTS_DIR / "dev", tmp_path / "dev")
    stack = tmp_path / "dev" / "Pulumi.dev.yaml"
    document = yaml.safe_load(stack.read_text())
    document["config"]["ml-edge:tiers"]["partner"] = {"rateLimit": 5, "burstLimit": 10,
                                                      "quota": {"limit": 500, "period": "DAY"}}
    document["config"]["ml-edge:consumers"].append({"name": "acme-web", "tier": "partner", "models": ["iris"]})
    stack.write_text(yaml.safe_dump(document))
    assert preview.main(["--env", "dev", "--environments-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "consumer acme-web: key generated by API Gateway (value never shown)" in out
    assert "  + apigateway:UsagePlan               ml-edge-dev-usage-plans-partner\n" \
           "      5 req/s, burst 10 · quota 500 per day" in out
    assert "ml-edge-dev-consumers-acme-web → ml-edge-dev-usage-plans-partner" in out
    assert "acme-web: partner: 5 req/s, burst 10, quota 500 per day; models iris" in out


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_environment_has_a_smoke_consumer(plans, env):
    assert plans[env].config.smoke_consumer == "smoke"


def test_a_consumer_moved_to_another_tier_leaves_its_old_plan_first(plan):
    """API Gateway keeps a key in one usage plan per stage: a replaced membership must be deleted before its
    replacement is created, or the create fails half-way through the deploy."""
    memberships = plan.of_type(PLAN_KEY)
    assert memberships and all(m.delete_before_replace for m in memberships)
