"""Does an environment need a deploy? Yes when anything it deploys (its folder, or a shared path: see
gitops/stacks/changes.py) differs between the commit of the stack's last successful `pulumi up` and the commit about to
be deployed. The stack's own history says what is deployed, so a deploy that was rejected, failed or cancelled
is not forgotten: the next run still sees the change. When that cannot be told, deploy (and say why)."""

import json
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..pulumi.deployed import read_record
from ..stacks.changes import GitDiffFailed, changed_since, touched_environments
from ..stacks.environments import ROOT, environment_names

SHOWN_PATHS = 5


@dataclass(frozen=True)
class Decision:
    deploy: bool
    reason: str
    deployed_commit: str | None = None  # of the last successful update, when known


def _short(commit: str) -> str:
    return commit[:12]


def decide(env: str, entries: list[dict] | None, *, everything: bool = False, head: str = "HEAD",
           repo: Path = ROOT, known: Iterable[str] | None = None) -> Decision:
    if everything:
        return Decision(True, "--all: a manual run deploys every environment")
    if entries is None:
        return Decision(True, f"the history of {env}'s stack could not be read, so whether anything changed since "
                              f"its last deploy is unknown: deploying")
    record = read_record(entries)
    last = record.last_success
    if last is None:
        return Decision(True, f"{env} was destroyed since its last deploy" if record.destroyed
                        else f"{env} has never been deployed successfully")
    if record.attempts_since:
        failed = record.attempts_since[0]
        return Decision(True, f"an update of {env} after its last successful deploy did not succeed "
                              f"({failed.result or 'no result'}, commit {_short(failed.commit or '?')}): the stack "
                              f"may hold part of it", last.commit)
    if not last.commit:
        return Decision(True, f"the last successful deploy of {env} recorded no git commit: what it deployed is "
                              f"unknown")
    if last.dirty:
        return Decision(True, f"the last successful deploy of {env} ({_short(last.commit)}) ran from a work tree "
                              f"with uncommitted changes: what it deployed is unknown", last.commit)
    try:
        paths = changed_since(last.commit, head, repo)
    except GitDiffFailed as error:
        return Decision(True, f"the last deployed commit of {env} ({_short(last.commit)}) cannot be compared with "
                              f"this one ({error}): deploying", last.commit)
    names = {env, *(environment_names() if known is None else known)}
    touched = [path for path in paths if env in touched_environments([path], names)]
    if not touched:
        return Decision(False, f"nothing {env} deploys changed since its last successful deploy "
                               f"({_short(last.commit)})", last.commit)
    shown = ", ".join(json.dumps(p, ensure_ascii=False) for p in touched[:SHOWN_PATHS])
    more = f" and {len(touched) - SHOWN_PATHS} more" if len(touched) > SHOWN_PATHS else ""
    return Decision(True, f"{env} is touched since its last successful deploy ({_short(last.commit)}): "
                          f"{shown}{more}", last.commit)


def older_than_deployed(entries: list[dict] | None, head: str = "HEAD", repo: Path = ROOT) -> str | None:
    """The commit the stack last deployed when `head` is strictly older (an ancestor of it): a re-run of an old
    workflow run, which would roll the environment back without anyone deciding to. None otherwise."""
    last = read_record(entries).last_success if entries else None
    if last is None or not last.commit:
        return None

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)

    this = git("rev-parse", "--verify", f"{head}^{{commit}}").stdout.strip()
    if not this or this == last.commit:
        return None
    return last.commit if git("merge-base", "--is-ancestor", this, last.commit).returncode == 0 else None
