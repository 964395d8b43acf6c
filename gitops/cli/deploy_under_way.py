"""`python -m gitops.cli.deploy_under_way --env <env> [--since ISO-8601]`: is a deploy of the environment under way?
(gitops/github/deploys_under_way.py, whose text is the help.) Fails open: when GitHub cannot tell, a warning, and
the answer is no."""

import argparse
import os
import sys
from datetime import UTC, datetime

import requests

from ..github import deploys_under_way
from ..github.github_api import GitHub
from ..stacks import workflow_files


def main(argv: list[str] | None = None, github: GitHub | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitops.cli.deploy_under_way",
                                     description=deploys_under_way.__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--since", help="also count a deploy created at or after this time (ISO 8601, UTC)")
    args = parser.parse_args(argv)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        busy = deploys_under_way.deploy_under_way(github or GitHub(os.environ["GITHUB_REPOSITORY"]), args.env,
                                                  args.since)
    except (RuntimeError, requests.RequestException, KeyError) as error:
        print(f"::warning title=Deploys not checked::could not tell whether a deploy of {args.env} is under way "
              f"({error}); the smoke suite runs")
        busy = None
    if busy:
        what = "not judged: the smoke run overlapped it" if args.since else "the smoke suite does not run this hour"
        print(f"::notice title=Smoke of {args.env} skipped::{busy}; {what} (the deploy runs its own smoke suite)")
    workflow_files.append("GITHUB_OUTPUT", f"under-way={'true' if busy else 'false'}\nstarted={started}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
