"""`python -m gitops.cli.bootstrap_inputs --env <env>`: what tools/bootstrap.sh needs from the environment's stack
file, as `key value…` lines (gitops/stacks/bootstrap_inputs.py, whose text is the help)."""

import argparse
import sys
from pathlib import Path

from ..stacks import bootstrap_inputs
from ..stacks.environments import ENVIRONMENTS_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=bootstrap_inputs.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--environments-dir", type=Path, default=ENVIRONMENTS_DIR,
                        help="the folder of the environment folders (default: this checkout's environments/)")
    args = parser.parse_args(argv)
    try:
        inputs = bootstrap_inputs.read_inputs(args.env, args.environments_dir)
    except bootstrap_inputs.UnusableStackFile as error:
        print(error, file=sys.stderr)
        return bootstrap_inputs.UNUSABLE
    print("\n".join(inputs.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
