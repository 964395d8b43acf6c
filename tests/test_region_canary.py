"""The region canary in the plan (issue 11: a region CloudFront cannot reach sends no API Gateway metrics, so only
a probe of its own takes it out): per region of a several-region environment, a function run every minute by an
EventBridge rule of that region (and allowed to be invoked only by that rule), an alarm on the function's errors, a
health check on that alarm, and a CALCULATED check whose children are exactly that region's 5XX and canary checks,
which the region's latency record uses."""

import ast
import re
import sys

import pytest
from test_regional_plans import ORIGIN, REGION_SETS, by_region, region_of

from gitops.planning.plan_mocks import ACCOUNT_ID, autoname
from ml_edge.naming import ENVIRONMENT_PATTERN, NAME_LIMITS
from ml_edge.origin_domain import CANARY_DIR, CANARY_FILES, canary_alarm_name, canary_name
from ml_edge.regions import REGIONS
from ml_edge.resource_types import (
    BASE_PATH_MAPPING,
    DNS_RECORD,
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    FUNCTION_EVENT_INVOKE_CONFIG,
    HEALTH_CHECK,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    LAMBDA_PERMISSION,
    METRIC_ALARM,
    STAGE,
)


@pytest.fixture(params=[2, 3], ids=["two-regions", "three-regions"])
def several(request, two_region_plan, plans):
    return (two_region_plan if request.param == 2 else plans["prod"]), REGION_SETS[request.param]


def canary_of(plan, region):
    (function,) = [f for f in by_region(plan, FUNCTION)[region] if "-canary-" in f.name]
    return function


def function_name(function) -> str:
    return autoname(FUNCTION, function.name)


def rule_of(plan, region):
    (rule,) = by_region(plan, EVENT_RULE)[region]
    name = autoname(EVENT_RULE, rule.name)
    return rule, name, f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{name}"


def latency_record(plan, region):
    (record,) = [r for r in plan.of_type(DNS_RECORD) if r.inputs.get("setIdentifier") == region]
    return record


def test_one_region_has_no_canary(plans):
    one_region = [plan for plan in plans.values() if len(plan.config.regions) == 1]
    assert one_region
    for plan in one_region:
            assert not [f for f in plan.of_type(FUNCTION) if "-canary-" in f.name]
            assert plan.of_type(EVENT_RULE) == plan.of_type(EVENT_TARGET) == []


def test_each_region_runs_its_canary_every_minute_against_its_own_custom_domain(several):
    plan, regions = several
    rules, targets = by_region(plan, EVENT_RULE), by_region(plan, EVENT_TARGET)
    assert sorted(rules) == sorted(targets) == sorted(regions)
    for region in regions:
        function, (target,) = canary_of(plan, region), targets[region]
        rule, rule_name, _ = rule_of(plan, region)
        (mapping,) = by_region(plan, BASE_PATH_MAPPING)[region]
        assert region_of(function) == region_of(rule) == region_of(target) == region == rule.inputs["region"]
        assert rule.inputs["scheduleExpression"] == "rate(1 minute)"
        assert (target.inputs["rule"], target.inputs["arn"]) == (
            rule_name, f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name(function)}")
        assert mapping.urn in target.dependencies  # no run before the region's mapping exists
        assert function.inputs["handler"] == "region_canary.handler.handler"
        assert set(function.inputs["code"]["archive"]) == {f"region_canary/{file}" for file in CANARY_FILES}
        assert function.inputs["reservedConcurrentExecutions"] == 1
        variables = function.inputs["environment"]["variables"]
        (stage,) = by_region(plan, STAGE)[region]
        (alias,) = latency_record(plan, region).inputs["aliases"]  # the region's custom domain, as CloudFront finds it
        assert variables == {"CANARY_TARGET": alias["name"], "CANARY_ORIGIN_NAME": ORIGIN["name"],
                             "CANARY_STAGE": stage.inputs["stageName"], "CANARY_REGION": region}
        assert f".execute-api.{region}." in variables["CANARY_TARGET"]
        assert not re.search(r"secret|verify", str(function.inputs).lower())  # it proves the guard refuses without


def test_each_scheduled_run_is_one_probe_never_retried_or_queued(several):
    plan, regions = several
    for region in regions:
        function = canary_of(plan, region)
        (config,) = [c for c in plan.of_type(FUNCTION_EVENT_INVOKE_CONFIG) if region_of(c) == region]
        assert config.inputs["functionName"] == function_name(function)
        assert (config.inputs["maximumRetryAttempts"], config.inputs["maximumEventAgeInSeconds"]) == (0, 60)


def test_only_its_own_rule_may_invoke_the_canary(several):
    plan, regions = several
    for region in regions:
        function, (_, _, rule_arn) = canary_of(plan, region), rule_of(plan, region)
        (permission,) = [p for p in by_region(plan, LAMBDA_PERMISSION)[region]
                         if p.inputs["function"] == function_name(function)]
        assert (permission.inputs["principal"], permission.inputs["sourceArn"]) == ("events.amazonaws.com", rule_arn)
        assert permission.inputs["sourceArn"].startswith(f"arn:aws:events:{region}:")
        assert ":rule/ml-edge-prod-" in permission.inputs["sourceArn"]


def test_each_regions_record_uses_a_calculated_check_of_exactly_its_5xx_and_canary_checks(several):
    plan, regions = several
    checks = {c.id: c for c in plan.of_type(HEALTH_CHECK)}
    alarms = {a.inputs["name"]: a for a in plan.of_type(METRIC_ALARM)}
    for region in regions:
        record = latency_record(plan, region)
        calculated = checks[record.inputs["healthCheckId"]]
        assert calculated.inputs["type"] == "CALCULATED"
        children = [checks[c] for c in calculated.inputs["childHealthchecks"]]
        assert calculated.inputs["childHealthThreshold"] == len(children) == 2  # healthy only while both are
        watched = {alarms[c.inputs["cloudwatchAlarmName"]].inputs["namespace"]: c for c in children}
        assert sorted(watched) == ["AWS/ApiGateway", "AWS/Lambda"]
        assert all(c.inputs["cloudwatchAlarmRegion"] == region == region_of(alarms[c.inputs["cloudwatchAlarmName"]])
                   for c in children)
        canary_check = watched["AWS/Lambda"]
        # a canary that stops running sends no data: keep the last status (no outage, and no failing region let in)
        assert canary_check.inputs["insufficientDataHealthStatus"] == "LastKnownStatus"
        alarm = alarms[canary_check.inputs["cloudwatchAlarmName"]]
        canary = function_name(canary_of(plan, region))
        assert (alarm.inputs["metricName"], alarm.inputs["statistic"], alarm.inputs["dimensions"]) == (
            "Errors", "Sum", {"FunctionName": canary})
        assert (alarm.inputs["period"], alarm.inputs["evaluationPeriods"], alarm.inputs["threshold"],
                alarm.inputs["comparisonOperator"]) == (60, 3, 1, "GreaterThanOrEqualToThreshold")
        assert alarm.inputs["treatMissingData"] == "missing"
        assert alarm.inputs["name"] == canary_alarm_name("ml-edge-prod", region, canary)


def test_the_canary_alarm_is_named_for_the_deploy_roles_pattern_and_after_what_it_watches():
    name = canary_alarm_name("ml-edge-prod", "eu-west-1", autoname(FUNCTION, "ml-edge-prod-canary-eu-west-1"))
    assert re.fullmatch(r"ml-edge-prod-eu-west-1-[0-9a-f]{8}-origin-canary", name)
    assert name != canary_alarm_name("ml-edge-prod", "eu-west-1", "ml-edge-prod-canary-eu-west-1-0a1b2c3")


def test_the_canarys_autonamed_names_fit_awss_limits_for_any_environment_and_region():
    """The canary's names carry the environment and the region: with the longest of each (the config's environment
    pattern allows 20 characters; ml_edge.regions lists the regions) every autonamed one still fits."""
    environment = "e" * 20
    assert re.fullmatch(ENVIRONMENT_PATTERN, environment)
    region = max(REGIONS, key=len)
    base = canary_name(environment, region)
    for kind, suffix in ((FUNCTION, ""), (EVENT_RULE, ""), (IAM_ROLE, "-role"), (IAM_ROLE_POLICY, "-logs"),
                         (LAMBDA_PERMISSION, "-invoke")):
        assert len(autoname(kind, base + suffix)) <= NAME_LIMITS[kind].max_length, (kind, base + suffix)
    assert len(canary_alarm_name(f"ml-edge-{environment}", region, autoname(FUNCTION, base))) <= 255


def test_the_canarys_archive_is_its_whole_package_and_uses_the_standard_library_only():
    assert set(CANARY_FILES) == {p.name for p in CANARY_DIR.glob("*") if p.suffix == ".py"}
    for file in CANARY_FILES:
        tree = ast.parse((CANARY_DIR / file).read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and not node.level}
        assert imported <= sys.stdlib_module_names, (file, imported - sys.stdlib_module_names)
