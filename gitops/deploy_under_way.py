"""Is a deploy of this environment under way? The scheduled smoke run asks before it starts, and skips with a notice
when one is (issue 18, item 6); after a failing run it asks again whether one began meanwhile, and that failure is
then told as a notice, not reported as an outage.

Why not the stack's concurrency group (`pulumi-<env>`, `queue: max`): prod's deploy job waits for its reviewer inside
that group, so an hourly smoke run queued behind it would wait as long as the approval does (hours, days), its
heartbeat silent, and, ahead of a deploy in the queue, it would delay that deploy. Skipping never delays or displaces
a deploy. A deploy is under way when one of the environment's newest deployments (GitHub records one for each job
that names the environment: the deploy job; every observe job has `deployment: false`) is queued, pending or in
progress; one waiting for its reviewer changes nothing yet. Fails open: when GitHub cannot tell, the smoke runs.

`python -m gitops.deploy_under_way --env prod [--since ISO-8601]` writes `under-way=true|false` and `started` (now,
for a later --since) to GITHUB_OUTPUT. Needs GITHUB_TOKEN (deployments: read) and GITHUB_REPOSITORY.
"""

import argparse
import os
import sys
from datetime import UTC, datetime

import requests

from .github_api import GitHub

UNDER_WAY = ("queued", "pending", "in_progress")
WAITING = "waiting"  # an Actions deployment not yet approved by the environment's reviewers (then it is `queued`)


def deploy_under_way(github: GitHub, environment: str, since: str | None = None) -> str | None:
    """What makes the environment busy (a deploy under way, or one created since `since`), None when it is not."""
    for deployment in github.deployments(environment):
        state = github.deployment_state(deployment["id"])
        # one created since, but still waiting for its reviewer, has changed nothing yet: a failure stands
        began_since = since is not None and deployment.get("created_at", "") >= since and state != WAITING
        if state in UNDER_WAY or began_since:
            when = "began during this smoke run" if began_since and state not in UNDER_WAY else f"is {state}"
            return f"a deploy of {environment} {when} (deployment {deployment['id']}, created " \
                   f"{deployment.get('created_at', '?')})"
    return None


def main(argv: list[str] | None = None, github: GitHub | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitops.deploy_under_way", description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--since", help="also count a deploy created at or after this time (ISO 8601, UTC)")
    args = parser.parse_args(argv)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        busy = deploy_under_way(github or GitHub(os.environ["GITHUB_REPOSITORY"]), args.env, args.since)
    except (RuntimeError, requests.RequestException, KeyError) as error:
        print(f"::warning title=Deploys not checked::could not tell whether a deploy of {args.env} is under way "
              f"({error}); the smoke suite runs")
        busy = None
    if busy:
        what = "not judged: the smoke run overlapped it" if args.since else "the smoke suite does not run this hour"
        print(f"::notice title=Smoke of {args.env} skipped::{busy}; {what} (the deploy runs its own smoke suite)")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"under-way={'true' if busy else 'false'}\nstarted={started}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
