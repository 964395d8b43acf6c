"""Nightly drift check of one environment: `pulumi preview --refresh --expect-no-changes`.

Writes the drift summary (counts and the diff) to --details for the issue; exit 0 no drift, 1 drift or failure.
A refresh reads values back from the cloud, secrets among them: every secret value of the stack is masked in the
log before the check runs and replaced in the diff; when they cannot be read, the check does not run.
"""

import argparse
import sys
from pathlib import Path

from . import pulumi_cli, stack_secrets

DIFF_LIMIT = 50_000

def drift_report(env: str, run: pulumi_cli.CliRun) -> str:
    if run.status == 0:
        return f"No drift in `{env}`: the cloud matches the code."
    counts = " · ".join(f"{run.summary[k]} to {k}" for k in ("create", "update", "replace", "delete")
                        if run.summary.get(k))
    what = f"the cloud differs from the code ({counts})" if counts else "the drift check failed"
    output = run.output.strip()
    if len(output) > DIFF_LIMIT:
        output = output[:DIFF_LIMIT] + "\n… trimmed; the full output is in the workflow run's log."
    return f"In `{env}`, {what}. Review it, then either fix the code or re-deploy main.\n\n```diff\n{output}\n```\n"


def masked_drift_run(env: str) -> pulumi_cli.CliRun:
    return stack_secrets.masked_run(env, pulumi_cli.drift_command(env), "the drift check")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--details", type=Path, required=True)
    args = parser.parse_args(argv)
    run = masked_drift_run(args.env)
    args.details.write_text(drift_report(args.env, run), encoding="utf-8")
    return 0 if run.status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
