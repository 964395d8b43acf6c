"""`python -m gitops.cli.changes --base <commit> --head <commit>` (or `--all`): the environments a change touches, as
JSON on stdout and as the step's outputs (environments, any, cloud-environments) in $GITHUB_OUTPUT."""

import argparse
import json
import sys

from ..stacks import changes, workflow_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=changes.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="the commit the change starts from")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--all", action="store_true", help="every environment (a manual run)")
    args = parser.parse_args(argv)
    environments = changes.environments_touched(args.base, args.head, everything=args.all)
    print(json.dumps(environments))
    cloud = [env for env in environments if env in changes.CLOUD_PREVIEW_ENVIRONMENTS]
    workflow_files.append("GITHUB_OUTPUT", f"environments={json.dumps(environments)}\n"
                          f"any={'true' if environments else 'false'}\ncloud-environments={json.dumps(cloud)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
