"""`make preview ENV=<env>`: plan an environment offline, evaluate the guardrails on the plan, print both.

Exit status: 0 no mandatory violation · 1 a mandatory policy is violated · 2 the environment's config (stack
config or policy.json) is invalid, or the environment does not exist · 3 the program or the policy pack failed
(a bug: the traceback is printed).
"""

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

from .environments import ENVIRONMENTS_DIR, EnvironmentNotFound, policy_config_file, stack_file
from .plan import InvalidStackConfig, plan_environment
from .policy_check import PolicyConfigError, PolicyPackProcess, evaluate
from .render import mask, render_plan
from .render_policies import render_policies

OK, BLOCKED, INVALID_CONFIG, FAILED = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make preview", description=__doc__)
    parser.add_argument("--env", default="dev", help="environment folder name (default: dev)")
    parser.add_argument("--environments-dir", type=Path, default=ENVIRONMENTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"planning {args.env} offline (Pulumi mock runtime, no AWS credentials) and starting the policy pack…",
          file=sys.stderr)
    plan = None
    with PolicyPackProcess() as pack:  # starts now, so it loads while the program plans
        try:
            plan = plan_environment(args.env, args.environments_dir)
            report = evaluate(plan, policy_config_file(args.env, args.environments_dir), pack)
        except InvalidStackConfig as error:
            print(f"error: {stack_file(args.env, args.environments_dir)}: {error}", file=sys.stderr)
            return INVALID_CONFIG
        except (EnvironmentNotFound, PolicyConfigError) as error:
            print(f"error: {error}", file=sys.stderr)
            return INVALID_CONFIG
        except Exception:  # noqa: BLE001 - report a bug as such, never as a config or policy result
            details = traceback.format_exc()
            print(mask(details, plan) if plan else details, file=sys.stderr, end="")
            print("error: planning or policy evaluation failed (a bug, not a config problem)", file=sys.stderr)
            return FAILED
    print(render_plan(plan))
    print()
    print(mask(render_policies(report), plan))
    print(f"\npreview took {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return BLOCKED if report.blocked else OK


def run() -> None:
    """Entry point: exit without tearing down the interpreter. Freeing the AWS SDK's thousands of generated
    classes one by one takes longer than some previews; nothing is left to flush or close at this point."""
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()
