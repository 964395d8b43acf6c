"""Which environments a change touches.

environments/<env>/…                                         → that environment
program/, policies/, gitops/, .github/actions/, the deploy workflows
(.github/workflows/deploy*), Makefile, requirements*            → every environment (what a deploy runs)
anything else (docs, tests, other workflows, smoke, tools)     → none
Environments come out in deploy order: dev, staging, prod, then any others alphabetically.

`--base/--head` compares a pull request with its base (the changes the branch adds); the deploy asks
`changed_since(deployed, head)` instead (the tree deployed against the tree about to be deployed).
"""

import os
import subprocess
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


def environments_touched(base: str | None, head: str = "HEAD", everything: bool = False) -> list[str]:
    """The environments a change from base to head touches, in deploy order; all of them for a manual run
    (everything) or when there is no base to compare with (a new branch)."""
    known = environment_names()
    if everything or not base or base == NO_COMMIT:
        return in_deploy_order(known)
    return touched_environments(changed_paths(base, head), known)
