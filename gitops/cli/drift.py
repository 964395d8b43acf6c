"""`python -m gitops.cli.drift --env <env> --details <file>`: the nightly drift check of one environment
(gitops/pulumi/drift.py, whose text is the help)."""

import argparse
import sys
from pathlib import Path

from ..pulumi import drift


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=drift.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--details", type=Path, required=True)
    args = parser.parse_args(argv)
    return drift.check(args.env, args.details)


if __name__ == "__main__":
    sys.exit(main())
