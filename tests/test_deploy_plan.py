"""Prod's approval: before it, `gitops.cli.deploy --plan-out` saves the plan (`pulumi preview --save-plan` with the
guardrails) and puts its diff, secrets masked (gitops/pulumi/stack_secrets.py), in the run summary; after it, `--plan`
applies exactly that plan (`pulumi up --plan`). Pulumi is the stand-in CLI (tests/fake_pulumi.py); secrets of the
stack are seeded into the recorded preview output and into saved plans."""

import json
from pathlib import Path

import pytest
from fake_pulumi import calls, install
from git_repo import GitRepo, stack_file

from gitops.cli import deploy as deploy_cli
from gitops.deploy import steps
from gitops.pulumi import deploy_plan, stack_secrets
from gitops.stacks import rotation
from gitops.stacks.environments import ENVIRONMENTS_DIR, POLICIES_DIR
from ml_edge.resource_types import RANDOM_PASSWORD

PREVIEW = (Path(__file__).parent / "data" / "pulumi_preview_prod.txt").read_text()
SMOKE_KEY = "Zq3vN8wK1pL5xR7tY2mB4cD6fG9hJ0sA"  # a seeded secret output value
RESTRICTED_KEY = "line one of a key\nline two of a key"
OUTPUTS = {"edgeUrl": "https://api.example.com", "distributionId": "E26PIZZ64QCFRN", "smokeKeyPlan": "internal",
           "smokeApiKey": SMOKE_KEY, "smokeRestrictedApiKey": RESTRICTED_KEY,
           "originSecretRotation": rotation.settings({})}
SECRET_OUTPUTS = ["smokeApiKey", "smokeRestrictedApiKey"]
ORIGIN_SECRET = "Hk2Wq9Lm4Np7Rs1Tv5Xz8Bc3Df6Gj0Kl2Mn5Pq8St1Vw4Yz7A"  # in the state only, not an output


def secret(value) -> dict:
    return {stack_secrets.SIG_KEY: stack_secrets.SECRET_SIG, "plaintext": json.dumps(value)}


EXPORT = {"version": 3, "deployment": {"resources": [
    {"urn": "urn:pulumi:prod::ml-edge::pulumi:pulumi:Stack::ml-edge-prod", "type": "pulumi:pulumi:Stack",
     "outputs": {"smokeApiKey": secret(SMOKE_KEY), "smokeRestrictedApiKey": secret(RESTRICTED_KEY)}},
    {"urn": "urn:pulumi:prod::ml-edge::random:index/randomPassword:RandomPassword::ml-edge-prod-origin-secret-a",
     "type": RANDOM_PASSWORD, "outputs": {"result": secret(ORIGIN_SECRET)}}]}}
# a preview that shows secrets in plain text (a provider that does not mark a value secret)
LEAKY_PREVIEW = PREVIEW.replace("Resources:", f'      ~ token: "old" => "{SMOKE_KEY}"\n'
                                               f"      ~ pem: {RESTRICTED_KEY.splitlines()[1]}\n"
                                               f'      ~ header: "{ORIGIN_SECRET}"\nResources:')
assert LEAKY_PREVIEW != PREVIEW
CIPHERTEXT_PLAN = {"manifest": {}, "resourcePlans": {"urn:x": {"goal": {"inputDiff": {"adds": {"value": {
    stack_secrets.SIG_KEY: stack_secrets.SECRET_SIG, "ciphertext": "AAABAK2b…"}}}}}}}


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.a = repo.commit("A", stack_file("prod"))
    repo.b = repo.commit("B: prod change", stack_file("prod", modelsBucket="new"))
    return repo


@pytest.fixture
def prod(tmp_path, monkeypatch, repo):
    """Runs gitops.cli.deploy --env prod in GitHub Actions' environment; returns what it left behind."""
    monkeypatch.setattr(steps, "REPO", repo.path)
    monkeypatch.setattr(rotation, "proposed", lambda env: rotation.config_at("HEAD", env, repo.path))
    after = []
    monkeypatch.setattr(steps, "after_up", lambda env, stack: after.append(env) or 0)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.setenv(name, str(tmp_path / name))
        (tmp_path / name).write_text("")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    def run(scenario: dict, *args: str) -> dict:
        scenario = {"history": [{"kind": "update", "result": "succeeded", "environment": {"git.head": repo.a}}],
                    "outputs": OUTPUTS, "secret_outputs": SECRET_OUTPUTS, "export": EXPORT, "plan": CIPHERTEXT_PLAN,
                    **scenario}
        log = install(tmp_path, scenario, monkeypatch)
        status = deploy_cli.main(["--env", "prod", *args])
        return {"status": status, "calls": calls(log), "after_up": after,
                "output": (tmp_path / "GITHUB_OUTPUT").read_text(),
                "summary": (tmp_path / "GITHUB_STEP_SUMMARY").read_text()}

    return run


def changing(result: dict) -> list[dict]:
    return [call for call in result["calls"] if call["argv"][0] in ("preview", "up")]


def test_the_plan_is_saved_with_the_guardrails_and_nothing_is_deployed(prod, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = Path("out") / "prod.plan.json"  # relative to the job's directory, not to program/ (pulumi --cwd)
    plan.parent.mkdir()
    result = prod({"preview_output": PREVIEW}, "--plan-out", str(plan))
    assert result["status"] == 0 and result["output"] == "deploy=true\n" and result["after_up"] == []
    [preview] = changing(result)
    argv = preview["argv"]
    assert argv[:2] == ["preview", "--diff"] and argv[argv.index("--save-plan") + 1] == str(tmp_path / plan)
    assert argv[argv.index("--policy-pack") + 1] == str(POLICIES_DIR)
    assert argv[argv.index("--policy-pack-config") + 1] == str(ENVIRONMENTS_DIR / "prod" / "policy.json")
    assert argv[argv.index("--stack") + 1] == "prod" and "--show-secrets" not in argv  # secrets stay encrypted
    assert preview["experimental"] == "true"  # update plans are experimental
    assert plan.is_file()


def test_the_summary_shows_the_diff_with_every_secret_masked(prod, tmp_path, capsys):
    result = prod({"preview_output": LEAKY_PREVIEW}, "--plan-out", str(tmp_path / "plan.json"))
    assert result["status"] == 0
    summary = result["summary"]
    assert summary.startswith("## `prod`: plan to approve (1 to create, 2 to update)\n")
    assert f"Commit `{steps._head()}` · why a deploy: prod is touched since its last successful deploy" in summary
    assert "~ defaultTtl: 300 => 600" in summary and '~ token: "old" => "[secret]"' in summary
    assert "~ pem: [secret]" in summary and '~ header: "[secret]"' in summary
    for value in (SMOKE_KEY, RESTRICTED_KEY, *RESTRICTED_KEY.splitlines(), ORIGIN_SECRET):
        assert value not in summary
    out = capsys.readouterr().out
    for value in (SMOKE_KEY, *RESTRICTED_KEY.splitlines(), ORIGIN_SECRET):  # masked before the log shows them
        assert out.index(f"::add-mask::{value}\n") < out.index("Previewing update (prod)")


@pytest.mark.parametrize(("plan", "leak"), [
    ({"resourcePlans": {"urn:x": {"goal": {"inputDiff": {"adds": {"value": secret(ORIGIN_SECRET)}}}}}},
     '1 secret(s) written decrypted ("plaintext")'),
    ({"resourcePlans": {"urn:x": {"outputs": {"token": SMOKE_KEY}}}}, "1 secret output value(s) in plain text"),
    ({"resourcePlans": {"urn:x": {"outputs": {"pem": json.dumps(RESTRICTED_KEY)}}}},
     "1 secret output value(s) in plain text"),
], ids=["written with --show-secrets", "an unmarked copy", "an unmarked copy, JSON-escaped"])
def test_a_plan_holding_a_secret_in_plain_text_is_deleted(prod, tmp_path, capsys, plan, leak):
    plan_file = tmp_path / "plan.json"
    result = prod({"preview_output": PREVIEW, "plan": plan}, "--plan-out", str(plan_file))
    assert result["status"] == 1 and not plan_file.exists()
    assert f"error: the saved plan of prod holds {leak}; it was deleted and must not leave this job" in (
        capsys.readouterr().err)
    assert result["summary"].startswith("## ❌ `prod`: no plan was saved (exit 0)")


def test_without_the_stacks_secrets_no_preview_runs(prod, tmp_path, capsys):
    result = prod({"export_status": 255}, "--plan-out", str(tmp_path / "plan.json"))
    assert result["status"] == 1 and changing(result) == []
    assert "error: not planning prod: the stack's secret values could not be read" in capsys.readouterr().err


def test_a_blocked_preview_saves_no_plan_and_says_so(prod, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("a plan from an earlier attempt")
    result = prod({"preview_output": PREVIEW + "\nerror: preview failed: mandatory policy violation",
                   "preview_status": 255}, "--plan-out", str(plan))
    assert result["status"] == 255 and not plan.exists()
    assert result["summary"].startswith("## ❌ `prod`: no plan was saved (exit 255)")


def test_no_plan_when_nothing_changed_since_the_last_deploy(prod, repo, tmp_path):
    result = prod({"history": [{"kind": "update", "result": "succeeded", "environment": {"git.head": repo.b}}]},
                  "--plan-out", str(tmp_path / "plan.json"))
    assert (result["status"], result["output"], changing(result)) == (0, "deploy=false\n", [])
    assert result["summary"].startswith("## `prod`: no deploy needed")


def test_the_approved_plan_is_applied_as_it_is_then_the_after_up_steps(prod, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = Path("plan.json")
    plan.write_text(json.dumps({"manifest": {}, "resourcePlans": {}}))
    result = prod({}, "--plan", str(plan))
    assert result["status"] == 0 and result["after_up"] == ["prod"] and result["output"] == "deploy=true\n"
    [up] = changing(result)
    argv = up["argv"]
    assert argv[:3] == ["up", "--yes", "--diff"] and argv[argv.index("--plan") + 1] == str(tmp_path / plan)
    assert argv[argv.index("--policy-pack") + 1] == str(POLICIES_DIR) and up["experimental"] == "true"


def test_a_failed_apply_runs_no_after_up_step(prod, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    result = prod({"up_status": 255, "up_output": "error: resource violates plan"}, "--plan", str(plan))
    assert result["status"] == 255 and result["after_up"] == []


def test_without_the_plan_file_nothing_runs(prod, tmp_path, capsys):
    result = prod({}, "--plan", str(tmp_path / "missing.json"))
    assert result["status"] == 1 and changing(result) == [] and result["calls"] == []
    assert f"error: no plan at {tmp_path / 'missing.json'}" in capsys.readouterr().err


def test_the_plan_is_not_combined_with_all():
    with pytest.raises(SystemExit):
        deploy_cli.main(["--env", "prod", "--plan", "x", "--all"])


def test_dev_and_staging_deploy_directly_without_update_plans(prod):
    result = prod({})
    [up] = changing(result)
    assert up["argv"][:3] == ["up", "--yes", "--diff"] and "--plan" not in up["argv"] and not up["experimental"]
    assert result["after_up"] == ["prod"]


def test_a_plan_with_encrypted_secrets_only_passes(tmp_path):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(CIPHERTEXT_PLAN))
    assert deploy_plan.plain_text_secrets(plan_file, [SMOKE_KEY, RESTRICTED_KEY]) == []


def test_the_summary_fence_cannot_be_closed_by_the_output():
    text = deploy_plan._fenced("a ```` fence inside")
    assert text.startswith("`````text\n") and text.endswith("\n`````")
