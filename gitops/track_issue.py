"""Keep one issue per environment and kind of trouble: a failing scheduled smoke run, or drift.

A failure opens the issue (or adds the new failure to it); a later success closes it. A cancelled or skipped
check (GitHub's step outcomes) proves nothing either way: it neither opens nor closes an issue, and says so.
"""

import argparse
import os
import sys
from pathlib import Path

from .github_api import GitHub

TITLES = {"smoke": "Edge smoke failing: {env}", "drift": "Drift between code and cloud: {env}"}
LABELS = {"smoke": "ml-edge:smoke", "drift": "ml-edge:drift"}
DETAIL_LIMIT = 60_000
OUTCOMES = ("success", "failure", "cancelled", "skipped")  # a step's outcome in GitHub Actions


def report(github: GitHub, kind: str, env: str, failed: bool, details: str, run_url: str) -> str:
    title, label = TITLES[kind].format(env=env), LABELS[kind]
    link = f" ([run]({run_url}))" if run_url else ""
    if failed:
        body = f"**{title}**{link}\n\n{details.strip()[:DETAIL_LIMIT] or '(no details captured)'}\n"
        return github.report_failure(title, label, body)
    return github.report_recovery(title, label, f"Passed again{link}; closing.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=sorted(TITLES), required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--outcome", choices=OUTCOMES, required=True)
    parser.add_argument("--details", type=Path, help="Markdown with what failed (a smoke table, a drift diff)")
    parser.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY", ""))
    parser.add_argument("--run-url", default=os.environ.get("RUN_URL", ""))
    args = parser.parse_args(argv)
    if args.outcome not in ("success", "failure"):
        print(f"the {args.kind} check of {args.env} was {args.outcome}: no issue opened or closed")
        return 0
    details = args.details.read_text(encoding="utf-8") if args.details and args.details.is_file() else ""
    print(report(GitHub(args.repo), args.kind, args.env, args.outcome == "failure", details, args.run_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
