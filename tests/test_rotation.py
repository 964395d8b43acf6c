"""Origin-secret rotation without downtime: two generated values; each phase of the two-step pull-request
sequence plans and passes the guardrails; the broken orderings are refused."""

import copy
import re
import shutil

import pytest
import yaml

from gitops.cli import preview
from gitops.planning.plan import InvalidStackConfig, plan_environment
from gitops.planning.plan_mocks import Secret
from gitops.planning.render import render_plan
from gitops.policy.policy_check import evaluate
from gitops.stacks.environments import ENVIRONMENTS_DIR
from ml_edge.resource_types import DISTRIBUTION, RANDOM_PASSWORD, WEB_ACL

STEADY_A = {"send": "a", "accept": ["a"]}
ROTATING_TO_B = {"send": "b", "accept": ["a", "b"]}
STEADY_B = {"send": "b", "accept": ["b"]}
REGENERATED_A = {"send": "b", "accept": ["b"], "generation": {"a": 2}}
ROTATING_TO_A = {"send": "a", "accept": ["b", "a"], "generation": {"a": 2}}
SEQUENCE = [STEADY_A, ROTATING_TO_B, STEADY_B, REGENERATED_A, ROTATING_TO_A]


def environment(tmp_path, origin_secret: dict):
    target = tmp_path / "dev"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ENVIRONMENTS_DIR / "dev", target)
    stack = target / "Pulumi.dev.yaml"
    document = yaml.safe_load(stack.read_text())
    document["config"]["ml-edge:originSecret"] = origin_secret
    stack.write_text(yaml.safe_dump(document))
    return tmp_path


def values(plan) -> dict[str, str]:
    return {p.name.rsplit("-", 1)[-1]: p for p in plan.of_type(RANDOM_PASSWORD)}


def guard(plan) -> list:
    (acl,) = [a for a in plan.of_type(WEB_ACL) if a.inputs["scope"] == "REGIONAL"]
    statement = acl.inputs["rules"][0]["statement"]
    matches = [s["byteMatchStatement"] for s in statement["orStatement"]["statements"]] \
        if "orStatement" in statement else [statement["byteMatchStatement"]]
    return [m["searchString"].value for m in matches]


def sent(plan) -> str:
    return plan.one(DISTRIBUTION).inputs["origins"][0]["customHeaders"][0]["value"].value


@pytest.mark.parametrize("phase", SEQUENCE, ids=["steady a", "rotating to b", "steady b", "a regenerated",
                                                 "rotating to a"])
def test_each_phase_of_the_rotation_passes_the_guardrails(tmp_path, capsys, phase):
    assert preview.main(["--env", "dev", "--environments-dir", str(environment(tmp_path, phase))]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\n  origin-secret-accepted +mandatory +pass\n", out)


def test_while_rotating_the_api_accepts_both_values_and_cloudfront_sends_the_new_one(tmp_path):
    plan = plan_environment("dev", environment(tmp_path, ROTATING_TO_B))
    steady = plan_environment("dev", environment(tmp_path, STEADY_A))
    assert len(set(guard(plan))) == 2
    assert sent(steady) in guard(plan) and sent(plan) in guard(plan) and sent(plan) != sent(steady)
    assert "phase: ROTATING (step 1 of 2) · CloudFront sends b · the API accepts a, b" in render_plan(plan)


def test_cloudfront_is_updated_only_after_the_apis_guard(plans):
    plan = plans["dev"]
    (acl,) = [a for a in plan.of_type(WEB_ACL) if a.inputs["scope"] == "REGIONAL"]
    assert acl.urn in plan.one(DISTRIBUTION).dependencies


def test_a_new_generation_is_a_new_value(tmp_path):
    before = values(plan_environment("dev", environment(tmp_path, STEADY_B)))
    after = values(plan_environment("dev", environment(tmp_path, REGENERATED_A)))
    assert before["a"].inputs["keepers"] == {"generation": "1"} and after["a"].inputs["keepers"] == {"generation": "2"}
    assert before["b"].inputs["keepers"] == after["b"].inputs["keepers"]


@pytest.mark.parametrize(("phase", "problem"), [
    ({"send": "b", "accept": ["a"]}, "ml-edge:originSecret: send is 'b' but accept is ['a']: CloudFront would send"),
    ({"send": "a", "accept": ["b"]}, "ml-edge:originSecret: send is 'a' but accept is ['b']"),
    ({"send": "a", "accept": ["a", "a"]}, "ml-edge:originSecret.accept: list each value once"),
    ({"send": "c", "accept": ["a"]}, "ml-edge:originSecret.send: Input should be 'a' or 'b'"),
    ({"send": "a", "accept": []}, "ml-edge:originSecret.accept: List should have at least 1 item"),
    ({"send": "a", "accept": ["a"], "generation": {"a": 0}}, "ml-edge:originSecret.generation: generations start at 1"),
])
def test_a_broken_ordering_is_refused_before_planning(tmp_path, phase, problem):
    with pytest.raises(InvalidStackConfig) as error:
        plan_environment("dev", environment(tmp_path, phase))
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems


def test_the_guardrail_blocks_cloudfront_sending_a_value_the_api_refuses(plans, pack):
    plan = copy.deepcopy(plans["dev"])
    plan.one(DISTRIBUTION).inputs["origins"][0]["customHeaders"][0]["value"] = Secret("n" * 24 + "e" * 24)
    from gitops.stacks.environments import policy_config_file
    report = evaluate(plan, policy_config_file("dev"), pack)
    outcome = next(o for o in report.outcomes if o.name == "origin-secret-accepted")
    assert outcome.result == "BLOCKED"
    (message,) = outcome.violations
    assert "is a secret the API does not accept (it accepts 1 other value)" in message
    assert "n" * 24 not in message


def test_the_pull_request_comment_says_which_phase_a_change_is_in(tmp_path):
    from gitops.preview.comment import render_comment
    from gitops.preview.offline import run_offline_preview
    rotating = render_comment(run_offline_preview("dev", environment(tmp_path, ROTATING_TO_B)), None)
    assert "**Origin secret:** 🔄 rotation step 1 of 2: the API accepts a and b, CloudFront switches to b. Next " \
           "pull request: accept only b." in rotating
    steady = render_comment(run_offline_preview("dev", environment(tmp_path, STEADY_B)), None)
    assert "**Origin secret:** steady: CloudFront sends b, the API accepts only b." in steady
