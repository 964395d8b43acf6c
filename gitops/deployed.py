"""What is deployed, as the stack's own record tells it (not what the base branch says): the commit of the last
successful `pulumi up`, and the origin-secret rotation settings of that deploy (the `originSecretRotation` output).

Both need the Pulumi CLI logged in to the state backend with read access to the stack; None when it cannot tell
(no CLI, no stack yet, never deployed)."""

import json
import subprocess
import sys

from .environments import PROGRAM_DIR
from .pulumi_cli import find_pulumi, stack_outputs

ROTATION_OUTPUT = "originSecretRotation"  # exported by program/ml_edge/stack.py


def history(stack: str) -> list[dict] | None:
    """`pulumi stack history --json` (newest first), or None when the CLI cannot tell."""
    pulumi = find_pulumi()
    if pulumi is None:
        return None
    result = subprocess.run([pulumi, "stack", "history", "--json", "--stack", stack], cwd=PROGRAM_DIR,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        print(f"pulumi stack history --stack {stack} failed: {result.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return json.loads(result.stdout or "[]")


def last_deployed_commit(entries: list[dict]) -> str | None:
    """The git commit of the newest successful update (Pulumi records the checkout's HEAD as `git.head`)."""
    for entry in entries:
        if entry.get("kind") == "update" and entry.get("result") == "succeeded":
            return (entry.get("environment") or {}).get("git.head")
    return None


def deployed_rotation(stack: str) -> dict | None:
    """The originSecret settings ({send, accept, generation}) of what is deployed, or None when unknown."""
    outputs = stack_outputs(stack)
    return None if outputs is None else outputs.get(ROTATION_OUTPUT)
