"""The pull-request check of one environment: offline preview (plan + guardrails), and with cloud credentials the
real `pulumi preview --diff`; writes the comment for the environment and fails on a blocking result.

Writes <out>/<env>.md (the comment) and <out>/<env>.json (environment, pull request, commit, status) for the
job that posts comments, and appends the comment to the run summary. Exit: 0 ok · 1 blocked or the preview
failed · 2 invalid config · 78 with --cloud, a setup step is missing (gitops/preflight.py, checked before any
credential is used): the comment says which, and nothing was read from the cloud.

The origin-secret rotation order is checked against what is deployed (the stack's originSecretRotation output)
when the run can read the stack, else against the base branch; the comment says which. Before `pulumi preview`
runs, every secret value of the stack is masked in the log, and replaced in its output before that becomes the
comment; when the secrets cannot be read, the cloud preview does not run.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from . import deployed, preflight, pulumi_cli, rotation, stack_secrets
from .comment import render_comment
from .environments import read_stack_config
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for the comment and its metadata")
    parser.add_argument("--cloud", action="store_true", help="also run `pulumi preview --diff` (needs credentials)")
    parser.add_argument("--pr", type=int, default=int(os.environ.get("PR_NUMBER") or 0))
    parser.add_argument("--commit", default=os.environ.get("PR_HEAD_SHA", ""))
    parser.add_argument("--run-url", default=os.environ.get("RUN_URL", ""))
    parser.add_argument("--base", default=os.environ.get("BASE_SHA", ""),
                        help="the pull request's base commit: the rotation order is checked against it when what is "
                             "deployed cannot be read (without --cloud)")
    args = parser.parse_args(argv)

    refusal = preflight.refused(args.env, "the cloud preview", f"{args.env}-preview") if args.cloud else None
    if refusal:
        preflight.report(refusal)
    cloud_ready = args.cloud and not refusal
    offline = run_offline_preview(args.env)
    basis = ""
    if offline.plan is not None:
        before, basis = rotation_before(args.env, args.base, cloud_ready)
        if before is not None:
            stack_values = read_stack_config(args.env).values
            after = json.loads(stack_values[rotation.KEY]) if rotation.KEY in stack_values else {}
            offline.rotation_problem = rotation.transition_problem(before, after)
        if offline.rotation_problem and offline.status == OK:
            offline.status = BLOCKED
    cloud = None
    if refusal:
        cloud = pulumi_cli.CliRun(preflight.REFUSED, f"`pulumi preview` did not run: a setup step is missing.\n"
                                                     f"{refusal}")
    elif args.cloud and offline.status in (OK, BLOCKED):
        cloud = masked_cloud_preview(args.env)
    reason = "" if args.cloud else "a pull request from a fork, or no cloud credentials: the offline check only"
    comment = render_comment(offline, cloud, args.commit, args.run_url, reason, rotation_basis=basis)

    status = offline.status
    if status == OK and cloud is not None and cloud.status != 0:
        status = BLOCKED
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.env}.md").write_text(comment, encoding="utf-8")
    (args.out / f"{args.env}.json").write_text(json.dumps({
        "environment": args.env, "pull_request": args.pr, "commit": args.commit, "cloud": cloud is not None,
        "status": {OK: "passed", BLOCKED: "blocked", INVALID_CONFIG: "invalid", FAILED: "failed"}[status],
    }), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(comment + "\n")
    print(comment)
    if refusal:
        return preflight.REFUSED
    return 2 if status == INVALID_CONFIG else (0 if status == OK else 1)


if __name__ == "__main__":
    sys.exit(main())
