"""`python -m gitops.cli.track_issue --kind smoke|drift --env <env> --outcome <step outcome>`: keep the issue of a
scheduled check (gitops/github/issues.py, whose text is the help)."""

import argparse
import os
import sys
from pathlib import Path

from ..github import issues


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=issues.__doc__)
    parser.add_argument("--kind", choices=sorted(issues.TITLES), required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--outcome", choices=issues.OUTCOMES, required=True)
    parser.add_argument("--details", type=Path, help="Markdown with what failed (a smoke table, a drift diff)")
    parser.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY", ""))
    parser.add_argument("--run-url", default=os.environ.get("RUN_URL", ""))
    args = parser.parse_args(argv)
    print(issues.track(args.repo, args.kind, args.env, args.outcome, args.details, args.run_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
