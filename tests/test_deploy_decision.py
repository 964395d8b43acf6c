"""Whether an environment needs a deploy comes from its stack's own record: the commit of its last successful
`pulumi up` (recorded `pulumi stack history --json` output), compared with the commit about to be deployed, in
a throwaway git repository. A deploy that was rejected, failed or cancelled is not forgotten."""

import json
from pathlib import Path

import pytest
from fake_pulumi import calls, install
from git_repo import GitRepo, stack_file

from gitops.cli import deploy as deploy_cli
from gitops.deploy import steps
from gitops.deploy.decision import decide
from gitops.pulumi import deployed
from gitops.stacks import rotation

HISTORY = Path(__file__).parent / "data" / "pulumi_stack_history_prod.json"
KNOWN = ["dev", "staging", "prod"]


def recorded(**commits: str) -> list[dict]:
    """The recorded prod history (newest first: a failed update, a refresh, two successful updates), with the
    commits of this test's repository in place of @FAILED@, @SUCCEEDED@, @OLDER@."""
    text = HISTORY.read_text()
    for name, commit in commits.items():
        text = text.replace(f"@{name.upper()}@", commit)
    return json.loads(text)


def update(commit: str | None, result: str = "succeeded", kind: str = "update", dirty: bool = False) -> dict:
    environment = {"git.head": commit, "git.dirty": "true" if dirty else "false"} if commit else {}
    return {"version": 1, "kind": kind, "startTime": "2026-11-20T09:12:00.000Z", "message": "",
            "environment": environment, "config": {}, "result": result}


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.a = repo.commit("A", {**stack_file("dev"), **stack_file("staging"), **stack_file("prod"),
                               "README.md": "ml-edge\n"})
    return repo


def decided(env: str, entries, repo: GitRepo, **options):
    return decide(env, entries, repo=repo.path, known=KNOWN, **options)


# each decision path


def test_a_stack_never_deployed_is_deployed(repo):
    decision = decided("prod", [], repo)
    assert decision.deploy and decision.reason == "prod has never been deployed successfully"


def test_a_stack_whose_only_updates_failed_is_deployed(repo):
    assert decided("prod", [update(repo.a, "failed")], repo).deploy


def test_an_unreadable_history_deploys_saying_why(repo):
    decision = decided("prod", None, repo)
    assert decision.deploy
    assert "the history of prod's stack could not be read" in decision.reason and "deploying" in decision.reason


def test_all_deploys_without_asking(repo):
    decision = decided("prod", [update(repo.a)], repo, everything=True)
    assert decision.deploy and decision.reason.startswith("--all")


def test_nothing_changed_since_the_last_deploy_means_no_deploy(repo):
    decision = decided("prod", [update(repo.a)], repo)
    assert not decision.deploy
    assert decision.reason == f"nothing prod deploys changed since its last successful deploy ({repo.a[:12]})"
    assert decision.deployed_commit == repo.a


def test_only_the_touched_environment_is_deployed(repo):
    repo.commit("B", stack_file("dev", modelsBucket="b"))
    assert decided("dev", [update(repo.a)], repo).deploy
    assert not decided("prod", [update(repo.a)], repo).deploy


def test_the_reason_names_what_changed(repo):
    repo.commit("B", {"environments/prod/policy.json": "{}", "environments/prod/smoke.json": "{}"})
    decision = decided("prod", [update(repo.a)], repo)
    assert decision.reason == (f"prod is touched since its last successful deploy ({repo.a[:12]}): "
                               '"environments/prod/policy.json", "environments/prod/smoke.json"')


@pytest.mark.parametrize("path", ["gitops/pulumi/pulumi_cli.py", "Makefile", ".github/actions/setup/action.yml",
                                  "program/ml_edge/edge.py", "policies/guardrails/ttl.py", "requirements.txt"])
def test_a_change_to_what_a_deploy_runs_deploys_every_environment(repo, path):
    repo.commit("B", {path: "changed\n"})
    assert all(decided(env, [update(repo.a)], repo).deploy for env in KNOWN)


def test_docs_and_tests_deploy_nothing(repo):
    repo.commit("B", {"README.md": "changed\n", "tests/test_x.py": "", ".github/workflows/smoke.yml": ""})
    assert not any(decided(env, [update(repo.a)], repo).deploy for env in KNOWN)


def test_a_destroyed_stack_is_deployed(repo):
    decision = decided("prod", [update(None, kind="destroy"), update(repo.a)], repo)
    assert decision.deploy and decision.reason == "prod was destroyed since its last deploy"


def test_a_refresh_is_not_a_deploy(repo):
    b = repo.commit("B", stack_file("prod", modelsBucket="b"))
    assert decided("prod", [update(b, kind="refresh"), update(repo.a)], repo).deploy


def test_a_deploy_from_a_dirty_work_tree_is_not_trusted(repo):
    decision = decided("prod", [update(repo.a, dirty=True)], repo)
    assert decision.deploy and "uncommitted changes" in decision.reason


def test_a_deploy_without_a_recorded_commit_is_not_trusted(repo):
    decision = decided("prod", [update(None)], repo)
    assert decision.deploy and "recorded no git commit" in decision.reason


def test_a_deployed_commit_missing_from_the_clone_deploys(repo):
    decision = decided("prod", [update("0123456789abcdef0123456789abcdef01234567")], repo)
    assert decision.deploy and "cannot be compared with this one" in decision.reason


def test_a_half_done_deploy_is_finished_even_when_main_went_back(repo):
    """B changes prod, its `pulumi up` fails midway, B is reverted: the tree equals the last deployed one, but the
    stack may hold part of B."""
    b = repo.commit("B", stack_file("prod", modelsBucket="b"))
    repo.git("revert", "--no-edit", b)
    decision = decided("prod", [update(b, "failed"), update(repo.a)], repo)
    assert decision.deploy
    assert decision.reason.startswith("an update of prod after its last successful deploy did not succeed (failed, "
                                      f"commit {b[:12]})")


# a deploy that did not happen is not forgotten


@pytest.mark.parametrize("what_happened_to_b", ["rejected", "failed", "cancelled"])
def test_a_deploy_that_did_not_happen_is_not_forgotten(repo, what_happened_to_b):
    """main moves A → B (touching prod); prod's deploy of B is rejected by the reviewer (no update at all), fails,
    or is cancelled (the update stays in progress); main moves on to C, touching docs only. `github.event.before`
    would say "docs only"; the stack says its last deploy is A, so prod is still deployed."""
    b = repo.commit("B: prod change", stack_file("prod", modelsBucket="new"))
    repo.commit("C: docs", {"README.md": "docs only\n"})
    after_b = {"rejected": [], "failed": [update(b, "failed")], "cancelled": [update(b, "in-progress")]}
    entries = [*after_b[what_happened_to_b], update(repo.a)]
    decision = decided("prod", entries, repo)
    assert decision.deploy and decision.deployed_commit == repo.a
    assert decided("dev", [update(repo.git("rev-parse", "HEAD"))], repo).deploy is False  # dev deployed C


def test_the_recorded_history_is_read_as_the_cli_prints_it(repo):
    b = repo.commit("B", stack_file("prod", modelsBucket="new"))
    entries = recorded(failed=b, succeeded=repo.a, older=repo.a)
    assert deployed.last_deployed_commit(entries) == repo.a
    record = deployed.read_record(entries)
    assert [(u.result, u.commit) for u in record.attempts_since] == [("failed", b)]


# end to end: gitops.cli.deploy with a stand-in pulumi CLI


@pytest.fixture
def cli(tmp_path, monkeypatch, repo):
    """gitops.cli.deploy against the stand-in CLI and the test's repository; after-up steps recorded, not run."""
    monkeypatch.setattr(steps, "REPO", repo.path)
    monkeypatch.setattr(rotation, "proposed", lambda env: rotation.config_at("HEAD", env, repo.path))
    after = []
    monkeypatch.setattr(steps, "after_up", lambda env, stack: after.append(env) or 0)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github_output"))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def run(env: str, scenario: dict, *args: str):
        log = install(tmp_path, scenario, monkeypatch)
        status = deploy_cli.main(["--env", env, *args])
        commands = [call["argv"][0] for call in calls(log) if call["argv"][0] in ("preview", "up")]
        return status, (tmp_path / "github_output").read_text(), commands, after

    return run


def test_the_deploy_after_a_failed_one_deploys_prod_although_only_docs_changed(cli, repo):
    b = repo.commit("B: prod change", stack_file("prod", modelsBucket="new"))
    repo.commit("C: docs", {"README.md": "docs only\n"})
    status, output, commands, after = cli("prod", {"history": recorded(failed=b, succeeded=repo.a, older=repo.a),
                                                   "outputs": {"originSecretRotation": rotation.settings({})}})
    assert (status, output, commands, after) == (0, "deploy=true\n", ["up"], ["prod"])


def test_an_environment_with_nothing_new_is_not_deployed(cli, repo, capsys):
    repo.commit("C: docs", {"README.md": "docs only\n"})
    status, output, commands, after = cli("dev", {"history": [update(repo.a)]})
    assert (status, output, commands, after) == (0, "deploy=false\n", [], [])
    assert f"dev: not deploying: nothing dev deploys changed since its last successful deploy ({repo.a[:12]})" in (
        capsys.readouterr().out)


def test_all_deploys_an_environment_with_nothing_new(cli, repo):
    status, output, commands, _ = cli("dev", {"history": [update(repo.a)]}, "--all")
    assert (status, output, commands) == (0, "deploy=true\n", ["up"])


def test_the_history_is_read_page_by_page_until_the_last_success(tmp_path, monkeypatch, repo):
    """`pulumi stack history` returns 10 entries unless asked: 30 failed updates must not hide the last success."""
    entries = [update(repo.a, "failed")] * 30 + [update(repo.a)] + [update("older")] * 30
    log = install(tmp_path, {"history": entries}, monkeypatch)
    read = deployed.history("prod")
    assert deployed.last_deployed_commit(read) == repo.a
    pages = [call["argv"] for call in calls(log)]
    assert pages == [["stack", "history", "--json", "--stack", "prod", "--page-size", "25", "--page", str(page)]
                     for page in (1, 2)]


def test_an_unreadable_history_is_none(tmp_path, monkeypatch, capsys):
    install(tmp_path, {"history_status": 255}, monkeypatch)
    assert deployed.history("prod") is None
    assert "pulumi stack history --stack prod failed: error: no stack named 'prod' found" in capsys.readouterr().err


@pytest.mark.parametrize("args", [(), ("--all",), ("--plan-out", "plan.json")])
def test_a_rerun_of_an_old_deploy_is_refused_rather_than_rolling_back(cli, repo, args, capsys):
    """Re-running an old workflow run deploys its commit: on main, but older than what the stack runs."""
    b = repo.commit("B: prod change", stack_file("prod", modelsBucket="new"))
    repo.git("checkout", "--quiet", "--detach", repo.a)  # what a re-run of A's run checks out
    scenario = {"history": [update(b)], "outputs": {"originSecretRotation": rotation.settings({})}}
    status, output, commands, after = cli("prod", scenario, *args)
    assert (status, commands, after) == (1, [], [])
    assert output == "deploy=false\n"
    assert (f"error: not deploying prod: this commit is older than what prod runs ({b[:12]}): a re-run of an old "
            "deploy would roll prod back. Revert on main instead") in capsys.readouterr().err


def test_a_rollback_by_hand_is_possible(cli, repo):
    b = repo.commit("B: prod change", stack_file("prod", modelsBucket="new"))
    repo.git("checkout", "--quiet", "--detach", repo.a)
    scenario = {"history": [update(b)], "outputs": {"originSecretRotation": rotation.settings({})}}
    status, output, commands, _ = cli("prod", scenario, "--rollback")
    assert (status, output, commands) == (0, "deploy=true\n", ["up"])
