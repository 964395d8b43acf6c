"""`make smoke ENV=<env>` (`python -m gitops.cli.smoke --env <env> [pytest's arguments]`): the edge smoke suite
against a deployed environment (gitops/smoke_run/run.py, whose text is the help)."""

import argparse
import sys

from ..smoke_run import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make smoke", description=run.__doc__)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--stack", help="Pulumi stack name (default: PULUMI_STACK_PREFIX + the environment name)")
    parser.add_argument("--heartbeat", action="store_true",
                        help="after the suite, publish the SmokeHeartbeat metric (1 passed, 0 failed; AWS credentials)")
    args, extra = parser.parse_known_args(argv)
    return run.run_suite(args.env, args.stack, extra, publish_heartbeat_after=args.heartbeat)


if __name__ == "__main__":
    sys.exit(main())
