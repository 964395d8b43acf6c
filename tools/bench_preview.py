"""`make bench`: wall time of the offline preview (plan + guardrails) per environment, next to the floor.

The floor is what any preview pays before doing anything: `python -c "import pulumi_aws, pulumi_policy"`.
Goal: the preview with policies at most 2x the floor. Prints figures; asserts nothing.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
GOAL = 2.0


def wall(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    environments = sorted(p.parent.name for p in (ROOT / "environments").glob("*/Pulumi.*.yaml"))
    floor = wall([sys.executable, "-c", "import pulumi_aws, pulumi_policy"])
    print(f"median of {RUNS} runs, wall clock, {sys.executable}")
    print(f"{'what':<28} {'seconds':>8} {'× floor':>8}")
    print(f"{'floor (import only)':<28} {floor:>8.3f} {1:>8.2f}")
    worst = 0.0
    for env in environments:
        seconds = wall([sys.executable, "-m", "gitops.preview", "--env", env])
        worst = max(worst, seconds / floor)
        print(f"{'preview ' + env:<28} {seconds:>8.3f} {seconds / floor:>8.2f}")
    verdict = "meets" if worst <= GOAL else "misses"
    print(f"worst ratio {worst:.2f}: {verdict} the goal of at most {GOAL:.0f}x the floor")


if __name__ == "__main__":
    main()
