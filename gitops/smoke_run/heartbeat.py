"""The heartbeat each smoke run publishes: the metric the environment's SmokeHeartbeat alarm watches.

program/ml_edge/smoke_heartbeat.py creates the alarm (in the stack's region, `aws:region`): Maximum of METRIC in
namespace `ml-edge/<env>`, dimension Environment=<env>, below 1 for `smokeHeartbeatHours` (missing data breaching). A
run publishes 1 when the suite passed, 0 when it failed; a run that never reached the suite publishes nothing. The
names are repeated here, not imported: the smoke jobs install no Pulumi SDK (tests/test_smoke_heartbeat.py keeps them
equal).

A failure to publish is reported (a warning annotation in GitHub Actions) and never changes the smoke result.
"""

import os
import sys

NAMESPACE_PREFIX = "ml-edge/"  # + the environment: the observe role may publish there only
METRIC = "SmokePassed"
DIMENSION = "Environment"


def namespace(environment: str) -> str:
    return f"{NAMESPACE_PREFIX}{environment}"


def metric_data(environment: str, passed: bool) -> dict:
    """The put_metric_data request (no timestamp: CloudWatch stamps it on arrival)."""
    return {"Namespace": namespace(environment),
            "MetricData": [{"MetricName": METRIC, "Dimensions": [{"Name": DIMENSION, "Value": environment}],
                            "Value": 1.0 if passed else 0.0, "Unit": "Count"}]}


def cloudwatch_client(region: str):
    import boto3  # only here: the rest of the smoke run needs no AWS SDK

    return boto3.client("cloudwatch", region_name=region)


def publish(environment: str, region: str, passed: bool, client=None) -> bool:
    """Publish one data point; True when CloudWatch took it. Any failure is reported here and returns False."""
    from botocore.exceptions import BotoCoreError, ClientError

    value = 1 if passed else 0
    what = f"{namespace(environment)}/{METRIC} {DIMENSION}={environment} = {value}"
    try:
        (client or cloudwatch_client(region)).put_metric_data(**metric_data(environment, passed))
    except (BotoCoreError, ClientError) as error:
        problem = (f"the smoke heartbeat ({what}, {region}) was "
                   f"not published: {error}. The smoke result above stands; the SmokeHeartbeat alarm fires if no "
                   "passing run is published for smokeHeartbeatHours (the observe role needs "
                   f"cloudwatch:PutMetricData for the namespace {namespace(environment)})")
        print(f"error: {problem}", file=sys.stderr)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            print(f"::warning title=Smoke heartbeat not published::{problem}")
        return False
    print(f"published the smoke heartbeat: {what} in {region}",
          file=sys.stderr)
    return True
