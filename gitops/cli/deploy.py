"""`python -m gitops.cli.deploy --env <env> [--all] [--plan-out FILE | --plan FILE] [--rollback]`: deploy one
environment (gitops/deploy/steps.py, whose text is the help)."""

import argparse
import sys
from pathlib import Path

from ..deploy import steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=steps.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--all", action="store_true", help="deploy even when nothing changed (a manual run)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--plan-out", type=Path, help="save the plan here instead of deploying (before approval)")
    mode.add_argument("--plan", type=Path, help="apply this approved plan (pulumi up --plan)")
    parser.add_argument("--rollback", action="store_true",
                        help="deploy even though this commit is older than what is deployed (by hand only)")
    args = parser.parse_args(argv)
    if args.plan and args.all:
        parser.error("--plan applies the plan that was approved; --all belongs to the run that saved it")
    return steps.deploy(args.env, everything=args.all, plan_out=args.plan_out, plan=args.plan, rollback=args.rollback)


if __name__ == "__main__":
    sys.exit(main())
