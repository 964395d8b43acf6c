"""Plans for one, two and three regions (issue 11): each region its own API, backends, guard, keys and plans; the
first region's resources exactly as with one region (same URNs, no `region` input); the others' named and placed in
their region; with more than one region, a latency record per region on the origin domain, each with a health check
on that region's 5XX alarm and aliased to the region's API custom domain (its certificate in that region, validated
in the zone), and CloudFront's one origin on the latency name. The region canary's own resources (its function, rule,
alarm and checks) are tested in test_region_canary.py."""

import json
import re

import pytest
import yaml
from plan_views import in_regions

from gitops.planning.plan import Plan, plan_environment
from gitops.planning.plan_mocks import Secret, acm_dns_challenge, api_key_value, autoname
from gitops.stacks.environments import ENVIRONMENTS_DIR
from ml_edge.origin_domain import alarm_name
from ml_edge.resource_types import (
    API_DOMAIN_NAME,
    API_KEY,
    BASE_PATH_MAPPING,
    CERTIFICATE,
    CERTIFICATE_VALIDATION,
    CLIENT_CERTIFICATE,
    DISTRIBUTION,
    DNS_RECORD,
    FUNCTION,
    HEALTH_CHECK,
    LAMBDA_PERMISSION,
    LOG_GROUP,
    METHOD_SETTINGS,
    METRIC_ALARM,
    REST_API,
    STAGE,
    USAGE_PLAN,
    USAGE_PLAN_KEY,
    WEB_ACL,
    WEB_ACL_ASSOCIATION,
)

PROD = yaml.safe_load((ENVIRONMENTS_DIR / "prod" / "Pulumi.prod.yaml").read_text())["config"]
ORIGIN = {"name": "origin.ml-edge.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}
HOME = PROD["aws:region"]
REGION_SETS = {1: [HOME], 2: [HOME, "eu-west-1"], 3: [HOME, "eu-west-1", "ap-southeast-1"]}
# every type the regional part creates in each region, and how many of it (prod: three models, five consumers)
PER_REGION = {REST_API: 1, STAGE: 1, METHOD_SETTINGS: 1, WEB_ACL_ASSOCIATION: 1, FUNCTION: 2, API_KEY: 5,
              USAGE_PLAN: 3, USAGE_PLAN_KEY: 5}


def plan_in(tmp_path, regions: list[str], change=lambda config: None) -> Plan:
    config = in_regions(PROD, regions)
    change(config)
    folder = tmp_path / "prod"
    folder.mkdir()
    (folder / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": config}))
    return plan_environment("prod", tmp_path)


@pytest.fixture(scope="module")
def plans(tmp_path_factory, plans, two_region_plan) -> dict[int, Plan]:
    """One, two and three regions; the two and three are the session's (three is prod's own config, below)."""
    return {1: plan_in(tmp_path_factory.mktemp("regions-1"), REGION_SETS[1]), 2: two_region_plan, 3: plans["prod"]}


def region_of(resource) -> str:
    return resource.inputs.get("region", HOME)


def by_region(plan: Plan, kind: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for resource in plan.of_type(kind):
        found.setdefault(region_of(resource), []).append(resource)
    return found


def regional_web_acls(plan: Plan) -> list:
    return [r for r in plan.of_type(WEB_ACL) if r.inputs["scope"] == "REGIONAL"]


def test_the_three_region_plan_is_prods_own_config():
    assert REGION_SETS[3] == PROD["ml-edge:regions"] and in_regions(PROD, REGION_SETS[3]) == PROD
    assert PROD["ml-edge:originDomain"] == ORIGIN
    one = in_regions(PROD, REGION_SETS[1])
    assert not {"ml-edge:regions", "ml-edge:originDomain"} & set(one)
    assert [m["url"] for m in one["ml-edge:models"] if "url" in m] == [PROD["ml-edge:models"][2]["url"][HOME]]


@pytest.mark.parametrize("count", REGION_SETS)
def test_each_region_has_its_own_api_backends_guard_keys_and_plans(plans, count):
    plan, regions = plans[count], REGION_SETS[count]
    for kind, number in PER_REGION.items():
        number += kind == FUNCTION and count > 1  # and the region canary, with several regions
        assert {r: len(found) for r, found in by_region(plan, kind).items()} == {r: number for r in regions}, kind
    assert sorted(region_of(acl) for acl in regional_web_acls(plan)) == sorted(regions)
    for region in regions[1:]:  # another region's resources carry it in their names
        assert all(f"-{region}" in r.name for r in plan.resources if r.custom and r.inputs.get("region") == region)


def test_the_first_regions_resources_are_unchanged_by_more_regions(plans):
    one = {r.urn: r for r in plans[1].resources}
    for count in (2, 3):
        many = {r.urn: r for r in plans[count].resources}
        assert set(one) <= set(many), "a URN of the one-region plan is gone: Pulumi would replace it"
        changed = [urn for urn in one if many[urn].inputs != one[urn].inputs and many[urn].type != DISTRIBUTION]
        assert changed == []
    regional_types = {*PER_REGION, LOG_GROUP, LAMBDA_PERMISSION}
    edge = "ml-edge-prod-edge"  # its access logs live in us-east-1 whatever the regions
    assert not any("region" in r.inputs for r in plans[1].resources
                   if r.type in regional_types and not r.name.startswith(edge))
    assert [acl.inputs.get("region") for acl in regional_web_acls(plans[1])] == [None]


def test_every_resource_of_another_region_is_placed_there(plans):
    plan = plans[3]
    regional_types = {*PER_REGION, LOG_GROUP, LAMBDA_PERMISSION, WEB_ACL}
    for region in REGION_SETS[3][1:]:
        suffixed = [r for r in plan.resources if r.custom and r.type in regional_types and f"-{region}" in r.name]
        assert suffixed and all(r.inputs.get("region") == region for r in suffixed)


def test_one_region_has_no_origin_domain_and_no_region_outputs(plans):
    plan = plans[1]
    for kind in (CERTIFICATE, CERTIFICATE_VALIDATION, API_DOMAIN_NAME, BASE_PATH_MAPPING, HEALTH_CHECK):
        assert plan.of_type(kind) == []
    assert not {"regions", "originUrls"} & set(plan.outputs)
    (origin,) = plan.one(DISTRIBUTION).inputs["origins"]
    assert origin["domainName"].startswith(f"{plan.outputs['apiId']}.execute-api.{HOME}.")


@pytest.mark.parametrize("count", [2, 3])
def test_a_certificate_per_region_validated_by_one_record_in_the_zone(plans, count):
    plan, regions = plans[count], REGION_SETS[count]
    certificates = by_region(plan, CERTIFICATE)
    assert sorted(certificates) == sorted(regions)
    assert all(c.inputs["domainName"] == ORIGIN["name"] and c.inputs["validationMethod"] == "DNS"
               for (c,) in certificates.values())
    challenge = acm_dns_challenge(ORIGIN["name"])
    (record,) = [r for r in plan.of_type(DNS_RECORD) if r.inputs["type"] == "CNAME"]
    assert (record.inputs["zoneId"], record.inputs["name"], record.inputs["records"]) == (
        ORIGIN["hostedZoneId"], challenge["resourceRecordName"], [challenge["resourceRecordValue"]])
    validations = by_region(plan, CERTIFICATE_VALIDATION)
    for region, (validation,) in validations.items():
        (certificate,) = certificates[region]
        assert validation.inputs["certificateArn"].startswith(f"arn:aws:acm:{region}:")
        assert certificate.urn in validation.dependencies
        assert validation.inputs["validationRecordFqdns"] == [challenge["resourceRecordName"].rstrip(".")]


@pytest.mark.parametrize("count", [2, 3])
def test_each_region_serves_the_origin_name_from_its_regional_custom_domain(plans, count):
    plan, regions = plans[count], REGION_SETS[count]
    domains, mappings = by_region(plan, API_DOMAIN_NAME), by_region(plan, BASE_PATH_MAPPING)
    apis = by_region(plan, REST_API)
    assert sorted(domains) == sorted(mappings) == sorted(regions)
    for region in regions:
        (domain,), (mapping,), (api,) = domains[region], mappings[region], apis[region]
        assert domain.inputs["domainName"] == ORIGIN["name"]
        assert domain.inputs["endpointConfiguration"]["types"] == "REGIONAL"
        assert domain.inputs["securityPolicy"] == "TLS_1_2"
        assert domain.inputs["regionalCertificateArn"].startswith(f"arn:aws:acm:{region}:")
        assert mapping.inputs["restApi"] == api.id and mapping.inputs["stageName"] == mapping.inputs["basePath"] == "v1"


@pytest.mark.parametrize("count", [2, 3])
def test_a_latency_record_per_region_with_its_own_health_check(plans, count):
    plan, regions = plans[count], REGION_SETS[count]
    latency = [r for r in plan.of_type(DNS_RECORD) if "latencyRoutingPolicies" in r.inputs]
    assert sorted(r.inputs["setIdentifier"] for r in latency) == sorted(regions)
    checks = {c.id: c for c in plan.of_type(HEALTH_CHECK)}
    alarms = {a.inputs["name"]: a for a in plan.of_type(METRIC_ALARM)}
    apis = by_region(plan, REST_API)
    domains = by_region(plan, API_DOMAIN_NAME)
    # per region: the 5XX check, the canary's, and the calculated one the record uses (test_region_canary.py)
    assert len(checks) == 3 * len(latency) == 3 * len({r.inputs["healthCheckId"] for r in latency})
    for record in latency:
        region = record.inputs["setIdentifier"]
        assert (record.inputs["zoneId"], record.inputs["name"], record.inputs["type"]) == (
            ORIGIN["hostedZoneId"], ORIGIN["name"], "A")
        assert record.inputs["latencyRoutingPolicies"] == [{"region": region}]
        (alias,) = record.inputs["aliases"]
        (domain,) = domains[region]
        assert alias["name"].startswith("d-") and f".execute-api.{region}." in alias["name"]
        assert domain.urn in record.dependencies and alias["evaluateTargetHealth"] is True
        region_check = checks[record.inputs["healthCheckId"]]
        assert region_check.inputs["type"] == "CALCULATED"
        (check,) = [checks[c] for c in region_check.inputs["childHealthchecks"]
                    if alarms[checks[c].inputs["cloudwatchAlarmName"]].inputs["namespace"] == "AWS/ApiGateway"]
        assert check.inputs["type"] == "CLOUDWATCH_METRIC" and check.inputs["cloudwatchAlarmRegion"] == region
        # Route 53 follows the alarm's metric data, not its state: a region taken out gets no traffic, so no data;
        # "LastKnownStatus" would keep it out for ever, "Healthy" retries it (Route 53 HealthCheckConfig)
        assert check.inputs["insufficientDataHealthStatus"] == "Healthy"
        alarm = alarms[check.inputs["cloudwatchAlarmName"]]
        (api,) = apis[region]
        assert region_of(alarm) == region == alarm.inputs["region"]
        assert (alarm.inputs["namespace"], alarm.inputs["metricName"], alarm.inputs["statistic"]) == (
            "AWS/ApiGateway", "5XXError", "Average")  # the error rate; Route 53 refuses extended statistics
        assert alarm.inputs["dimensions"] == {"ApiName": autoname(REST_API, api.name), "Stage": "v1"}
        # named after what it watches: a change re-points the health check, so Route 53 reads the alarm again
        assert alarm.inputs["name"] == alarm_name("ml-edge-prod", region, autoname(REST_API, api.name), "v1")


def test_a_change_to_what_the_5xx_alarm_watches_gives_it_a_new_name():
    name = alarm_name("ml-edge-prod", "eu-west-1", "ml-edge-prod-api-eu-west-1-dde1f70", "v1")
    assert re.fullmatch(r"ml-edge-prod-eu-west-1-[0-9a-f]{8}-origin-5xx", name)  # the deploy role's ARN pattern
    assert name != alarm_name("ml-edge-prod", "eu-west-1", "ml-edge-prod-api-eu-west-1-0a1b2c3", "v1")
    assert name != alarm_name("ml-edge-prod", "eu-west-1", "ml-edge-prod-api-eu-west-1-dde1f70", "v2")


@pytest.mark.parametrize("count", [2, 3])
def test_cloudfront_has_one_origin_on_the_latency_name_and_waits_for_every_region(plans, count):
    plan = plans[count]
    distribution = plan.one(DISTRIBUTION)
    (origin,) = distribution.inputs["origins"]
    assert (origin["originId"], origin["domainName"], origin["originPath"]) == ("api", ORIGIN["name"], "/v1")
    assert "originGroups" not in distribution.inputs  # POST cannot fail over in an origin group
    behaviours = [distribution.inputs["defaultCacheBehavior"], *distribution.inputs["orderedCacheBehaviors"]]
    assert {b["targetOriginId"] for b in behaviours} == {"api"}
    guards = {acl.urn for acl in regional_web_acls(plan)}
    latency = {r.urn for r in plan.of_type(DNS_RECORD) if "latencyRoutingPolicies" in r.inputs}
    assert len(guards) == count and guards | latency <= set(distribution.dependencies)


@pytest.mark.parametrize("count", [2, 3])
def test_a_consumers_key_is_one_value_imported_into_every_region(plans, count):
    plan = plans[count]
    keys = by_region(plan, API_KEY)
    for home_key in keys[HOME]:
        assert "value" not in home_key.inputs  # generated by API Gateway at home
        for region in REGION_SETS[count][1:]:
            (imported,) = [k for k in keys[region] if k.inputs["name"] == home_key.inputs["name"]]
            assert imported.inputs["value"] == Secret(api_key_value(home_key.name))
    tables = {region_of(f): f.inputs["code"]["archive"]["authorizer/consumers.json"]["text"]
              for f in plan.of_type(FUNCTION) if "authorizer" in f.name}
    assert len(tables) == count and len(set(tables.values())) == 1


@pytest.mark.parametrize("count", [2, 3])
def test_outputs_name_the_regions_and_each_regions_invoke_url(plans, count):
    plan, regions = plans[count], REGION_SETS[count]
    assert plan.outputs["regions"] == regions
    stages = {region_of(s): s for s in plan.of_type(STAGE)}
    apis = by_region(plan, REST_API)
    assert plan.outputs["originUrls"] == {
        r: f"https://{apis[r][0].id}.execute-api.{r}.amazonaws.com/v1" for r in regions}
    assert plan.outputs["originUrl"] == plan.outputs["originUrls"][HOME] and set(stages) == set(regions)


def test_a_sagemaker_endpoint_per_region_is_called_in_its_region(tmp_path):
    names = {HOME: "churn-us", "eu-west-1": "churn-eu"}
    plan = plan_in(tmp_path, REGION_SETS[2], lambda config: config["ml-edge:models"][1].update(endpointName=names))
    for api in plan.of_type(REST_API):
        region = region_of(api)
        churn = json.loads(api.inputs["body"])["paths"]["/models/churn/predict"]["post"]
        uri = churn["x-amazon-apigateway-integration"]["uri"]
        assert uri == f"arn:aws:apigateway:{region}:runtime.sagemaker:path/endpoints/{names[region]}/invocations"


@pytest.mark.parametrize("count", [2, 3])
def test_model_servers_learn_the_client_certificate_every_region_presents(plans, count):
    # each region's stage presents its own API Gateway client certificate to the HTTP model servers (mutual TLS);
    # a server trusting only the first region's would refuse every other region's predict
    plan, regions = plans[count], REGION_SETS[count]
    # and a rotation (issue `b`, trust it, present it) needs every region's new certificate before it is presented
    by_region = plan.outputs["backendClientCertificatesByRegion"]
    issued = plan.config.backend_certificate.issued
    assert list(by_region) == regions and all(sorted(slots) == sorted(issued) for slots in by_region.values())
    pems = {slots[slot]["pem"] for slots in by_region.values() for slot in issued}
    assert len(pems) == count * len(issued) == len(plan.of_type(CLIENT_CERTIFICATE))
    assert by_region[HOME] == plan.outputs["backendClientCertificates"]
