"""`python -m gitops.cli.pr_preview --env <env> --out <folder> [--cloud]`: the pull-request check of one environment
(gitops/preview/pull_request.py, whose text is the help). Prints the comment."""

import argparse
import os
import sys
from pathlib import Path

from ..preview import pull_request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=pull_request.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
    status, comment = pull_request.check(args.env, args.out, args.cloud, args.pr, args.commit, args.run_url, args.base)
    print(comment)
    return status


if __name__ == "__main__":
    sys.exit(main())
