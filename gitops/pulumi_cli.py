"""The Pulumi CLI commands the workflows run, built in one place: stack names, config and policy files, flags."""

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .environments import ENVIRONMENTS_DIR, PROGRAM_DIR, ROOT, policy_config_file, stack_file

POLICIES_DIR = ROOT / "policies"
SUMMARY_LINE = re.compile(r"^\s*(?:\+-|-\+|[+~-])?\s*(\d+) to (create|update|replace|delete)\s*$")
UNCHANGED = re.compile(r"(\d+) unchanged")


def find_pulumi() -> str | None:
    """The CLI on PATH, or where its installer puts it (~/.pulumi/bin) without touching PATH."""
    installed = Path.home() / ".pulumi" / "bin" / "pulumi"
    return shutil.which("pulumi") or (str(installed) if installed.is_file() else None)


def stack_name(env: str) -> str:
    """`<env>` on a self-managed backend; PULUMI_STACK_PREFIX (e.g. `acme/ml-edge/`) for Pulumi Cloud."""
    return f"{os.environ.get('PULUMI_STACK_PREFIX', '')}{env}"


def _common(env: str) -> list[str]:
    return ["--cwd", str(PROGRAM_DIR), "--stack", stack_name(env),
            "--config-file", str(stack_file(env, ENVIRONMENTS_DIR)), "--non-interactive", "--color", "never"]


def _policies(env: str) -> list[str]:
    return ["--policy-pack", str(POLICIES_DIR), "--policy-pack-config", str(policy_config_file(env))]


def _pulumi() -> str:
    return find_pulumi() or "pulumi"


def preview_command(env: str) -> list[str]:
    return [_pulumi(), "preview", "--diff", *_common(env), *_policies(env)]


def up_command(env: str) -> list[str]:
    return [_pulumi(), "up", "--yes", "--diff", *_common(env), *_policies(env)]


def drift_command(env: str) -> list[str]:
    return [_pulumi(), "preview", "--refresh", "--expect-no-changes", "--diff", *_common(env)]


@dataclass
class CliRun:
    status: int
    output: str
    summary: dict[str, int] = field(default_factory=dict)  # create/update/replace/delete/unchanged → count

    @property
    def changes(self) -> int:
        return sum(v for k, v in self.summary.items() if k != "unchanged")


def change_summary(output: str) -> dict[str, int]:
    """The counts of the CLI's closing "Resources:" block."""
    summary: dict[str, int] = {}
    lines = output.splitlines()
    start = max((i for i, line in enumerate(lines) if line.strip() == "Resources:"), default=None)
    if start is None:
        return summary
    for line in lines[start + 1:]:
        match = SUMMARY_LINE.match(line)
        if match:
            summary[match.group(2)] = int(match.group(1))
        elif UNCHANGED.search(line):
            summary["unchanged"] = int(UNCHANGED.search(line).group(1))
        elif line.strip() and not line.startswith(" "):
            break
    return summary


def run(command: list[str]) -> CliRun:
    """Run a CLI command, streaming its output to the log while keeping it for the comment or the issue."""
    print("$ " + " ".join(command), flush=True)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    status = process.wait()
    output = "".join(lines)
    return CliRun(status, output, change_summary(output))


def stack_outputs(stack: str, show_secrets: bool = False) -> dict | None:
    """The stack's outputs, or None when the Pulumi CLI is missing or cannot tell. Secrets stay in memory."""
    pulumi = find_pulumi()
    if pulumi is None:
        return None
    command = [pulumi, "stack", "output", "--json", "--stack", stack] + (["--show-secrets"] if show_secrets else [])
    result = subprocess.run(command, cwd=PROGRAM_DIR, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        print(f"pulumi stack output --stack {stack} failed: {result.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return json.loads(result.stdout or "{}")
