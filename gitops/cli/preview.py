"""`make preview ENV=<env>`: plan an environment offline, evaluate the guardrails on the plan, print both.

Exit status: 0 no mandatory violation · 1 a mandatory policy is violated · 2 the environment's config (stack
config or policy.json) is invalid, or the environment does not exist · 3 the program or the policy pack failed
(a bug: the traceback is printed).
"""

import argparse
import os
import sys
import time
from pathlib import Path

from ..planning.render import mask, render_plan
from ..policy.render_policies import render_policies
from ..preview.offline import FAILED, INVALID_CONFIG, run_offline_preview
from ..stacks.environments import ENVIRONMENTS_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make preview", description=__doc__)
    parser.add_argument("--env", default="dev", help="environment folder name (default: dev)")
    parser.add_argument("--environments-dir", type=Path, default=ENVIRONMENTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"planning {args.env} offline (Pulumi mock runtime, no AWS credentials) and starting the policy pack…",
          file=sys.stderr)
    result = run_offline_preview(args.env, args.environments_dir)
    if result.status in (INVALID_CONFIG, FAILED):
        print(result.error.rstrip("\n"), file=sys.stderr)
        if result.status == FAILED:
            print("error: planning or policy evaluation failed (a bug, not a config problem)", file=sys.stderr)
        else:
            print("error: the environment's config is invalid (see above)", file=sys.stderr)
        return result.status
    print(render_plan(result.plan))
    print()
    print(mask(render_policies(result.report), result.plan))
    print(f"\npreview took {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return result.status


def run() -> None:
    """Entry point: exit without tearing down the interpreter. Freeing the AWS SDK's thousands of generated
    classes one by one takes longer than some previews; nothing is left to flush or close at this point."""
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()
