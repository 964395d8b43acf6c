"""The rotation order across a change: the pull-request check and the deploy compare the new origin-secret
config with what is deployed (the base revision) and refuse a change that would drop requests."""

import pytest

from gitops import deploy, pr_preview, rotation

STEADY_A = {"send": "a", "accept": ["a"]}
ROTATING_TO_B = {"send": "b", "accept": ["a", "b"]}
STEADY_B = {"send": "b", "accept": ["b"]}


@pytest.mark.parametrize(("before", "after"), [
    (STEADY_A, STEADY_A),
    (STEADY_A, ROTATING_TO_B),
    (ROTATING_TO_B, STEADY_B),
    (STEADY_B, {"send": "b", "accept": ["b"], "generation": {"a": 2}}),
    ({"send": "b", "accept": ["b"], "generation": {"a": 2}}, {"send": "a", "accept": ["b", "a"],
                                                              "generation": {"a": 2}}),
    ({}, STEADY_A),
], ids=["unchanged", "step 1", "step 2", "regenerate the unused value", "step 1 back to a", "defaults"])
def test_the_documented_steps_are_safe(before, after):
    assert rotation.transition_problem(before, after) is None


@pytest.mark.parametrize(("before", "after", "problem"), [
    (STEADY_A, STEADY_B, "CloudFront sends a today, but after this change the API accepts only b"),
    (STEADY_A, {"send": "a", "accept": ["a"], "generation": {"a": 2}},
     "this change regenerates a, the value CloudFront sends today"),
    (ROTATING_TO_B, {"send": "a", "accept": ["a"]}, "CloudFront sends b today"),
], ids=["both steps at once", "regenerating the value in use", "retiring the value in use"])
def test_a_broken_order_is_named_with_the_fix(before, after, problem):
    assert problem in rotation.transition_problem(before, after)


def test_the_pull_request_check_blocks_a_broken_order(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rotation, "config_at", lambda revision, env: STEADY_B)  # deployed: sends b; dev sends a
    assert pr_preview.main(["--env", "dev", "--out", str(tmp_path), "--base", "abc123"]) == 1
    comment = (tmp_path / "dev.md").read_text()
    assert "## ❌ `dev`: blocked: the origin secret would be rotated in the wrong order" in comment
    assert "### ❌ Origin-secret rotation order" in comment
    assert "CloudFront sends b today, but after this change the API accepts only a" in comment


def test_the_pull_request_check_passes_a_documented_step(tmp_path, monkeypatch):
    monkeypatch.setattr(rotation, "config_at", lambda revision, env: STEADY_A)
    assert pr_preview.main(["--env", "dev", "--out", str(tmp_path), "--base", "abc123"]) == 0
    assert "rotation order" not in (tmp_path / "dev.md").read_text()


def test_the_deploy_refuses_a_broken_order_before_pulumi_up(monkeypatch, capsys):
    monkeypatch.setattr(rotation, "config_at", lambda revision, env: STEADY_B)
    monkeypatch.setattr(deploy.pulumi_cli, "run", lambda command: pytest.fail("pulumi up must not run"))
    assert deploy.main(["--env", "dev", "--base", "abc123"]) == 1
    assert "not deploying dev: CloudFront sends b today" in capsys.readouterr().err


def test_config_at_reads_another_revision():
    assert rotation.config_at("HEAD", "dev") is not None
    assert rotation.config_at("HEAD", "no-such-env") is None
