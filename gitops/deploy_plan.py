"""Prod's two steps around the approval: save the plan (`pulumi preview --save-plan`, with the guardrails) and
show its diff to the approver in the run summary; after approval, apply exactly that plan (`pulumi up --plan`).

Update plans are an experimental Pulumi feature: both commands run with PULUMI_EXPERIMENTAL=true (the `--plan`
flag of `pulumi up` is hidden without it). A saved plan holds the planned inputs of every resource; Pulumi
encrypts the values marked secret with the stack's secrets provider (they are plain text only with
--show-secrets, never used here), and `leaked_secrets` checks the file for any secret output in plain text
before it may leave the job.

Secret values come from `pulumi stack output --json --show-secrets`: every value shown as "[secret]" without
the flag. They are masked in the log (::add-mask::, before the preview streams) and replaced in the summary.
"""

import os
import re
from pathlib import Path

from . import pulumi_cli
from .pulumi_cli import CliRun

EXPERIMENTAL = "PULUMI_EXPERIMENTAL"
SECRET = "[secret]"  # how `pulumi stack output --json` shows a secret without --show-secrets
MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter leaves ("a", "1") would mask every occurrence of a letter, not a secret
SUMMARY_LIMIT = 400_000  # characters of preview output in the run summary (GitHub allows 1 MiB per step)


def enable_update_plans() -> None:
    os.environ[EXPERIMENTAL] = "true"


def save_plan_command(env: str, plan_file: Path) -> list[str]:
    # absolute: the CLI resolves paths after `--cwd program`
    return [*pulumi_cli.preview_command(env), "--save-plan", str(plan_file.resolve())]


def apply_plan_command(env: str, plan_file: Path) -> list[str]:
    return [*pulumi_cli.up_command(env), "--plan", str(plan_file.resolve())]


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is None else [value if isinstance(value, str) else str(value)]


def secret_values(plain, shown) -> list[str]:
    """The values `shown` (outputs with --show-secrets) holds where `plain` (without) says "[secret]", longest
    first; each multi-line value also line by line (GitHub masks a log line by line)."""
    found: set[str] = set()
    if plain == SECRET and shown != SECRET:
        for leaf in _leaves(shown):
            found.update(part for part in [leaf, *leaf.splitlines()] if len(part.strip()) >= MIN_SECRET_LENGTH)
    elif isinstance(plain, dict) and isinstance(shown, dict):
        for key, value in shown.items():
            found.update(secret_values(plain.get(key), value))
    elif isinstance(plain, list) and isinstance(shown, list):
        for plain_item, shown_item in zip(plain, shown, strict=False):
            found.update(secret_values(plain_item, shown_item))
    return sorted(found, key=lambda value: (-len(value), value))


def stack_secrets(stack: str) -> list[str] | None:
    """The stack's secret output values, or None when they cannot be read ([] for a stack with no outputs)."""
    plain = pulumi_cli.stack_outputs(stack)
    shown = pulumi_cli.stack_outputs(stack, show_secrets=True) if plain else {}
    if plain is None or shown is None:
        return None
    return secret_values(plain, shown)


def announce_masks(secrets: list[str]) -> None:
    """Ask the runner to hide each value from the log (only on GitHub Actions: elsewhere it would print them)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    lines = dict.fromkeys(line for value in secrets for line in value.splitlines() if line.strip())
    for line in lines:
        print(f"::add-mask::{line}", flush=True)


def mask(text: str, secrets: list[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def leaked_secrets(plan_file: Path, secrets: list[str]) -> int:
    """How many secret values the saved plan holds in plain text (0 is the only acceptable answer)."""
    text = plan_file.read_text(encoding="utf-8", errors="replace")
    return sum(value in text for value in secrets)


def _fenced(text: str) -> str:
    """A code block no backtick run inside the text can close."""
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"


def plan_summary(env: str, head: str, reason: str, preview: CliRun, secrets: list[str], saved: bool) -> str:
    """The run summary the approver reads: why, what, and the diff (secrets masked)."""
    output = mask(preview.output, secrets)
    if len(output) > SUMMARY_LIMIT:
        output = output[:SUMMARY_LIMIT] + f"\n… (cut at {SUMMARY_LIMIT} characters; the job's log has all of it)"
    counts = ", ".join(f"{count} to {kind}" for kind, count in preview.summary.items() if kind != "unchanged")
    if saved:
        title = f"## `{env}`: plan to approve ({counts or 'no changes'})"
        after = ("After approval the deploy job applies exactly this plan (`pulumi up --plan`); any other change "
                 "makes it fail.")
    else:
        title = f"## ❌ `{env}`: the preview failed (exit {preview.status}): no plan was saved"
        after = "Nothing will be deployed from this run."
    return (f"{title}\n\nCommit `{head}` · why a deploy: {reason}\n\n{after}\n\n<details open><summary>pulumi "
            f"preview --diff (secrets masked)</summary>\n\n{_fenced(output)}\n\n</details>\n")
