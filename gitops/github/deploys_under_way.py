"""Is a deploy of this environment under way? The scheduled smoke run asks before it starts, and skips with a notice
when one is (issue 18, item 6); after a failing run it asks again whether one began meanwhile, and that failure is
then told as a notice, not reported as an outage.

Why not the stack's concurrency group (`pulumi-<env>`, `queue: max`): prod's deploy job waits for its reviewer inside
that group, so an hourly smoke run queued behind it would wait as long as the approval does (hours, days), its
heartbeat silent, and, ahead of a deploy in the queue, it would delay that deploy. Skipping never delays or displaces
a deploy. A deploy is under way when one of the environment's newest deployments (GitHub records one for each job
that names the environment: the deploy job; every observe job has `deployment: false`) is queued, pending or in
progress; one waiting for its reviewer changes nothing yet. Fails open: when GitHub cannot tell, the smoke runs.

`python -m gitops.cli.deploy_under_way --env prod [--since ISO-8601]` writes `under-way=true|false` and `started` (now,
for a later --since) to GITHUB_OUTPUT. Needs GITHUB_TOKEN (deployments: read) and GITHUB_REPOSITORY.
"""

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
