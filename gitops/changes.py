"""Which environments a change touches.

environments/<env>/…                                         → that environment
program/, policies/, gitops/, .github/actions/, the deploy workflows
(.github/workflows/deploy*), Makefile, requirements*            → every environment (what a deploy runs)
anything else (docs, tests, other workflows, smoke, tools)     → none
Environments come out in deploy order: dev, staging, prod, then any others alphabetically.

`--base/--head` compares a pull request with its base (the changes the branch adds); the deploy asks
`changed_since(deployed, head)` instead (the tree deployed against the tree about to be deployed).
"""

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from .environments import ROOT, environment_names

DEPLOY_ORDER = ["dev", "staging", "prod"]
# The environments a pull request may preview in the cloud (each has a `<env>-preview` GitHub environment and
# role, tools/bootstrap). Never prod: whoever can preview a stack can decrypt its state, so read its secrets.
CLOUD_PREVIEW_ENVIRONMENTS = ("dev", "staging")
NO_COMMIT = "0" * 40  # what GitHub sends as `before` for a new branch
# Everything that changes what a deploy runs (the program, its guardrails, the code that runs pulumi, the job's
# setup and its dependencies) previews and deploys every environment.
SHARED = ("program/", "policies/", "gitops/", ".github/actions/", ".github/workflows/deploy", "Makefile",
          "requirements")


class GitDiffFailed(RuntimeError):
    pass


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


def _diff_names(revisions: str, repo: Path) -> list[str]:
    """`git diff -z --name-only`: names end with NUL and are never quoted, so a name with a newline, a quote or a
    non-ASCII character comes out as it is (without -z git quotes it, "environments/prod/\\303\\274.txt", and a
    prefix test would skip it). Renames count as a delete plus an add: both sides are touched."""
    result = subprocess.run(["git", "diff", "-z", "--name-only", "--no-renames", revisions, "--"], cwd=repo,
                            capture_output=True)
    if result.returncode != 0:
        raise GitDiffFailed(f"git diff {revisions} failed: {os.fsdecode(result.stderr).strip()[:300]}")
    return [os.fsdecode(name) for name in result.stdout.split(b"\0") if name]


def changed_paths(base: str, head: str, repo: Path = ROOT) -> list[str]:
    """What a branch changes: from the merge base of base and head to head (`base...head`)."""
    return _diff_names(f"{base}...{head}", repo)


def changed_since(deployed: str, head: str, repo: Path = ROOT) -> list[str]:
    """Every path whose content differs between the deployed commit and head (`deployed..head`, tree against tree:
    also right when the deployed commit is not an ancestor of head, e.g. a deploy by hand from a branch)."""
    return _diff_names(f"{deployed}..{head}", repo)


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
            cloud = [env for env in environments if env in CLOUD_PREVIEW_ENVIRONMENTS]
            handle.write(f"environments={json.dumps(environments)}\nany={'true' if environments else 'false'}\n"
                         f"cloud-environments={json.dumps(cloud)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
