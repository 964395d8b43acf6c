"""What is deployed, as the stack's own record tells it (not what the base branch or the push's `before` says):
the commit of the last successful `pulumi up`, the updates attempted after it that did not succeed, and the
origin-secret rotation settings of the last deploy (the `originSecretRotation` output).

Reading needs the Pulumi CLI logged in to the state backend with read access to the stack; None when it cannot
tell (no CLI, no such stack, no access)."""

import json
import subprocess
import sys
from dataclasses import dataclass, field

from ..stacks import program_path  # noqa: F401  (makes the program's ml_edge package importable)
from ..stacks.environments import PROGRAM_DIR
from .pulumi_cli import find_pulumi, stack_outputs

# isort: split

from ml_edge.outputs import ROTATION_OUTPUT  # no Pulumi SDK to load for one name

PAGE_SIZE = 25  # `pulumi stack history` returns 10 entries unless asked; read pages until the last success
MAX_PAGES = 40


@dataclass(frozen=True)
class Update:
    """One `pulumi up` as `pulumi stack history --json` records it (Pulumi notes the checkout's HEAD as
    `git.head`, and `git.dirty` when the work tree had changes)."""
    result: str  # succeeded, failed, in-progress, not-started
    commit: str | None
    dirty: bool

    @classmethod
    def from_entry(cls, entry: dict) -> "Update":
        environment = entry.get("environment") or {}
        return cls(entry.get("result", ""), environment.get("git.head") or None,
                   environment.get("git.dirty") == "true")


@dataclass(frozen=True)
class Record:
    """The stack's history read back to its last successful update (or to its beginning)."""
    last_success: Update | None  # None: never deployed, or destroyed since
    attempts_since: list[Update] = field(default_factory=list)  # updates after it that did not succeed, newest first
    destroyed: bool = False  # the newest successful operation was a `pulumi destroy`


def read_record(entries: list[dict]) -> Record:
    attempts: list[Update] = []
    for entry in entries:  # newest first
        kind, result = entry.get("kind"), entry.get("result")
        if kind == "destroy" and result == "succeeded":
            return Record(None, attempts, destroyed=True)
        if kind != "update":
            continue  # refresh, import, rename, preview: no program deployed
        update = Update.from_entry(entry)
        if result == "succeeded":
            return Record(update, attempts)
        attempts.append(update)  # failed, cancelled (in-progress), not started: may have changed resources
    return Record(None, attempts)


def history(stack: str, page_size: int = PAGE_SIZE) -> list[dict] | None:
    """`pulumi stack history --json` (newest first), paged until it holds the last successful update or a
    destroy (or the whole history), or None when the CLI cannot tell."""
    pulumi = find_pulumi()
    if pulumi is None:
        print("no pulumi CLI: the stack's history cannot be read", file=sys.stderr)
        return None
    entries: list[dict] = []
    for page in range(1, MAX_PAGES + 1):
        command = [pulumi, "stack", "history", "--json", "--stack", stack, "--page-size", str(page_size),
                   "--page", str(page)]
        result = subprocess.run(command, cwd=PROGRAM_DIR, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            print(f"pulumi stack history --stack {stack} failed: {result.stderr.strip()[:300]}", file=sys.stderr)
            return None
        try:
            batch = json.loads(result.stdout or "[]") or []
        except json.JSONDecodeError as error:
            print(f"pulumi stack history --stack {stack}: not JSON ({error})", file=sys.stderr)
            return None
        entries += batch
        record = read_record(entries)
        if len(batch) < page_size or record.last_success is not None or record.destroyed:
            break
    return entries


def last_deployed_commit(entries: list[dict]) -> str | None:
    """The git commit of the newest successful update (None: never deployed, destroyed since, or not recorded)."""
    last = read_record(entries).last_success
    return last.commit if last else None


def deployed_rotation(stack: str) -> dict | None:
    """The originSecret settings ({send, accept, generation}) of what is deployed, or None when unknown (the
    outputs cannot be read, or the stack was last deployed before the output existed)."""
    outputs = stack_outputs(stack)
    return None if outputs is None else outputs.get(ROTATION_OUTPUT)
