"""After `pulumi up`: drop the edge's cached catalog and health answers (a CloudFront invalidation) and wait until
the invalidation has completed, so that the smoke suite, and every client, sees the model list just deployed."""

import uuid
from collections.abc import Callable

import boto3
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

CATALOG_PATHS = ("/models", "/health")
POLL_SECONDS = 20  # the delay of botocore's own `invalidation_completed` waiter
MAX_POLLS = 45  # 15 minutes


class InvalidationFailed(RuntimeError):
    pass


def client():
    """A CloudFront client with the credentials of the environment (the deploy role). CloudFront's API has one
    global endpoint, signed for us-east-1, in the commercial partition (the only one the program accepts)."""
    return boto3.client("cloudfront", region_name="us-east-1")


def invalidate_catalog(cloudfront, distribution_id: str, *, poll_seconds: float = POLL_SECONDS,
                       max_polls: int = MAX_POLLS, say: Callable[[str], None] = print) -> str:
    """Invalidate CATALOG_PATHS on the distribution, wait for completion, return the invalidation's id."""
    try:
        created = cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
            "Paths": {"Quantity": len(CATALOG_PATHS), "Items": list(CATALOG_PATHS)},
            # a fresh value each time: CloudFront treats a repeated reference as the earlier request
            "CallerReference": f"ml-edge-deploy-{uuid.uuid4()}",
        })
    except (ClientError, BotoCoreError) as error:
        raise InvalidationFailed(f"could not invalidate {' and '.join(CATALOG_PATHS)} on CloudFront distribution "
                                 f"{distribution_id}: {error}") from error
    invalidation = created["Invalidation"]
    invalidation_id = invalidation["Id"]
    say(f"invalidating {' and '.join(CATALOG_PATHS)} on CloudFront distribution {distribution_id}: invalidation "
        f"{invalidation_id} {invalidation['Status']}; waiting for it to complete ({max_polls} checks at most, "
        f"{poll_seconds:g} s apart)")
    checks = iter(range(1, max_polls + 1))

    def progress(parsed, **_):  # called after each GetInvalidation the waiter makes
        status = parsed.get("Invalidation", {}).get("Status") or parsed.get("Error", {}).get("Code", "?")
        say(f"  invalidation {invalidation_id}: {status} (check {next(checks, max_polls)} of {max_polls})")

    event = "after-call.cloudfront.GetInvalidation"
    cloudfront.meta.events.register(event, progress)
    try:
        cloudfront.get_waiter("invalidation_completed").wait(
            DistributionId=distribution_id, Id=invalidation_id,
            WaiterConfig={"Delay": poll_seconds, "MaxAttempts": max_polls})
    except (WaiterError, BotoCoreError) as error:
        raise InvalidationFailed(f"invalidation {invalidation_id} of {' and '.join(CATALOG_PATHS)} on CloudFront "
                                 f"distribution {distribution_id} did not complete: {error}") from error
    finally:
        cloudfront.meta.events.unregister(event, progress)
    return invalidation_id


def domain_name(cloudfront, distribution_id: str) -> str:
    """The distribution's own name (dxxxx.cloudfront.net), what a custom domain's records point at."""
    try:
        return cloudfront.get_distribution(Id=distribution_id)["Distribution"]["DomainName"]
    except (ClientError, BotoCoreError, KeyError):
        return (f"the domain name of distribution {distribution_id} (aws cloudfront get-distribution --id "
                f"{distribution_id} --query Distribution.DomainName)")
