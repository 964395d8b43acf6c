"""Before any credential is used, the entry points refuse an environment that is not set up, naming the first
missing step of the first deploy (gitops/stacks/preflight.py); `python -m gitops.cli.environments_list` lists the
environments the workflows run, and refuses an incomplete folder."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fake_pulumi import READY, calls, install

from gitops.cli import deploy as deploy_cli
from gitops.cli import drift as drift_cli
from gitops.cli import environments_list
from gitops.cli import pr_preview as pr_preview_cli
from gitops.cli import preflight as preflight_cli
from gitops.cli import smoke as smoke_cli
from gitops.deploy import steps as deploy_steps
from gitops.preview import pull_request
from gitops.smoke_run import run as smoke_run
from gitops.stacks import configured, preflight
from gitops.stacks.environments import ENVIRONMENTS_DIR

LINES = ("secretsprovider: awskms://alias/ml-edge-{env}?region=eu-west-1\n"
         "encryptedkey: AQICAHhQ0c2Fv3mNMm9oQ0p7eXh0c2l0ZQ==\n")
ROLE = READY["AWS_ROLE_ARN"]


@pytest.fixture
def folders(tmp_path) -> Path:
    """A copy of the environment folders, each stack file with the lines `pulumi stack init --secrets-provider`
    writes (the committed ones have none until the bootstrap of an account has run)."""
    copied = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, copied)
    for stack in copied.glob("*/Pulumi.*.yaml"):
        env = stack.parent.name
        stack.write_text(LINES.format(env=env) + stack.read_text())
    return copied


def ready(tmp_path, **changes) -> dict:
    """A GitHub Actions job after `pulumi login s3://…` (PULUMI_BACKEND_URL) with its environment's variables."""
    environ = {"PULUMI_HOME": str(tmp_path / "pulumi-home"), "GITHUB_ACTIONS": "true",
               "PULUMI_BACKEND_URL": "s3://ml-edge-state-123456789012", "AWS_ROLE_ARN": ROLE,
               "AWS_REGION": "eu-west-1", **changes}
    return {name: value for name, value in environ.items() if value is not None}


def steps(env: str, environ: dict, folders: Path, project_file: Path | None = None) -> list[str]:
    found = preflight.missing_steps(env, None, environ, folders, project_file or folders / "no-Pulumi.yaml")
    return [step.what for step in found]


def test_a_set_up_environment_passes(tmp_path, folders):
    for env in ("dev", "staging", "prod"):
        assert steps(env, ready(tmp_path), folders) == []


@pytest.mark.parametrize(("remove", "first"), [
    ("qa", "there is no environment folder environments/qa"),
    ("qa/Pulumi.qa.yaml", "environments/qa has no stack file Pulumi.qa.yaml"),
    ("qa/policy.json", "environments/qa has no policy.json (the guardrails' limits)"),
], ids=["no folder", "no stack file", "no policy.json"])
def test_an_incomplete_folder_is_the_first_missing_step(tmp_path, folders, remove, first):
    shutil.copytree(folders / "dev", folders / "qa")
    (folders / "dev" / "Pulumi.dev.yaml").rename(folders / "qa" / "Pulumi.qa.yaml")
    target = folders / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    assert steps("qa", ready(tmp_path, AWS_ROLE_ARN=""), folders)[0] == first


def test_without_any_state_backend_that_is_the_first_step(tmp_path, folders):
    found = steps("dev", ready(tmp_path, PULUMI_BACKEND_URL=None), folders)
    assert found == ["no state backend: neither PULUMI_BACKEND_URL nor PULUMI_ACCESS_TOKEN is set, and the CLI is not "
                     "logged in"]


def test_a_stack_file_without_its_secrets_provider_is_refused_on_a_self_managed_backend(tmp_path):
    """The committed stack files: the CLI would pick the passphrase provider and stop without
    PULUMI_CONFIG_PASSPHRASE (tests/data/pulumi_error_passphrase.txt)."""
    found = steps("dev", ready(tmp_path), ENVIRONMENTS_DIR)
    assert found == ["environments/dev/Pulumi.dev.yaml has no `secretsprovider`/`encryptedkey` lines: on the "
                     "self-managed backend s3://ml-edge-state-123456789012 the CLI would fall back to the passphrase "
                     "provider and stop for want of PULUMI_CONFIG_PASSPHRASE"]
    message = preflight.refusal("dev", "the deploy", preflight.missing_steps("dev", None, ready(tmp_path)))
    assert 'pulumi stack init dev --secrets-provider "awskms://alias/ml-edge-dev?region=<state region>"' in message
    # `pulumi stack output` alone decrypts with the provider the state records
    assert preflight.missing_steps("dev", None, ready(tmp_path), runs_the_program=False) == []


def test_the_backend_is_found_where_the_cli_finds_it(tmp_path, folders):
    """After `pulumi login s3://…` (credentials.json `current`), or in the project's Pulumi.yaml: self-managed
    too, so the committed stack file is refused there as well."""
    home = tmp_path / "pulumi-home"
    home.mkdir()
    (home / "credentials.json").write_text(json.dumps({"current": "s3://bucket-from-login"}))
    assert "self-managed backend s3://bucket-from-login" in steps("dev", ready(tmp_path, PULUMI_BACKEND_URL=None),
                                                                  ENVIRONMENTS_DIR)[0]
    project = tmp_path / "Pulumi.yaml"
    project.write_text("name: ml-edge\nbackend:\n  url: file:///srv/state\n")
    (home / "credentials.json").unlink()
    assert "self-managed backend file:///srv/state" in steps("dev", ready(tmp_path, PULUMI_BACKEND_URL=None),
                                                             ENVIRONMENTS_DIR, project)[0]


def test_pulumi_cloud_needs_its_token_and_no_lines(tmp_path):
    cloud = ready(tmp_path, PULUMI_BACKEND_URL="https://api.pulumi.com")
    assert steps("dev", cloud, ENVIRONMENTS_DIR) == [
        "the state lives in Pulumi Cloud (https://api.pulumi.com), but PULUMI_ACCESS_TOKEN is not set (a "
        "non-interactive CLI cannot log in: it exits 3)"]
    assert steps("dev", {**cloud, "PULUMI_ACCESS_TOKEN": "pul-x"}, ENVIRONMENTS_DIR) == []
    assert steps("dev", ready(tmp_path, PULUMI_BACKEND_URL=None, PULUMI_ACCESS_TOKEN="pul-x"), ENVIRONMENTS_DIR) == []
    (tmp_path / "pulumi-home").mkdir()
    (tmp_path / "pulumi-home" / "credentials.json").write_text(json.dumps(
        {"current": "https://api.pulumi.com", "accessTokens": {"https://api.pulumi.com": "pul-stored"}}))
    assert steps("dev", ready(tmp_path, PULUMI_BACKEND_URL=None), ENVIRONMENTS_DIR) == []


@pytest.mark.parametrize(("lines", "environ", "problem"), [
    ("secretsprovider: awskms://alias/ml-edge-dev?region=eu-west-1\n", {},
     "has `secretsprovider: awskms://alias/ml-edge-dev?region=eu-west-1` but no `encryptedkey`"),
    ("secretsprovider: vault://x\nencryptedkey: abc\n", {}, "secretsprovider 'vault://x' is not one the CLI knows"),
    ("encryptionsalt: v1:abc:def\n", {}, "uses the passphrase provider (`encryptionsalt`), but neither"),
    ("encryptionsalt: v1:abc:def\n", {"PULUMI_CONFIG_PASSPHRASE": "p"}, None),
    ("secretsprovider: passphrase\n", {"PULUMI_CONFIG_PASSPHRASE": "p"}, "but has no `encryptionsalt`"),
], ids=["kms without its key", "unknown provider", "passphrase without it", "passphrase given", "passphrase no salt"])
def test_the_secrets_provider_lines_are_read_as_the_cli_reads_them(tmp_path, folders, lines, environ, problem):
    stack = folders / "dev" / "Pulumi.dev.yaml"
    stack.write_text(lines + stack.read_text().split("\n", 2)[2])  # the fixture's two lines replaced
    found = steps("dev", ready(tmp_path, **environ), folders)
    assert (found == []) if problem is None else (problem in found[0] and len(found) == 1)


@pytest.mark.parametrize(("changes", "problem"), [
    ({"AWS_ROLE_ARN": None}, "AWS_ROLE_ARN is empty: the GitHub environment dev has no variable AWS_ROLE_ARN"),
    ({"AWS_ROLE_ARN": ""}, "AWS_ROLE_ARN is empty"),
    ({"AWS_ROLE_ARN": "", "GITHUB_ACTIONS": None}, "AWS_ROLE_ARN is empty"),
    ({"AWS_ROLE_ARN": "ml-edge-deploy-dev"}, "AWS_ROLE_ARN of dev is not an IAM role ARN: 'ml-edge-deploy-dev'"),
    ({"AWS_REGION": None}, "AWS_REGION is empty: the GitHub environment dev has no variable AWS_REGION"),
    ({"AWS_REGION": " "}, "AWS_REGION is empty"),
    ({"AWS_REGION": "Ireland"}, "AWS_REGION of dev is not an AWS region: 'Ireland'"),
], ids=["no role in Actions", "empty role", "empty role outside Actions", "not an ARN", "no region in Actions",
        "blank region", "not a region"])
def test_the_github_environments_role_and_region_must_be_set(tmp_path, folders, changes, problem):
    (found,) = steps("dev", ready(tmp_path, **changes), folders)
    assert found.startswith(problem)


def test_role_and_region_may_come_from_elsewhere(tmp_path, folders):
    """After configure-aws-credentials (its credentials and AWS_DEFAULT_REGION), or outside GitHub Actions."""
    assert steps("dev", ready(tmp_path, AWS_ROLE_ARN=None, AWS_REGION=None, AWS_ACCESS_KEY_ID="ASIA…",
                              AWS_DEFAULT_REGION="eu-west-1"), folders) == []
    assert steps("dev", ready(tmp_path, AWS_ROLE_ARN=None, AWS_REGION=None, GITHUB_ACTIONS=None), folders) == []


def test_the_refusal_names_the_first_step_then_the_others(tmp_path):
    found = preflight.missing_steps("dev", "dev-observe", ready(tmp_path, AWS_ROLE_ARN="", AWS_REGION=""))
    message = preflight.refusal("dev", "the drift check", found)
    first, *rest = message.splitlines()
    assert first.startswith("not running the drift check for dev: environments/dev/Pulumi.dev.yaml has no "
                            "`secretsprovider`/`encryptedkey` lines")
    assert rest[-3:] == ["  Also missing:",
                         "  - AWS_ROLE_ARN is empty: the GitHub environment dev-observe has no variable AWS_ROLE_ARN",
                         "  - AWS_REGION is empty: the GitHub environment dev-observe has no variable AWS_REGION"]


# the entry points: refused before any pulumi command (nor any AWS call) runs


@pytest.fixture
def self_managed(tmp_path, monkeypatch):
    """The fake CLI on PATH, and a job logged in to an s3 backend: the committed stack files lack their lines."""
    log = install(tmp_path, {}, monkeypatch)
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN")
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://ml-edge-state-123456789012")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.setenv(name, str(tmp_path / name))
    return log


FIRST_STEP = "Pulumi.{env}.yaml has no `secretsprovider`/`encryptedkey` lines"


def test_the_deploy_refuses_before_reading_the_stack(self_managed, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(deploy_steps, "after_up", lambda env, stack: pytest.fail("nothing after a refusal"))
    assert deploy_cli.main(["--env", "staging"]) == preflight.REFUSED
    assert calls(self_managed) == []
    out, err = capsys.readouterr()
    assert err.startswith(f"error: not running the deploy for staging: environments/staging/"
                          f"{FIRST_STEP.format(env='staging')}")
    assert out.startswith("::error title=setup missing::not running the deploy for staging: ")
    assert (tmp_path / "GITHUB_OUTPUT").read_text() == "deploy=false\n"
    assert (tmp_path / "GITHUB_STEP_SUMMARY").read_text().startswith("## ❌ `staging`: not deployed: setup missing")


def test_the_plan_before_prods_approval_is_checked_against_the_observe_environment(self_managed, monkeypatch,
                                                                                    capsys, tmp_path):
    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://api.pulumi.com")
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "pul-x")
    monkeypatch.setenv("AWS_ROLE_ARN", "")
    assert deploy_cli.main(["--env", "prod", "--plan-out", str(tmp_path / "plan.json")]) == preflight.REFUSED
    assert "the GitHub environment prod-observe has no variable AWS_ROLE_ARN" in capsys.readouterr().err
    assert calls(self_managed) == []


def test_the_drift_check_refuses_and_its_issue_says_why(self_managed, tmp_path):
    assert drift_cli.main(["--env", "dev", "--details", str(tmp_path / "drift.md")]) == preflight.REFUSED
    details = (tmp_path / "drift.md").read_text()
    assert details.startswith("The drift check of `dev` did not run: a setup step is missing.")
    assert FIRST_STEP.format(env="dev") in details
    assert calls(self_managed) == []


def test_the_cloud_preview_refuses_and_the_comment_says_why(self_managed, tmp_path, monkeypatch):
    from gitops.preview.offline import OK, OfflineResult
    monkeypatch.setattr(pull_request, "run_offline_preview", lambda env: OfflineResult(env, OK, error="offline ran"))
    out = tmp_path / "comment"
    assert pr_preview_cli.main(["--env", "dev", "--out", str(out), "--cloud"]) == preflight.REFUSED
    comment = (out / "dev.md").read_text()
    assert "`pulumi preview` did not run: a setup step is missing." in comment
    assert FIRST_STEP.format(env="dev") in comment
    assert "offline ran" in comment  # the offline check still ran
    assert json.loads((out / "dev.json").read_text())["status"] == "blocked"
    assert calls(self_managed) == []


def test_the_smoke_run_refuses_unless_the_urls_are_given(self_managed, monkeypatch, capsys):
    """It only reads the stack's outputs (decrypted with the provider the state records): the stack file's lines
    are not its business, the role and region are."""
    for name in ("EDGE_URL", "ORIGIN_URL", "ORIGIN_URLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ROLE_ARN", "")
    assert smoke_cli.main(["--env", "dev"]) == preflight.REFUSED
    assert ("error: not running the smoke suite for dev: AWS_ROLE_ARN is empty: the GitHub environment dev-observe "
            "has no variable AWS_ROLE_ARN.") in capsys.readouterr().err
    monkeypatch.setenv("EDGE_URL", "https://e.example.com")
    monkeypatch.setenv("ORIGIN_URL", "https://o.example.com/v1")
    runs = []
    monkeypatch.setattr(smoke_run.subprocess, "run", lambda command, **kwargs: runs.append(command) or
                        subprocess.CompletedProcess(command, 0))
    assert smoke_cli.main(["--env", "dev"]) == 0
    assert "--edge-url=https://e.example.com" in runs[0]
    assert "not reading the stack (not running the smoke suite for dev:" in capsys.readouterr().err
    assert calls(self_managed) == []


def test_the_preflight_runs_as_a_workflow_step(tmp_path, monkeypatch, capsys):
    for name, value in ready(tmp_path, PULUMI_BACKEND_URL=None, PULUMI_ACCESS_TOKEN="pul-x").items():
        monkeypatch.setenv(name, value)
    assert preflight_cli.main(["--env", "dev", "--github-environment", "dev-preview"]) == 0
    monkeypatch.setenv("AWS_REGION", "")
    assert preflight_cli.main(["--env", "dev", "--github-environment", "dev-preview"]) == preflight.REFUSED
    out, err = capsys.readouterr()
    assert ("::error title=setup missing::not running a cloud run for dev: AWS_REGION is empty: the GitHub "
            "environment dev-preview has no variable AWS_REGION") in out
    assert "gh variable set AWS_REGION --env dev-preview --body <region>" in err


# python -m gitops.cli.environments_list


def listed(folders: Path, monkeypatch, tmp_path, **environ) -> tuple[int, str, str]:
    for name in ("PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github_output"))
    (tmp_path / "github_output").write_text("")
    status = environments_list.main(["--environments-dir", str(folders)])
    return status, (tmp_path / "github_output").read_text()


def test_the_environments_are_listed_in_deploy_order_with_a_new_one_last(folders, monkeypatch, tmp_path, capsys):
    shutil.copytree(folders / "dev", folders / "qa")
    (folders / "qa" / "Pulumi.dev.yaml").rename(folders / "qa" / "Pulumi.qa.yaml")
    assert listed(folders, monkeypatch, tmp_path) == (0, 'environments=["dev","staging","prod","qa"]\n')
    assert json.loads(capsys.readouterr().out) == ["dev", "staging", "prod", "qa"]


@pytest.mark.parametrize(("setup", "problem"), [
    (lambda qa: (qa / "Pulumi.qa.yaml").unlink(), "environments/qa has no stack file Pulumi.qa.yaml"),
    (lambda qa: (qa / "policy.json").unlink(), "environments/qa has no policy.json"),
    (lambda qa: (qa / "Pulumi.qa.yaml").write_text((ENVIRONMENTS_DIR / "dev" / "Pulumi.dev.yaml").read_text()),
     "environments/qa/Pulumi.qa.yaml has no `secretsprovider`/`encryptedkey` lines"),
], ids=["no stack file", "no policy.json", "not set up (no secrets provider lines)"])
def test_an_incomplete_environment_folder_is_refused_loudly(folders, monkeypatch, tmp_path, capsys, setup, problem):
    """GitHub creates an environment a job names on the fly, with no variables or secrets: a folder whose setup did
    not run must not become a deploy job."""
    shutil.copytree(folders / "dev", folders / "qa")
    (folders / "qa" / "Pulumi.dev.yaml").rename(folders / "qa" / "Pulumi.qa.yaml")
    setup(folders / "qa")
    assert listed(folders, monkeypatch, tmp_path, GITHUB_ACTIONS="true") == (configured.INCOMPLETE, "")
    out, err = capsys.readouterr()
    assert f"error: environment qa: {problem}" in err
    assert "not listing the environments: qa not set up" in err
    assert out.startswith(f"::error title=environment qa is not set up::{problem}")


def test_on_pulumi_cloud_the_folder_needs_no_secrets_provider_lines(monkeypatch, tmp_path, capsys):
    assert listed(ENVIRONMENTS_DIR, monkeypatch, tmp_path) == (configured.INCOMPLETE, "")
    assert "environments/dev/Pulumi.dev.yaml has no `secretsprovider`" in capsys.readouterr().err
    assert listed(ENVIRONMENTS_DIR, monkeypatch, tmp_path, PULUMI_ACCESS_TOKEN="pul-x")[0] == 0
    assert listed(ENVIRONMENTS_DIR, monkeypatch, tmp_path, PULUMI_BACKEND_URL="https://api.pulumi.com")[0] == 0
