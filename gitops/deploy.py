"""Deploy one environment: `pulumi up` with the guardrails pack and the environment's policy config.

With --base (the revision deployed until now), first refuse an origin-secret change that would drop requests.
"""

import argparse
import json
import sys

from . import pulumi_cli, rotation
from .changes import NO_COMMIT
from .environments import read_stack_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--base", default="", help="the revision deployed until now (the push's `before`)")
    args = parser.parse_args(argv)
    if args.base and args.base != NO_COMMIT:
        values = read_stack_config(args.env).values
        after = json.loads(values[rotation.KEY]) if rotation.KEY in values else {}
        before = rotation.config_at(args.base, args.env)
        problem = rotation.transition_problem(before, after) if before is not None else None
        if problem:
            print(f"error: not deploying {args.env}: {problem}", file=sys.stderr)
            return 1
    return pulumi_cli.run(pulumi_cli.up_command(args.env)).status


if __name__ == "__main__":
    sys.exit(main())
