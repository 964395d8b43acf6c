"""LatencyOrigin: with more than one region, the one name CloudFront reaches them by (`ml-edge:originDomain`).

inputs   the origin domain (name and hosted zone), the environment's function settings, the regional APIs (the
         stack's own region first)
creates  per region: an ACM certificate for the name in that region (DNS-validated) · the API's REGIONAL custom
         domain of that name (TLS 1.2) with a base path mapping `/<stage>` → the stage · a CloudWatch alarm on the
         stage's 5XX rate and a Route 53 health check on that alarm · the region canary (a Lambda function run every
         minute by an EventBridge rule, region_canary/handler.py), an alarm on its errors and a health check on
         that alarm · a CALCULATED health check healthy only while both are · a latency record for the name,
         aliased to the region's custom domain, tied to the calculated check and evaluating the alias target's
         health · once: the certificates' DNS validation record in the zone
outputs  origin (the ApiOrigin the edge takes: the latency name, `/<stage>`, waiting for every region's guard)

Why this shape (AWS documentation; README "Regions"): CloudFront origin groups fail over only GET, HEAD and
OPTIONS, so POST (predict) fails over in DNS. Route 53 answers a latency record for the resolver that asks, which
is CloudFront's edge location, so each edge reaches the nearest region whose health check passes. A regional custom
domain needs an ACM certificate in its own region. A region whose backends fail answers 5XX, which the alarm sees
(Route 53's own HTTP checks could not send the origin secret, and the WAF guard would answer them 403; an alias's
"evaluate target health" gives no signal for API Gateway targets, per Route 53's AliasTarget reference, and is set
only because it costs nothing). The alarm uses the Average of 5XXError, its error rate, a standard statistic Route 53
accepts (it refuses extended statistics such as p95). A region CloudFront cannot reach at all (its custom domain,
certificate or mapping broken, API Gateway down) sends no API Gateway metrics, so the 5XX check stays healthy: the
canary asks the region's custom domain what CloudFront would, without the secret, and fails unless the region's
origin guard answers; three failing minutes take the region out.
"""

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

import pulumi
import pulumi_aws as aws

from . import naming
from .config import OriginDomain
from .lambda_function import FunctionSettings, python_function
from .origin import DEFAULT_ORIGIN_ID, ApiOrigin
from .regional import RegionalApi

FIVE_XX_RATE_THRESHOLD = 0.05  # a region answering more than 5 % of requests with 5XX ...
FIVE_XX_PERIOD_SECONDS = 60  # API Gateway sends its metrics every minute
FIVE_XX_PERIODS = 3  # ... for three minutes in a row is taken out of the latency set
VALIDATION_TTL = 300
CANARY_SCHEDULE = "rate(1 minute)"
CANARY_PERIOD_SECONDS = 60
CANARY_PERIODS = 3  # a region whose canary fails (at least one error) three minutes in a row is taken out
CANARY_TIMEOUT_SECONDS = 10  # the probe gives up after 5 s (handler.TIMEOUT_SECONDS); a Lambda timeout is an error too
CANARY_DIR = Path(__file__).with_name("region_canary")
CANARY_FILES = ("__init__.py", "handler.py")


def alarm_name(prefix: str, region: str, api_name: str, stage: str) -> str:
    """The region's 5XX alarm, named after what it watches. Route 53 copies an alarm's settings into the health check
    when the check is created or updated (Route 53 Developer Guide, "Updating health checks when you change CloudWatch
    alarm settings"): an alarm changed in place (a replaced API's new name, another threshold) would leave the check
    judging the old metric. A new name re-points the check, which makes Route 53 read the alarm again."""
    watched = f"{api_name}|{stage}|{FIVE_XX_RATE_THRESHOLD}|{FIVE_XX_PERIOD_SECONDS}|{FIVE_XX_PERIODS}"
    return f"{prefix}-{region}-{hashlib.sha256(watched.encode()).hexdigest()[:8]}-origin-5xx"


def canary_alarm_name(prefix: str, region: str, function_name: str) -> str:
    """The region canary's alarm, named after what it watches for the same reason as alarm_name."""
    watched = f"{function_name}|{CANARY_PERIOD_SECONDS}|{CANARY_PERIODS}"
    return f"{prefix}-{region}-{hashlib.sha256(watched.encode()).hexdigest()[:8]}-origin-canary"


def canary_name(environment: str, region: str) -> str:
    """The canary's function, rule and role (`-role`) logical names: short, so the role fits IAM's 64 characters."""
    return f"{naming.stack_prefix(environment)}-canary-{region}"


class LatencyOrigin(pulumi.ComponentResource):
    origin: ApiOrigin

    def __init__(self, name: str, domain: OriginDomain, functions: FunctionSettings, regions: Sequence[RegionalApi],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:index:LatencyOrigin", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        certificates = {part.region: aws.acm.Certificate(
            f"{name}-{part.region}", domain_name=domain.name, validation_method="DNS", region=part.region,
            opts=child) for part in regions}
        # ACM asks for the same CNAME for one name in every region of an account: one record validates (and keeps
        # renewing) every region's certificate, and taking a region out never removes it from the others. For the
        # same reason a certificate of this name validated before (by hand, or by another stack) left exactly this
        # record: it is taken over (UPSERT), as the provider's CertificateValidation example does, not refused
        challenge = certificates[regions[0].region].domain_validation_options.apply(lambda options: options[0])
        validation_record = aws.route53.Record(
            f"{name}-validation", zone_id=domain.hosted_zone_id, name=challenge.resource_record_name,
            type=challenge.resource_record_type, records=[challenge.resource_record_value], ttl=VALIDATION_TTL,
            allow_overwrite=True, opts=child)
        waits_for: list[pulumi.Resource] = []
        for part in regions:
            waits_for += self._region(name, domain, functions, part, certificates[part.region], validation_record)
        home = regions[0].api
        self.origin = ApiOrigin(origin_id=DEFAULT_ORIGIN_ID, domain_name=pulumi.Output.from_input(domain.name),
                                origin_path=pulumi.Output.concat("/", home.stage_name), guard=home.origin_guard,
                                also_waits_for=tuple(waits_for))
        self.register_outputs({})

    def _region(self, name: str, domain: OriginDomain, functions: FunctionSettings, part: RegionalApi,
                certificate: aws.acm.Certificate, validation_record: aws.route53.Record) -> list[pulumi.Resource]:
        region, api, environment = part.region, part.api, functions.environment
        child = pulumi.ResourceOptions(parent=self)
        validated = aws.acm.CertificateValidation(
            f"{name}-{region}", certificate_arn=certificate.arn, validation_record_fqdns=[validation_record.fqdn],
            region=region, opts=child)
        custom_domain = aws.apigateway.DomainName(
            f"{name}-{region}", domain_name=domain.name, regional_certificate_arn=validated.certificate_arn,
            endpoint_configuration={"types": "REGIONAL"}, security_policy="TLS_1_2", region=region, opts=child)
        # the stage under its own name, so CloudFront's origin path `/<stage>` is the same as on the invoke URL
        mapping = aws.apigateway.BasePathMapping(
            f"{name}-{region}", domain_name=custom_domain.domain_name, rest_api=api.rest_api_id,
            stage_name=api.stage_name, base_path=api.stage_name, region=region, opts=child)
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-{region}-5xx",
            name=pulumi.Output.all(api.rest_api.name, api.stage_name).apply(
                lambda watched: alarm_name(naming.stack_prefix(environment), region, *watched)),
            alarm_description=f"ml-edge {environment}: {region} answers 5XX; its latency record is taken out",
            namespace="AWS/ApiGateway", metric_name="5XXError", statistic="Average",
            dimensions={"ApiName": api.rest_api.name, "Stage": api.stage_name},
            period=FIVE_XX_PERIOD_SECONDS, evaluation_periods=FIVE_XX_PERIODS, threshold=FIVE_XX_RATE_THRESHOLD,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",  # the alarm's own state: no traffic is no outage
            region=region, opts=child)
        # Route 53 follows the alarm's metric data, not the alarm's state ("How Route 53 determines whether a health
        # check is healthy"). A region taken out gets no traffic, so no 5XX data: with "LastKnownStatus" it would
        # stay out for ever; "Healthy" lets it back in, and a region still failing is taken out again
        health_check = aws.route53.HealthCheck(
            f"{name}-{region}", type="CLOUDWATCH_METRIC", cloudwatch_alarm_name=alarm.name,
            cloudwatch_alarm_region=region, insufficient_data_health_status="Healthy",
            tags={"Name": f"ml-edge {environment} {region}"}, opts=child)
        canary_check = self._canary(name, domain, functions, part, custom_domain, mapping)
        # healthy only while both children are: the region answers without 5XX, and CloudFront's way in works
        region_check = aws.route53.HealthCheck(
            f"{name}-{region}-region", type="CALCULATED", child_healthchecks=[health_check.id, canary_check.id],
            child_health_threshold=2, tags={"Name": f"ml-edge {environment} {region} (5XX and canary)"}, opts=child)
        record = aws.route53.Record(
            f"{name}-{region}", zone_id=domain.hosted_zone_id, name=domain.name, type="A", set_identifier=region,
            latency_routing_policies=[{"region": region}], health_check_id=region_check.id,
            aliases=[{"name": custom_domain.regional_domain_name, "zone_id": custom_domain.regional_zone_id,
                      "evaluate_target_health": True}],
            opts=child)
        return [api.origin_guard, mapping, record]

    def _canary(self, name: str, domain: OriginDomain, functions: FunctionSettings, part: RegionalApi,
                custom_domain: aws.apigateway.DomainName, mapping: aws.apigateway.BasePathMapping
                ) -> aws.route53.HealthCheck:
        """The region canary, run every minute, and a health check on its errors (region_canary/handler.py)."""
        region, environment = part.region, functions.environment
        child = pulumi.ResourceOptions(parent=self)
        canary = canary_name(environment, region)
        function = python_function(
            canary, self, dataclasses.replace(functions, region=region),
            code=pulumi.AssetArchive({f"region_canary/{file}": pulumi.FileAsset(str(CANARY_DIR / file))
                                      for file in CANARY_FILES}),
            handler="region_canary.handler.handler",
            log_group_name=f"/ml-edge/{environment}/region-canary",
            description=f"ml-edge {environment}: can CloudFront reach {region}? (its origin guard answers)",
            reserved_concurrency=1, timeout_seconds=CANARY_TIMEOUT_SECONDS,
            variables={"CANARY_TARGET": custom_domain.regional_domain_name, "CANARY_ORIGIN_NAME": domain.name,
                       "CANARY_STAGE": part.api.stage_name, "CANARY_REGION": region})
        rule = aws.cloudwatch.EventRule(
            canary, schedule_expression=CANARY_SCHEDULE, region=region, opts=child,
            description=f"ml-edge {environment}: runs the region canary of {region}")
        aws.lambda_.Permission(
            f"{canary}-invoke", action="lambda:InvokeFunction", function=function.name,
            principal="events.amazonaws.com", source_arn=rule.arn, region=region, opts=child)
        # one probe per scheduled run: Lambda would retry a failed asynchronous run twice (1 and 2 minutes later) and
        # keep throttled runs queued for hours ("Error handling and automatic retries in Lambda", asynchronous
        # invocation), so Errors in a minute would stop being that minute's probe
        aws.lambda_.FunctionEventInvokeConfig(
            f"{canary}-once", function_name=function.name, maximum_retry_attempts=0,
            maximum_event_age_in_seconds=CANARY_PERIOD_SECONDS, region=region, opts=child)
        # not before the mapping exists: an earlier run would count errors for a region still being built
        aws.cloudwatch.EventTarget(canary, rule=rule.name, arn=function.arn, region=region,
                                   opts=pulumi.ResourceOptions(parent=self, depends_on=[mapping]))
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-{region}-canary",
            name=function.name.apply(lambda watched: canary_alarm_name(naming.stack_prefix(environment), region,
                                                                       watched)),
            alarm_description=f"ml-edge {environment}: CloudFront's way into {region} fails; its latency record is "
                              "taken out",
            namespace="AWS/Lambda", metric_name="Errors", statistic="Sum", dimensions={"FunctionName": function.name},
            period=CANARY_PERIOD_SECONDS, evaluation_periods=CANARY_PERIODS, threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # a minute without a run is no evidence either way: the alarm shows INSUFFICIENT_DATA, not OK
            treat_missing_data="missing", region=region, opts=child)
        # a canary that stops running sends no data: the check keeps its last status rather than take the region
        # out (a stopped canary is no outage) or let a failing region back in
        return aws.route53.HealthCheck(
            f"{name}-{region}-canary", type="CLOUDWATCH_METRIC", cloudwatch_alarm_name=alarm.name,
            cloudwatch_alarm_region=region, insufficient_data_health_status="LastKnownStatus",
            tags={"Name": f"ml-edge {environment} {region} canary"}, opts=child)
