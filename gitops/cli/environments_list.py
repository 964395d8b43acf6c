"""`python -m gitops.cli.environments_list`: the configured environments, in deploy order (gitops/stacks/configured.py,
whose text is the help)."""

import argparse
import json
import os
import sys
from pathlib import Path

from ..stacks import configured, preflight, workflow_files
from ..stacks.environments import ENVIRONMENTS_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=configured.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--environments-dir", type=Path, default=ENVIRONMENTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    environments, problems = configured.configured_environments(args.environments_dir, os.environ)
    if problems:
        for env, found in problems.items():
            for missing in found:
                print(f"error: environment {env}: {missing.what}.\n  To do: {missing.fix}.", file=sys.stderr)
                if os.environ.get("GITHUB_ACTIONS") == "true":
                    print(f"::error title=environment {env} is not set up::{missing.what}")
        print(f"not listing the environments: {', '.join(problems)} not set up ({preflight.FIRST_DEPLOY}, and "
              "tools/bootstrap.sh for a new environment)", file=sys.stderr)
        return configured.INCOMPLETE
    listed = json.dumps(environments, separators=(",", ":"))
    print(listed)
    workflow_files.append("GITHUB_OUTPUT", f"environments={listed}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
