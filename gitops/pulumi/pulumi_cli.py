"""The Pulumi CLI commands the workflows run, built in one place: stack names, config and policy files, flags.

Every command whose output is kept (for a comment, an issue, a run summary) runs with --suppress-progress: without
it, a CLI that is not on a terminal prints "@ previewing update...." and a dot every 20 s the engine is quiet
(pulumi/pulumi sdk/go/common/util/cmdutil/spinner.go, dotSpinner), and the dots land in the kept text. Only
preview, up, refresh, destroy and import have the flag (3.259.0, pkg/cmd/pulumi/operations/*.go); the `stack`
commands print JSON without progress and refuse an unknown flag.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..stacks.environments import ENVIRONMENTS_DIR, POLICIES_DIR, PROGRAM_DIR, ROOT, policy_config_file, stack_file

# a line of the closing "Resources:" block: "    ~ 2 to update", "    +-1 to replace", "    = 1 to import"
# (pkg/backend/display/diff.go renderSummaryEvent; prefixes: pkg/resource/deploy/step.go RawPrefix)
SUMMARY_LINE = re.compile(r"^ {4}(?:[+~<>=-][ +<>=-]?)?(\d+) to ([a-z-]+)\s*$")
UNCHANGED = re.compile(r"(\d+) unchanged")
NO_PROGRESS = "--suppress-progress"

# The CLI's exit codes (3.259.0, pkg/cmd/pulumi/cmd/exit_codes.go ExitCodeFor: "part of the contract for automation
# ... stable once released"). What each means for this repository's commands:
EXIT_CODES = {
    0: "success",
    1: "an error (the program, a resource, a mandatory policy or the state backend failed: the output says which)",
    2: "an invalid invocation (flags or non-interactive input)",
    3: "no access to Pulumi Cloud (log in: PULUMI_ACCESS_TOKEN)",
    4: "a resource error",
    5: "a policy violation",
    6: "the stack does not exist (create it: the bootstrap, or `pulumi stack init`)",
    7: "changes, where --expect-no-changes expected none",
    8: "cancelled",
    9: "timed out",
    255: "an internal error of the Pulumi CLI",
}
EXPECTED_NO_CHANGES = 7
STACK_NOT_FOUND = 6


def exit_meaning(status: int) -> str:
    return EXIT_CODES.get(status, "an unknown exit code")


def pinned_pulumi() -> Path:
    """Where .github/actions/setup/install-pulumi.sh installs the pinned CLI: ${PULUMI_HOME:-~/.pulumi}/bin."""
    home = os.environ.get("PULUMI_HOME") or str(Path.home() / ".pulumi")
    return Path(home) / "bin" / "pulumi"


def find_pulumi() -> str | None:
    """The pinned CLI when it is installed, else whatever `pulumi` is on PATH. GitHub's Ubuntu image has a pulumi
    of its own in /usr/local/bin, first on PATH: the pinned one must win over it."""
    pinned = pinned_pulumi()
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return str(pinned)
    return shutil.which("pulumi")


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
    return [_pulumi(), "preview", "--diff", NO_PROGRESS, *_common(env), *_policies(env)]


def up_command(env: str) -> list[str]:
    return [_pulumi(), "up", "--yes", "--diff", NO_PROGRESS, *_common(env), *_policies(env)]


def drift_command(env: str) -> list[str]:
    """Exit 0: no drift; 7 (EXPECTED_NO_CHANGES): the code would change the refreshed stack; else a failure."""
    return [_pulumi(), "preview", "--refresh", "--expect-no-changes", "--diff", NO_PROGRESS, *_common(env)]


@dataclass
class CliRun:
    status: int
    output: str
    summary: dict[str, int] = field(default_factory=dict)  # create/update/replace/delete/unchanged → count

    @property
    def changes(self) -> int:
        return sum(v for k, v in self.summary.items() if k != "unchanged")


def change_summary(output: str) -> dict[str, int]:
    """The counts of the CLI's closing "Resources:" block, for people to read (decisions use the exit code)."""
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
