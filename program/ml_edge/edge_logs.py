"""The edge's access logs: CloudFront standard logging (v2) into a CloudWatch Logs group with the environment's
retention.

inputs   the distribution, the environment, its log retention
creates  in us-east-1 (CloudFront's logging API answers there only, whatever the API's region): the log group
         /ml-edge/<env>/edge-access · its resource policy letting CloudWatch Logs' delivery service write to it ·
         a delivery source (the distribution's ACCESS_LOGS) · a delivery destination (the group) · the delivery,
         with the record fields listed below and no other

Why v2 into CloudWatch Logs rather than legacy logging into S3: legacy logging needs a bucket with ACLs enabled
(CloudFront writes through an ACL grant), which S3 now disables by default, and a bucket is a second store to
secure and expire; v2 keeps the edge's log next to the API's, with the same retention, and lets the fields be
chosen. No field holds a request header beyond Host and User-Agent: the consumer key (x-api-key) is a viewer
header no field records, and the origin secret (X-Origin-Verify) is added to the origin request, which standard
logs do not describe. Cookies and query strings are left out too (a client could put a key in the URL).
"""

import json

import pulumi
import pulumi_aws as aws

LOGGING_REGION = "us-east-1"
LOG_TYPE = "ACCESS_LOGS"
OUTPUT_FORMAT = "json"
# standard log fields (CloudFront developer guide, "Standard logging reference", log file fields), in this order
RECORD_FIELDS = [
    "date", "time", "x-edge-location", "x-edge-request-id", "c-ip", "x-forwarded-for", "cs-protocol",
    "cs-protocol-version", "ssl-protocol", "ssl-cipher", "cs-method", "x-host-header", "cs-uri-stem", "sc-status",
    "cs(User-Agent)", "cs-bytes", "sc-bytes", "sc-content-type", "time-taken", "time-to-first-byte",
    "x-edge-result-type", "x-edge-response-result-type", "x-edge-detailed-result-type",
]
DELIVERY_SERVICE = "delivery.logs.amazonaws.com"


def log_group_name(environment: str) -> str:
    return f"/ml-edge/{environment}/edge-access"


def access_logs(name: str, parent: pulumi.Resource, distribution: aws.cloudfront.Distribution, environment: str,
                retention_days: int) -> aws.cloudwatch.LogGroup:
    """The log group the distribution's access logs are delivered to (see the module's docstring)."""
    child = pulumi.ResourceOptions(parent=parent)
    group = aws.cloudwatch.LogGroup(f"{name}-access-logs", name=log_group_name(environment),
                                    region=LOGGING_REGION, retention_in_days=retention_days, opts=child)
    # scoped to this group (not one of the account's ten per-region policies), written before the delivery exists
    # so that CloudWatch Logs need not add an account-wide policy of its own
    writable = aws.cloudwatch.LogResourcePolicy(
        f"{name}-access-logs", resource_arn=group.arn, region=LOGGING_REGION,
        policy_document=group.arn.apply(_delivery_may_write), opts=child)
    source = aws.cloudwatch.LogDeliverySource(
        f"{name}-access-logs", name=name, region=LOGGING_REGION, log_type=LOG_TYPE,
        resource_arn=distribution.arn, opts=child)
    destination = aws.cloudwatch.LogDeliveryDestination(
        f"{name}-access-logs", name=f"{name}-access-logs", region=LOGGING_REGION, output_format=OUTPUT_FORMAT,
        delivery_destination_configuration={"destination_resource_arn": group.arn}, opts=child)
    aws.cloudwatch.LogDelivery(
        f"{name}-access-logs", region=LOGGING_REGION, delivery_source_name=source.name,
        delivery_destination_arn=destination.arn, record_fields=RECORD_FIELDS,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[writable]))
    return group


def _delivery_may_write(group_arn: str) -> str:
    account = group_arn.split(":")[4]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudFrontAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": DELIVERY_SERVICE},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{group_arn}:log-stream:*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account},
                          "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{LOGGING_REGION}:{account}:*"}},
        }],
    })
