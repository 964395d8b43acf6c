"""SmokeHeartbeat: the environment notices when its edge smoke suite stops passing, or stops running.

GitHub's scheduled runs are best-effort (a run may be dropped) and are disabled after 60 days without activity
in the repository: a silent schedule would be a missed outage. Every smoke run publishes one data point
(gitops/smoke_run/run.py: 1 when it passed, 0 when it failed); the alarm fires when no passing run has been seen for
`ml-edge:smokeHeartbeatHours` hours, missing data counting as a failure.

inputs   SmokeHeartbeatArgs (the environment, the hours without a passing run that fire the alarm)
creates  a CloudWatch metric alarm on the metric METRIC of namespace(<env>), dimension Environment=<env>
outputs  alarm_name
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import naming

NAMESPACE_PREFIX = "ml-edge/"  # one namespace per environment: IAM can pin PutMetricData to a namespace, not to a
                               # dimension, so each observe role can publish its own environment's heartbeat only
METRIC = "SmokePassed"
DIMENSION = "Environment"
PERIOD_SECONDS = 3600


def namespace(environment: str) -> str:
    return f"{NAMESPACE_PREFIX}{environment}"


@dataclass(frozen=True)
class SmokeHeartbeatArgs:
    environment: str
    """Names the alarm (`ml-edge-<env>-smoke-heartbeat`), the metric's namespace and its dimension."""
    hours: int
    """The alarm fires after this many hourly periods without a passing run (at least 2: a late run is normal)."""


class SmokeHeartbeat(pulumi.ComponentResource):
    alarm_name: pulumi.Output[str]

    def __init__(self, name: str, args: SmokeHeartbeatArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:index:SmokeHeartbeat", name, None, opts)
        environment, hours = args.environment, args.hours
        alarm = aws.cloudwatch.MetricAlarm(
            name,
            name=f"{naming.stack_prefix(environment)}-smoke-heartbeat",
            alarm_description=f"ml-edge {environment}: no passing edge smoke run in {hours} h (failing, or the "
                              f"scheduled run stopped: GitHub drops or disables schedules)",
            namespace=namespace(environment),
            metric_name=METRIC,
            dimensions={DIMENSION: environment},
            statistic="Maximum",
            period=PERIOD_SECONDS,
            evaluation_periods=hours,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alarm_name = alarm.name
        self.register_outputs({"alarm_name": self.alarm_name})
