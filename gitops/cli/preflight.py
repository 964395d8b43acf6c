"""`python -m gitops.cli.preflight --env <env> [--github-environment <name>]`: is the environment set up for a cloud
run? (gitops/stacks/preflight.py, whose text is the help.)"""

import argparse
import sys

from ..stacks import preflight


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=preflight.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--github-environment", help="the job's GitHub environment (default: the environment)")
    args = parser.parse_args(argv)
    message = preflight.refused(args.env, "a cloud run", args.github_environment)
    if message:
        preflight.report(message)
        return preflight.REFUSED
    print(f"{args.env}: set up (environment folder, state backend, secrets provider, AWS role and region)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
