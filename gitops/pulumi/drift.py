"""Nightly drift check of one environment: `pulumi preview --refresh --expect-no-changes`.

Decided by the CLI's exit code, not by reading its output (pulumi/pulumi pkg/cmd/pulumi/cmd/exit_codes.go): 0 no
drift; 7 drift: after reading the cloud back, the code would change something (`NoChangesExpectedError`); any
other code means the check itself failed, and the report says what the code means (6: no such stack, 3: no access
to Pulumi Cloud, 1: the program, a provider or the backend failed, …) instead of calling it drift.

Writes the report (what happened, and the CLI's output) to --details for the issue. Exit: 0 no drift · 1 drift, or
the check failed · 78 a setup step is missing (gitops/stacks/preflight.py, checked before any credential is used; the
report names it). A refresh reads values back from the cloud, secrets among them: every secret value of the stack
is masked in the log before the check runs and replaced in the diff; when they cannot be read, the check does not
run.
"""

from pathlib import Path

from ..stacks import preflight
from . import pulumi_cli, stack_secrets

DIFF_LIMIT = 50_000


def _output(run: pulumi_cli.CliRun) -> str:
    output = run.output.strip()
    if len(output) > DIFF_LIMIT:
        output = output[:DIFF_LIMIT] + "\n… trimmed; the full output is in the workflow run's log."
    return output


def drift_report(env: str, run: pulumi_cli.CliRun) -> str:
    if run.status == 0:
        return f"No drift in `{env}`: the cloud matches the code."
    if run.status == pulumi_cli.EXPECTED_NO_CHANGES:
        counts = " · ".join(f"{count} to {kind}" for kind, count in run.summary.items() if kind != "unchanged")
        what = f"the cloud differs from the code{f' ({counts})' if counts else ''}"
        return (f"In `{env}`, {what}. Review it, then either fix the code or re-deploy main.\n\n```diff\n"
                f"{_output(run)}\n```\n")
    meaning = pulumi_cli.exit_meaning(run.status)
    return (f"The drift check of `{env}` failed (exit {run.status}: {meaning}); whether the cloud drifted is "
            f"unknown.\n\n```text\n{_output(run)}\n```\n")


def masked_drift_run(env: str) -> pulumi_cli.CliRun:
    return stack_secrets.masked_run(env, pulumi_cli.drift_command(env), "the drift check")


def check(env: str, details: Path) -> int:
    """The drift check of one environment, its report written to `details`. Exit status (see above)."""
    refusal = preflight.refused(env, "the drift check", f"{env}-observe")
    if refusal:
        preflight.report(refusal)
        details.write_text(f"The drift check of `{env}` did not run: a setup step is missing.\n\n"
                           f"```text\n{refusal}\n```\n", encoding="utf-8")
        return preflight.REFUSED
    run = masked_drift_run(env)
    details.write_text(drift_report(env, run), encoding="utf-8")
    return 0 if run.status == 0 else 1
