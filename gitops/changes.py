"""Which environments a change touches.

environments/<env>/…                          → that environment
program/…, policies/…, requirements.txt      → every environment (the shared program or its guardrails)
anything else (docs, tests, workflows, smoke) → none
Environments come out in deploy order: dev, staging, prod, then any others alphabetically.
"""

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable

from .environments import ROOT, environment_names

DEPLOY_ORDER = ["dev", "staging", "prod"]
NO_COMMIT = "0" * 40  # what GitHub sends as `before` for a new branch
SHARED = ("program/", "policies/", "requirements.txt")


def in_deploy_order(environments: Iterable[str]) -> list[str]:
    unique = set(environments)
    return [e for e in DEPLOY_ORDER if e in unique] + sorted(unique - set(DEPLOY_ORDER))


def touched_environments(paths: Iterable[str], known: Iterable[str]) -> list[str]:
    touched: set[str] = set()
    for path in paths:
        if path.startswith(SHARED):
            return in_deploy_order(known)
        parts = path.split("/")
        if len(parts) >= 3 and parts[0] == "environments":
            touched.add(parts[1])  # a known environment, or one this change adds
    return in_deploy_order(touched)


def changed_paths(base: str, head: str) -> list[str]:
    result = subprocess.run(["git", "diff", "--name-only", "--no-renames", f"{base}...{head}"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return [line for line in result.stdout.splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="the commit the change starts from")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--all", action="store_true", help="every environment (a manual run)")
    args = parser.parse_args(argv)
    known = environment_names()
    if args.all or not args.base or args.base == NO_COMMIT:
        environments = in_deploy_order(known)
    else:
        environments = touched_environments(changed_paths(args.base, args.head), known)
    print(json.dumps(environments))
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"environments={json.dumps(environments)}\nany={'true' if environments else 'false'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
