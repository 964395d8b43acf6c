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
SDK_CLASSES = ["apigateway.RestApi", "cloudfront.Distribution", "cloudwatch.LogGroup", "iam.Role", "lambda_.Function",
               "wafv2.WebAcl"]


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
    # what the program cannot avoid: the SDK modules it uses are loaded whole (wafv2 alone is ~5 MB of classes)
    sdk = wall([sys.executable, "-c", "import pulumi_aws as aws, pulumi_policy, pulumi_random; "
                + "; ".join(f"aws.{m}" for m in SDK_CLASSES) + "; import os; os._exit(0)"])  # no teardown, as preview
    print(f"median of {RUNS} runs, wall clock, {sys.executable}")
    print(f"{'what':<40} {'seconds':>8} {'× floor':>8}")
    print(f"{'floor: import pulumi_aws, pulumi_policy':<40} {floor:>8.3f} {1:>8.2f}")
    print(f"{'the SDK classes the program uses':<40} {sdk:>8.3f} {sdk / floor:>8.2f}")
    worst = 0.0
    for env in environments:
        seconds = wall([sys.executable, "-m", "gitops.cli.preview", "--env", env])
        worst = max(worst, seconds / floor)
        print(f"{'make preview ENV=' + env:<40} {seconds:>8.3f} {seconds / floor:>8.2f}")
    verdict = "meets" if worst <= GOAL else "misses"
    print(f"worst ratio {worst:.2f}: {verdict} the goal of at most {GOAL:.0f}x the floor")


if __name__ == "__main__":
    main()
