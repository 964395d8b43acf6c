"""The pull-request check of one environment: offline preview (plan + guardrails), and with cloud credentials the
real `pulumi preview --diff`; writes the comment for the environment and fails on a blocking result.

Writes <out>/<env>.md (the comment) and <out>/<env>.json (environment, pull request, commit, status) for the
job that posts comments, and appends the comment to the run summary. Exit: 0 ok · 1 blocked or the preview
failed · 2 invalid config · 78 with --cloud, a setup step is missing (gitops/stacks/preflight.py, checked before any
credential is used): the comment says which, and nothing was read from the cloud.

The origin-secret rotation order is checked against what is deployed (the stack's originSecretRotation output)
when the run can read the stack, else against the base branch; the comment says which. Before `pulumi preview`
runs, every secret value of the stack is masked in the log, and replaced in its output before that becomes the
comment; when the secrets cannot be read, the cloud preview does not run.
"""

import json
import os
from pathlib import Path

from ..pulumi import deployed, pulumi_cli, stack_secrets
from ..stacks import preflight, rotation
from .comment import render_comment
from .offline import BLOCKED, FAILED, INVALID_CONFIG, OK, run_offline_preview


def rotation_before(env: str, base: str, cloud: bool) -> tuple[dict | None, str]:
    """The rotation settings to check the change against, and what they are (said in the comment)."""
    if cloud:
        settings = deployed.deployed_rotation(pulumi_cli.stack_name(env))
        if settings is not None:
            return settings, "what is deployed (the stack's `originSecretRotation` output)"
    if base:
        settings = rotation.config_at(base, env)
        if settings is not None:
            why = "what is deployed could not be read" if cloud else "no cloud credentials to read what is deployed"
            return settings, f"the base branch (`{base[:7]}`; {why})"
    return None, ""


def masked_cloud_preview(env: str) -> pulumi_cli.CliRun:
    return stack_secrets.masked_run(env, pulumi_cli.preview_command(env), "`pulumi preview`")


def check(env: str, out: Path, cloud: bool, pr: int = 0, commit: str = "", run_url: str = "",
          base: str = "") -> tuple[int, str]:
    """The check of one environment, its comment and metadata written to `out` and the run summary; the exit
    status (see above) and the comment."""
    refusal = preflight.refused(env, "the cloud preview", f"{env}-preview") if cloud else None
    if refusal:
        preflight.report(refusal)
    cloud_ready = cloud and not refusal
    offline = run_offline_preview(env)
    basis = ""
    if offline.plan is not None:
        before, basis = rotation_before(env, base, cloud_ready)
        if before is not None:
            offline.rotation_problem = rotation.transition_problem(before, rotation.proposed(env))
        if offline.rotation_problem and offline.status == OK:
            offline.status = BLOCKED
    cloud_run = None
    if refusal:
        cloud_run = pulumi_cli.CliRun(preflight.REFUSED, f"`pulumi preview` did not run: a setup step is missing.\n"
                                                         f"{refusal}")
    elif cloud and offline.status in (OK, BLOCKED):
        cloud_run = masked_cloud_preview(env)
    reason = "" if cloud else "a pull request from a fork, or no cloud credentials: the offline check only"
    comment = render_comment(offline, cloud_run, commit, run_url, reason, rotation_basis=basis)

    status = offline.status
    if status == OK and cloud_run is not None and cloud_run.status != 0:
        status = BLOCKED
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{env}.md").write_text(comment, encoding="utf-8")
    (out / f"{env}.json").write_text(json.dumps({
        "environment": env, "pull_request": pr, "commit": commit, "cloud": cloud_run is not None,
        "status": {OK: "passed", BLOCKED: "blocked", INVALID_CONFIG: "invalid", FAILED: "failed"}[status],
    }), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(comment + "\n")
    if refusal:
        return preflight.REFUSED, comment
    return (2 if status == INVALID_CONFIG else (0 if status == OK else 1)), comment
