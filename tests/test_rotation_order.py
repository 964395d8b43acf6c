"""The rotation order across a change: the offline pull-request check compares the new origin-secret config with
the base branch; the deploy compares it with what the stack says is deployed (its originSecretRotation output,
the config of its last successful deploy, and of every deploy after it that did not succeed) and refuses a change
that would drop requests, before `pulumi up` and before a plan is saved. Pulumi is the stand-in CLI
(tests/fake_pulumi.py) with recorded history entries; the commits are a throwaway repository's."""

import json

import pytest
from fake_pulumi import calls, install
from git_repo import GitRepo, stack_file

from gitops.cli import deploy as deploy_cli
from gitops.cli import pr_preview as pr_preview_cli
from gitops.deploy import rotation_check, steps
from gitops.stacks import rotation

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
    assert pr_preview_cli.main(["--env", "dev", "--out", str(tmp_path), "--base", "abc123"]) == 1
    comment = (tmp_path / "dev.md").read_text()
    assert "## ❌ `dev`: blocked: the origin secret would be rotated in the wrong order" in comment
    assert "### ❌ Origin-secret rotation order" in comment
    assert "CloudFront sends b today, but after this change the API accepts only a" in comment


def test_the_pull_request_check_passes_a_documented_step(tmp_path, monkeypatch):
    monkeypatch.setattr(rotation, "config_at", lambda revision, env: STEADY_A)
    assert pr_preview_cli.main(["--env", "dev", "--out", str(tmp_path), "--base", "abc123"]) == 0
    assert "rotation order" not in (tmp_path / "dev.md").read_text()


def update(commit: str | None, result: str = "succeeded") -> dict:
    return {"version": 1, "kind": "update", "startTime": "2026-11-20T09:12:00.000Z", "message": "",
            "environment": {"git.head": commit, "git.dirty": "false"} if commit else {}, "config": {},
            "result": result}


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.a = repo.commit("A: steady on a", stack_file("prod", STEADY_A))
    return repo


@pytest.fixture
def deploy_prod(tmp_path, monkeypatch, repo):
    """gitops.cli.deploy --env prod at the repository's HEAD against a stack scenario; returns (status, stderr,
    the pulumi commands that change or plan something)."""
    monkeypatch.setattr(steps, "REPO", repo.path)
    monkeypatch.setattr(rotation, "proposed", lambda env: rotation.config_at("HEAD", env, repo.path))
    monkeypatch.setattr(steps, "after_up", lambda env, stack: 0)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def run(scenario: dict, capsys, *args: str):
        log = install(tmp_path, scenario, monkeypatch)
        status = deploy_cli.main(["--env", "prod", *args])
        return status, capsys.readouterr().err, [c["argv"][0] for c in calls(log) if c["argv"][0] in ("preview", "up")]

    return run


@pytest.mark.parametrize("mode", [[], ["--plan-out", "PLAN"], ["--plan", "PLAN"], ["--all"]],
                         ids=["up", "save the plan", "apply the approved plan", "manual run of everything"])
def test_the_deploy_refuses_an_order_broken_from_the_deployed_output(deploy_prod, repo, capsys, tmp_path, mode):
    """No `before`, no `--base`: a dispatch is checked like a push, against what the stack says runs."""
    repo.commit("B: back to a at once", stack_file("prod", STEADY_A, modelsBucket="b"))
    (tmp_path / "PLAN").write_text("{}")
    mode = [str(tmp_path / "PLAN") if arg == "PLAN" else arg for arg in mode]
    status, err, commands = deploy_prod({"history": [update(repo.a)], "outputs": {"originSecretRotation": STEADY_B}},
                                        capsys, *mode)
    assert (status, commands) == (1, [])
    assert ("error: not deploying prod: from the stack output originSecretRotation: CloudFront sends b today, but "
            "after this change the API accepts only a") in err


def test_a_rejected_deploy_does_not_fool_the_check(deploy_prod, repo, capsys):
    """Step 1 (B) is merged but its prod deploy is rejected; step 2 (C) is merged. `github.event.before` (B) would
    call C a safe step 2; prod still sends a, so C would be a prod-wide 403."""
    repo.commit("B: step 1", stack_file("prod", ROTATING_TO_B))
    repo.commit("C: step 2", stack_file("prod", STEADY_B))
    status, err, commands = deploy_prod({"history": [update(repo.a)], "outputs": {"originSecretRotation": STEADY_A}},
                                        capsys)
    assert (status, commands) == (1, [])
    assert "CloudFront sends a today, but after this change the API accepts only b" in err


@pytest.mark.parametrize("result", ["failed", "in-progress"], ids=["failed", "cancelled"])
def test_a_deploy_that_stopped_midway_counts_as_maybe_deployed(deploy_prod, repo, capsys, result):
    """Step 1 (B) fails or is cancelled after CloudFront may have switched to b; the output still says a. Going back
    to steady a (C) would refuse b while CloudFront may be sending it."""
    b = repo.commit("B: step 1", stack_file("prod", ROTATING_TO_B))
    repo.commit("C: undo step 1", stack_file("prod", STEADY_A))
    status, err, commands = deploy_prod({"history": [update(b, result), update(repo.a)],
                                         "outputs": {"originSecretRotation": STEADY_A}}, capsys)
    assert (status, commands) == (1, [])
    assert (f"from the config of the deploy that did not succeed ({result}) ({b[:12]}): CloudFront sends b today, "
            f"but after this change the API accepts only a") in err


def test_finishing_a_rotation_whose_step_1_deployed_is_allowed(deploy_prod, repo, capsys):
    b = repo.commit("B: step 1", stack_file("prod", ROTATING_TO_B))
    repo.commit("C: step 2", stack_file("prod", STEADY_B))
    status, err, commands = deploy_prod({"history": [update(b), update(repo.a)],
                                         "outputs": {"originSecretRotation": ROTATING_TO_B}}, capsys)
    assert (status, commands) == (0, ["up"])


def test_a_stack_deployed_before_the_output_existed_is_compared_with_the_config_of_its_last_deploy(
        deploy_prod, repo, capsys):
    b = repo.commit("B: step 1", stack_file("prod", ROTATING_TO_B))
    repo.commit("C: steady b", stack_file("prod", STEADY_B))
    repo.commit("D: back to a at once", stack_file("prod", STEADY_A))
    c = repo.git("rev-parse", "HEAD~1")
    status, err, commands = deploy_prod({"history": [update(c), update(b), update(repo.a)],
                                         "outputs": {"edgeUrl": "https://e.example.com"}}, capsys)
    assert (status, commands) == (1, [])
    assert (f"from the config of the last successful deploy ({c[:12]}): CloudFront sends b today, but after this "
            f"change the API accepts only a") in err


def test_a_documented_step_from_the_config_of_the_last_deploy_is_allowed(deploy_prod, repo, capsys):
    repo.commit("B: step 1", stack_file("prod", ROTATING_TO_B))
    status, _, commands = deploy_prod({"history": [update(repo.a)], "outputs": {"edgeUrl": "https://e"}}, capsys)
    assert (status, commands) == (0, ["up"])


def test_a_stack_never_deployed_has_nothing_to_protect(deploy_prod, repo, capsys):
    repo.commit("B: steady b", stack_file("prod", STEADY_B))
    status, _, commands = deploy_prod({"history": [], "outputs": {}}, capsys)
    assert (status, commands) == (0, ["up"])


@pytest.mark.parametrize(("scenario", "why"), [
    ({"history": [], "outputs_status": 255}, "the stack's outputs could not be read"),
    ({"history_status": 255, "outputs": {"originSecretRotation": STEADY_A}}, "the stack's history could not be read"),
    ({"history": [update("0123456789abcdef0123456789abcdef01234567")], "outputs": {}},
     "the config of the last successful deploy (0123456789ab) is not in this clone"),
    ({"history": [update(None)], "outputs": {}}, "the last successful deploy recorded no git commit"),
    ({"history": [{**update("@A@"), "environment": {"git.head": "@A@", "git.dirty": "true"}}], "outputs": {}},
     "the last successful deploy (@A@) ran from a work tree with uncommitted changes"),
], ids=["outputs unreadable", "history unreadable", "deployed commit not in the clone", "no commit recorded",
        "deployed from a dirty work tree"])
def test_when_what_is_deployed_cannot_be_told_the_deploy_is_refused(deploy_prod, repo, capsys, scenario, why):
    scenario = json.loads(json.dumps(scenario).replace("@A@", repo.a))
    why = why.replace("@A@", repo.a[:12])
    status, err, commands = deploy_prod(scenario, capsys, "--all")
    assert (status, commands) == (1, [])
    assert f"error: not deploying prod: what CloudFront sends today cannot be told ({why})" in err


def test_the_check_is_usable_from_the_cloud_preview(monkeypatch, repo):
    """rotation_check.problem is what a cloud preview calls: the new config against the deployed stack."""
    monkeypatch.setattr(rotation_check, "stack_outputs", lambda stack: {"originSecretRotation": STEADY_B})
    assert "CloudFront sends b today" in rotation_check.problem("prod", "prod", STEADY_A, [update(repo.a)], repo.path)
    assert rotation_check.problem("prod", "prod", STEADY_B, [update(repo.a)], repo.path) is None


def test_config_at_reads_another_revision():
    assert rotation.config_at("HEAD", "dev") is not None
    assert rotation.config_at("HEAD", "no-such-env") is None
