"""The pull-request check of one environment: offline preview (plan + guardrails), and with cloud credentials the
real `pulumi preview --diff`; writes the comment for the environment and fails on a blocking result.

Writes <out>/<env>.md (the comment) and <out>/<env>.json (environment, pull request, commit, status) for the
job that posts comments, and appends the comment to the run summary. Exit: 0 ok · 1 blocked or the preview
failed · 2 invalid config.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from . import pulumi_cli, rotation
from .comment import render_comment
from .environments import read_stack_config
from .offline import BLOCKED, FAILED, INVALID_CONFIG, OK, run_offline_preview


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for the comment and its metadata")
    parser.add_argument("--cloud", action="store_true", help="also run `pulumi preview --diff` (needs credentials)")
    parser.add_argument("--pr", type=int, default=int(os.environ.get("PR_NUMBER") or 0))
    parser.add_argument("--commit", default=os.environ.get("PR_HEAD_SHA", ""))
    parser.add_argument("--run-url", default=os.environ.get("RUN_URL", ""))
    parser.add_argument("--base", default=os.environ.get("BASE_SHA", ""),
                        help="the deployed revision (the pull request's base), to check the secret rotation order")
    args = parser.parse_args(argv)

    offline = run_offline_preview(args.env)
    if args.base and offline.plan is not None:
        stack_values = read_stack_config(args.env).values
        after = json.loads(stack_values[rotation.KEY]) if rotation.KEY in stack_values else {}
        before = rotation.config_at(args.base, args.env)
        offline.rotation_problem = rotation.transition_problem(before, after) if before is not None else None
        if offline.rotation_problem and offline.status == OK:
            offline.status = BLOCKED
    cloud = None
    if args.cloud and offline.status in (OK, BLOCKED):
        cloud = pulumi_cli.run(pulumi_cli.preview_command(args.env))
    reason = "" if args.cloud else "a pull request from a fork, or no cloud credentials: the offline check only"
    comment = render_comment(offline, cloud, args.commit, args.run_url, reason)

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
    return 2 if status == INVALID_CONFIG else (0 if status == OK else 1)


if __name__ == "__main__":
    sys.exit(main())
