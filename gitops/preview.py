"""`make preview ENV=<env>`: plan an environment offline and print the plan.

Exit status: 0 planned · 2 the environment's config is invalid (or the environment does not exist) ·
3 the program itself failed (a bug: the traceback is printed).
"""

import argparse
import sys
import time
import traceback
from pathlib import Path

from .environments import ENVIRONMENTS_DIR, EnvironmentNotFound
from .plan import InvalidStackConfig, plan_environment
from .render import render_plan

OK, INVALID_CONFIG, PROGRAM_FAILED = 0, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make preview", description=__doc__)
    parser.add_argument("--env", default="dev", help="environment folder name (default: dev)")
    parser.add_argument("--environments-dir", type=Path, default=ENVIRONMENTS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"planning {args.env} offline (Pulumi mock runtime, no AWS credentials)…", file=sys.stderr)
    try:
        plan = plan_environment(args.env, args.environments_dir)
    except EnvironmentNotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return INVALID_CONFIG
    except InvalidStackConfig as error:
        print(f"error: environments/{args.env}: {error}", file=sys.stderr)
        return INVALID_CONFIG
    except Exception:  # noqa: BLE001 - report a program bug as such, never as a config or policy result
        traceback.print_exc()
        print("error: the program failed while planning (a bug, not a config problem)", file=sys.stderr)
        return PROGRAM_FAILED
    print(render_plan(plan))
    print(f"\nplanned in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return OK


if __name__ == "__main__":
    sys.exit(main())
