"""The policy pack as the Pulumi engine reaches it: a child process speaking the analyzer gRPC protocol."""

import copy
import json
import re
import shutil

import pytest
from google.protobuf import empty_pb2
from plan_views import distribution

from gitops.cli import preview
from gitops.planning.plan_mocks import Secret, Unknown
from gitops.policy.policy_check import PolicyConfigError, evaluate, reconcile
from gitops.preview import offline
from gitops.stacks.environments import ENVIRONMENTS_DIR, policy_config_file
from ml_edge.resource_types import (
    CACHE_POLICY,
    DISTRIBUTION,
    FUNCTION,
    IAM_ROLE,
    LAMBDA_PERMISSION,
    LOG_DELIVERY,
    LOG_GROUP,
    METHOD_SETTINGS,
    REST_API,
    STAGE,
    USAGE_PLAN,
    WEB_ACL,
)

MANDATORY = {"cloudfront-https-redirect", "cloudfront-origin-https", "cloudfront-ttl-limits", "origin-secret-header",
             "api-requires-origin-secret", "origin-secret-accepted", "origin-guard-no-sampled-requests",
             "apigateway-regional-endpoint", "apigateway-predict-requires-key", "apigateway-usage-plan-throttled",
             "apigateway-backend-headers-stripped", "backends-only-via-api", "iam-role-bounded",
             "cloudfront-access-logs", "cloudfront-waf-managed-rules", "apigateway-request-validation",
             "apigateway-execution-logging", "lambda-reserved-concurrency", "log-group-retention",
             "route53-latency-health-checked", "cloudfront-no-origin-group-on-post", "regions-serve-same-models",
             "apigateway-domain-tls", "aws-quotas"}
ADVISORY = {"cloudfront-waf-attached", "cloudfront-viewer-tls", "cloudfront-security-headers",
            "apigateway-stage-observability", "lambda-tracing", "cloudfront-no-legacy-forwarding",
            "aws-quotas-headroom"}


def report_for(plan, pack, config_file=None):
    return evaluate(plan, config_file or policy_config_file(plan.environment), pack)


def outcome(report, name):
    return next(o for o in report.outcomes if o.name == name)


def test_the_pack_describes_itself_over_grpc(pack):
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "ml-edge-guardrails"
    assert {p.name for p in info.policies} == MANDATORY | ADVISORY
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert {n for n, level in levels.items() if level == 1} == MANDATORY  # 1 = MANDATORY, 0 = ADVISORY
    for policy in info.policies:
        assert policy.description and policy.remediation_steps
        for name, schema in policy.configSchema.properties.items():
            assert "default" in schema, f"{policy.name}.{name} has no default"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_environment_passes_its_mandatory_policies(plans, pack, env):
    report = report_for(plans[env], pack)
    assert not report.blocked, [o.violations for o in report.outcomes if o.violations]


def test_dev_warns_about_the_missing_waf(plans, pack):
    waf = outcome(report_for(plans["dev"], pack), "cloudfront-waf-attached")
    assert (waf.level, waf.result) == ("advisory", "warn")
    assert waf.violations == ["ml-edge-dev-edge (aws:cloudfront/distribution:Distribution): webAclId is not set; "
                              "allowed: a WAF web ACL (ml-edge:waf.enabled: true)"]


def test_prod_makes_every_advisory_policy_mandatory_but_the_quota_headroom(plans, pack):
    """aws-quotas-headroom is the warning before aws-quotas blocks: mandatory, it would block at 80 %."""
    report = report_for(plans["prod"], pack)
    levels = {o.name: o.level for o in report.outcomes}
    assert {n for n, level in levels.items() if level == "mandatory"} == MANDATORY | ADVISORY - {"aws-quotas-headroom"}
    assert levels["aws-quotas-headroom"] == "advisory"


def broken(plan, kind, change):
    copied = copy.deepcopy(plan)
    for resource in copied.of_type(kind):
        change(resource.inputs)
    return copied


DIST = DISTRIBUTION
UNSAFE_CHANGES = [
    ("cloudfront-https-redirect", DIST, lambda i: i["defaultCacheBehavior"].update(viewerProtocolPolicy="allow-all")),
    ("cloudfront-origin-https", DIST, lambda i: i["origins"][0]["customOriginConfig"].update(
        originProtocolPolicy="http-only")),
    ("cloudfront-ttl-limits", CACHE_POLICY, lambda i: i.update(maxTtl=86400,
                                                                                          defaultTtl=86400)),
    ("origin-secret-header", DIST, lambda i: i["origins"][0]["customHeaders"][0].update(value=Secret("short"))),
    ("api-requires-origin-secret", WEB_ACL, lambda i: i.update(defaultAction={"allow": {}})),
    ("apigateway-regional-endpoint", REST_API, lambda i: i.update(
        endpointConfiguration={"types": "EDGE"})),
    ("origin-guard-no-sampled-requests", WEB_ACL, lambda i: i["visibilityConfig"].update(
        sampledRequestsEnabled=True)),
    ("apigateway-predict-requires-key", REST_API, lambda i: i.update(
        body=json.dumps({**json.loads(i["body"]), "x-amazon-apigateway-api-key-source": "HEADER"}))),
    ("apigateway-usage-plan-throttled", USAGE_PLAN, lambda i: i["apiStages"][0].update(
        throttles=[{"path": "/models/iris/predict/POST", "rateLimit": 0, "burstLimit": 0}])),
    ("backends-only-via-api", LAMBDA_PERMISSION, lambda i: i.update(principal="*")),
    ("iam-role-bounded", IAM_ROLE, lambda i: i.pop("permissionsBoundary")),
    ("cloudfront-access-logs", LOG_DELIVERY, lambda i: i["recordFields"].append(
        "cs(Cookie)")),
    ("apigateway-request-validation", REST_API, lambda i: i.update(
        body=json.dumps({**json.loads(i["body"]), "x-amazon-apigateway-request-validators": {}}))),
    ("apigateway-execution-logging", METHOD_SETTINGS, lambda i: i["settings"].update(
        dataTraceEnabled=True)),
    ("lambda-reserved-concurrency", FUNCTION, lambda i: i.update(
        reservedConcurrentExecutions=-1)),
    ("log-group-retention", LOG_GROUP, lambda i: i.pop("retentionInDays")),
]


ALSO_BLOCKED = {"origin-secret-header": {"origin-secret-accepted"}}  # a new value CloudFront sends is not accepted


@pytest.mark.parametrize(("policy", "kind", "change"), UNSAFE_CHANGES, ids=[c[0] for c in UNSAFE_CHANGES])
def test_an_unsafe_change_is_blocked_by_its_policy(plans, pack, policy, kind, change):
    report = report_for(broken(plans["dev"], kind, change), pack)
    assert report.blocked
    assert {o.name for o in report.outcomes if o.result == "BLOCKED"} == {policy} | ALSO_BLOCKED.get(policy, set())
    assert all("ml-edge-dev-" in message for message in outcome(report, policy).violations)


def test_an_edge_web_acl_counting_the_log4j_rule_is_blocked(plans, pack):
    """Dev has no edge web ACL: staging's, with the known-bad-inputs group's Log4JRCE rule turned into count."""
    def count_log4j(inputs):
        for rule in inputs["rules"]:
            group = rule["statement"].get("managedRuleGroupStatement")
            if inputs["scope"] == "CLOUDFRONT" and group and group["name"] == "AWSManagedRulesKnownBadInputsRuleSet":
                group["ruleActionOverrides"] = [{"name": "Log4JRCE", "actionToUse": {"count": {}}}]
    report = report_for(broken(plans["staging"], WEB_ACL, count_log4j), pack)
    assert {o.name for o in report.outcomes if o.result == "BLOCKED"} == {"cloudfront-waf-managed-rules"}
    (violation,) = outcome(report, "cloudfront-waf-managed-rules").violations
    assert "ruleActionOverrides[0] is Log4JRCE → count" in violation


def test_no_violation_message_contains_the_secret(plans, pack):
    plan = broken(plans["prod"], DIST, lambda i: i["origins"][0]["customHeaders"][0].update(
        value=Secret("changeme-" * 5)))
    plan = broken(plan, WEB_ACL, lambda i: i.update(defaultAction={"allow": {}}))
    report = report_for(plan, pack)
    text = json.dumps([o.violations for o in report.outcomes])
    assert report.blocked and "changeme" not in text
    (header,) = distribution(plans["prod"])["origins"][0]["customHeaders"]
    assert header["value"].value not in text


def test_values_unknown_until_deploy_do_not_break_the_pack(plans, pack):
    plan = broken(plans["dev"], DIST, lambda i: (i["origins"][0].update(domainName=Unknown()),
                                                 i["origins"][0]["customHeaders"][0].update(value=Unknown())))
    assert not report_for(plan, pack).blocked


def test_unknown_api_wiring_is_judged_at_deploy(plans, pack):
    """A first preview knows neither the API's body, nor its id, nor the ARNs built from them."""
    plan = broken(plans["dev"], REST_API, lambda i: i.update(body=Unknown()))
    plan = broken(plan, STAGE, lambda i: i.update(restApi=Unknown(),
                                                                         clientCertificateId=Unknown()))
    plan = broken(plan, LAMBDA_PERMISSION, lambda i: i.update(sourceArn=Unknown()))
    report = report_for(plan, pack)
    for name in ("apigateway-predict-requires-key", "apigateway-backend-headers-stripped", "backends-only-via-api"):
        assert outcome(report, name).violations == [], name


# --- the environment's policy.json ------------------------------------------------------------------------------

def pack_config(tmp_path, config: dict):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize(("config", "problem"), [
    ({"cloudfront-ttl-limit": {"maxTtl": 60}},
     "cloudfront-ttl-limit: unknown policy (did you mean 'cloudfront-ttl-limits'?)"),
    ({"cloudfront-ttl-limits": {"maxTTL": 60}},
     "cloudfront-ttl-limits.maxTTL: unknown setting (did you mean 'maxTtl'?)"),
    ({"cloudfront-ttl-limits": {"maxTtl": "1h"}}, "cloudfront-ttl-limits.maxTtl: '1h' is not of type 'integer'"),
    ({"origin-secret-header": {"minLength": 8}}, "origin-secret-header.minLength: 8 is less than the minimum of 16"),
    ({"cloudfront-https-redirect": {"allowedViewerProtocolPolicies": ["allow-all"]}},
     "cloudfront-https-redirect.allowedViewerProtocolPolicies.0: 'allow-all' is not one of"),
    ({"cloudfront-waf-attached": "blocking"}, 'cloudfront-waf-attached: enforcement level "blocking" is not one of'),
    ({"all": {"maxTtl": 60}}, "all: only an enforcement level can apply to all policies"),
])
def test_a_bad_policy_config_names_the_policy_and_setting(pack, tmp_path, config, problem):
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    with pytest.raises(PolicyConfigError) as error:
        reconcile(info, config, pack_config(tmp_path, config))
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems


def test_defaults_all_and_per_policy_settings_combine_like_the_engine(pack, tmp_path):
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    config = {"all": "mandatory", "cloudfront-viewer-tls": "advisory", "cloudfront-ttl-limits": {"maxTtl": 60}}
    result = reconcile(info, config, pack_config(tmp_path, config))
    assert result["cloudfront-waf-attached"] == ("mandatory", {})
    assert result["cloudfront-viewer-tls"] == ("advisory", {"minimumProtocolVersion": "TLSv1.2_2021",
                                                         "requireCustomCertificate": False})
    assert result["cloudfront-ttl-limits"] == ("mandatory", {"maxTtl": 60, "inferencePathPattern": "/models/*/predict"})


def copy_environment(tmp_path, env: str, policy: dict | None = None):
    shutil.copytree(ENVIRONMENTS_DIR / env, tmp_path / env)
    if policy is not None:
        (tmp_path / env / "policy.json").write_text(json.dumps(policy))
    return tmp_path


def test_preview_exits_1_and_explains_a_mandatory_violation(tmp_path, capsys):
    environments = copy_environment(tmp_path, "dev", {"all": "mandatory"})
    assert preview.main(["--env", "dev", "--environments-dir", str(environments)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^  cloudfront-waf-attached +mandatory  BLOCKED \(1 violation\)$", out, re.MULTILINE)
    assert "  fix: Set ml-edge:waf.enabled: true" in out
    assert out.rstrip().endswith("BLOCKED: 1 mandatory violation, 0 advisory warnings")


def test_preview_exits_2_for_a_bad_policy_config(tmp_path, capsys):
    environments = copy_environment(tmp_path, "dev", {"cloudfront-ttl-limits": {"maxTtl": -5}})
    assert preview.main(["--env", "dev", "--environments-dir", str(environments)]) == 2
    assert "cloudfront-ttl-limits.maxTtl: -5 is less than the minimum of 0" in capsys.readouterr().err


def test_preview_exits_2_without_a_policy_config(tmp_path, capsys):
    environments = copy_environment(tmp_path, "dev")
    (environments / "dev" / "policy.json").unlink()
    assert preview.main(["--env", "dev", "--environments-dir", str(environments)]) == 2
    assert "policy.json: invalid policy pack config:\n  - missing" in capsys.readouterr().err


def test_preview_prints_the_policy_table(capsys):
    assert preview.main(["--env", "prod"]) == 0
    out = capsys.readouterr().out
    assert "Guardrails · ml-edge-guardrails · config prod/policy.json" in out
    for name in MANDATORY | ADVISORY:
        assert f"  {name} " in out
    assert out.rstrip().endswith("passed: no mandatory violation, 0 advisory warnings")


def test_policies_report_themselves_not_applicable_to_unrelated_resources(plans, pack):
    plan = plans["dev"]
    redirect = outcome(report_for(plan, pack), "cloudfront-https-redirect")
    distribution_urn = plan.one(DIST).urn
    assert plan.one(REST_API).urn in redirect.not_applicable
    assert distribution_urn not in redirect.not_applicable


def test_a_ttl_above_the_environments_limit_exits_1_naming_policy_and_fix(tmp_path, capsys):
    environments = copy_environment(tmp_path, "dev", {"cloudfront-ttl-limits": {"maxTtl": 30}})
    assert preview.main(["--env", "dev", "--environments-dir", str(environments)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^  cloudfront-ttl-limits +mandatory  BLOCKED \(1 violation\)$", out, re.MULTILINE)
    assert ("ml-edge-dev-edge-catalog (aws:cloudfront/cachePolicy:CachePolicy): maxTtl is 60; allowed: at most 30 "
            "seconds in this environment") in out
    assert "  fix: Lower the TTLs in ml-edge:cache of environments/<env>/Pulumi.<env>.yaml" in out


SEEDED = "seeded-secret-Zr7Qm2Kx9Vb4Lp6Nt8Wc1Yd3Fh5Jg0Hs"


def seeded(plan):
    def seed(inputs):
        for origin in inputs.get("origins", []):
            origin["customHeaders"][0]["value"] = Secret(SEEDED)
        for rule in inputs.get("rules", []):
            match = rule.get("statement", {}).get("byteMatchStatement")
            if match:
                match["searchString"] = Secret(SEEDED)
    plan = broken(plan, DIST, seed)
    return broken(plan, WEB_ACL, seed)


def test_a_seeded_secret_never_reaches_the_table_or_the_plan_text(plans, pack, monkeypatch, capsys):
    plan = broken(seeded(plans["dev"]), DIST, lambda i: i["defaultCacheBehavior"].update(
        viewerProtocolPolicy="allow-all", forwardedValues={"headers": [SEEDED]}))
    monkeypatch.setattr(offline, "plan_environment", lambda *args: plan)
    assert preview.main(["--env", "dev"]) == 1
    captured = capsys.readouterr()
    assert SEEDED not in captured.out + captured.err
    assert "BLOCKED" in captured.out


def test_a_seeded_secret_never_reaches_an_error_report(plans, monkeypatch, capsys):
    monkeypatch.setattr(offline, "plan_environment", lambda *args: seeded(plans["dev"]))

    def crash(*args):
        raise RuntimeError(f"analyzer failed on value {SEEDED}")
    monkeypatch.setattr(offline, "evaluate", crash)
    assert preview.main(["--env", "dev"]) == 3
    captured = capsys.readouterr()
    assert SEEDED not in captured.out + captured.err
    assert "analyzer failed on value [secret]" in captured.err
