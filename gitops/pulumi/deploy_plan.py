"""Prod's two steps around the approval: save the plan (`pulumi preview --save-plan`, with the guardrails) and
show its diff to the approver in the run summary; after approval, apply exactly that plan (`pulumi up --plan`).

Update plans are an experimental Pulumi feature: both commands run with PULUMI_EXPERIMENTAL=true (the `--plan`
flag of `pulumi up` is hidden without it). A saved plan holds the planned inputs and outputs of every resource and
the stack's config. Pulumi writes a value it knows to be secret as {<sig>: <secret sig>, "ciphertext": …},
encrypted with the stack's secrets provider, unless the preview ran with --show-secrets ("plaintext": …; never
used here): pulumi/pulumi pkg/cmd/pulumi/plan/plan.go Write → pkg/resource/stack/plan.go SerializePlan →
pkg/resource/stack/deployment.go SerializePropertyValue. `plain_text_secrets` checks a saved plan for both kinds
of plain text before it may leave the job.
"""

import json
import os
import re
from pathlib import Path

from . import pulumi_cli, stack_secrets
from .pulumi_cli import CliRun

EXPERIMENTAL = "PULUMI_EXPERIMENTAL"
SUMMARY_LIMIT = 400_000  # characters of preview output in the run summary (GitHub allows 1 MiB per step)


def enable_update_plans() -> None:
    os.environ[EXPERIMENTAL] = "true"


def save_plan_command(env: str, plan_file: Path) -> list[str]:
    # absolute: the CLI resolves paths after `--cwd program`
    return [*pulumi_cli.preview_command(env), "--save-plan", str(plan_file.resolve())]


def apply_plan_command(env: str, plan_file: Path) -> list[str]:
    return [*pulumi_cli.up_command(env), "--plan", str(plan_file.resolve())]


def output_secret_values(stack: str) -> list[str] | None:
    """The values of the stack's secret outputs (the keys it hands to the smoke suite), or None if unreadable."""
    public = pulumi_cli.stack_outputs(stack)
    shown = pulumi_cli.stack_outputs(stack, show_secrets=True) if public else {}
    if public is None or shown is None:
        return None
    return stack_secrets.output_secrets(public, shown)


def plain_text_secrets(plan_file: Path, values: list[str]) -> list[str]:
    """What in the saved plan is a secret in plain text: secrets Pulumi wrote decrypted, and any of `values` in
    any form. Empty is the only acceptable answer."""
    text = plan_file.read_text(encoding="utf-8", errors="replace")
    found = []
    decrypted = 0

    def walk(node) -> None:
        nonlocal decrypted
        if isinstance(node, dict):
            if node.get(stack_secrets.SIG_KEY) == stack_secrets.SECRET_SIG and "plaintext" in node:
                decrypted += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    try:
        walk(json.loads(text))
    except json.JSONDecodeError:
        found.append("the plan is not JSON, so its secrets cannot be checked")
    if decrypted:
        found.append(f"{decrypted} secret(s) written decrypted (\"plaintext\")")
    leaked = sum(any(form in text for form in stack_secrets.forms_of(value)) for value in values)
    if leaked:
        found.append(f"{leaked} secret output value(s) in plain text")
    return found


def _fenced(text: str) -> str:
    """A code block no backtick run inside the text can close."""
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}text\n{text}\n{fence}"


def plan_summary(env: str, head: str, reason: str, preview: CliRun, saved: bool) -> str:
    """The run summary the approver reads: why, what, and the diff (already scrubbed of secrets)."""
    output = preview.output
    if len(output) > SUMMARY_LIMIT:
        output = output[:SUMMARY_LIMIT] + f"\n… (cut at {SUMMARY_LIMIT} characters; the job's log has all of it)"
    counts = ", ".join(f"{count} to {kind}" for kind, count in preview.summary.items() if kind != "unchanged")
    if saved:
        title = f"## `{env}`: plan to approve ({counts or 'no changes'})"
        after = ("After approval the deploy job applies exactly this plan (`pulumi up --plan`); any other change "
                 "makes it fail.")
    else:
        title = f"## ❌ `{env}`: no plan was saved (exit {preview.status})"
        after = "Nothing will be deployed from this run."
    return (f"{title}\n\nCommit `{head}` · why a deploy: {reason}\n\n{after}\n\n<details open><summary>pulumi "
            f"preview --diff (secrets masked)</summary>\n\n{_fenced(output)}\n\n</details>\n")
