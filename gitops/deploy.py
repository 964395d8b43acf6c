"""Deploy one environment: `pulumi up` with the guardrails pack and the environment's policy config."""

import argparse
import sys

from . import pulumi_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", required=True)
    args = parser.parse_args(argv)
    return pulumi_cli.run(pulumi_cli.up_command(args.env)).status


if __name__ == "__main__":
    sys.exit(main())
