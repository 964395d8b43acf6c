"""`python -m gitops.cli.post_comments --dir <artefacts>`: post the pull-request comments of a preview run
(gitops/github/poster.py, whose text is the help). Runs with a write token: imports nothing of the planning
machinery (tests/test_layers.py)."""

import argparse
import os
import sys
from pathlib import Path

from ..github import poster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=poster.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, required=True,
                        help="the downloaded artefacts: comment-offline-<env>/ and comment-cloud-<env>/ folders")
    parser.add_argument("--event", type=Path, default=os.environ.get("GITHUB_EVENT_PATH"),
                        help="the workflow_run event (default: GITHUB_EVENT_PATH)")
    parser.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY", ""))
    args = parser.parse_args(argv)
    try:
        for line in poster.post_artifacts(args.dir, args.event, args.repo):
            print(line)
    except poster.Refused as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
