"""The policy documents tools/bootstrap.sh applies, rendered from tools/bootstrap/policies/*.json with sample values
and captured by the stand-in `aws` CLI (test_deploy_bootstrap), checked for what the threat model relies on: no
role may do everything somewhere; the deploy roles create roles only inside their environment's permissions
boundary; an environment's roles reach neither another environment's resources nor its state or key (one shared
account) beyond the residue written down here; the preview and observe roles write nothing and the preview role
reads nothing but its own stack; every trust policy admits one environment and named pairs of calling and job
workflow of main (of pull requests, for previews); each environment's key names its own roles only; the state
bucket refuses plain HTTP.

Permissions are judged by a small evaluator of IAM's documented semantics (Action/NotAction, Resource/NotResource
with wildcards, the condition operators the documents use, an explicit Deny wins), so each test states a request
and whether AWS would allow it."""

import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from test_deploy_bootstrap import (
    ACCOUNT,
    REPOSITORY_ID,
    Bootstrap,
    add_environment,
    copy_of_the_tools,
    option,
)

from ml_edge import resource_types as types
from ml_edge.regions import MAX_REGIONS, REGIONS
from ml_edge.resource_types import LOG_GROUP

ENVS = ("dev", "staging", "prod")
STATE_BUCKET = f"ml-edge-pulumi-state-{ACCOUNT}"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
XRAY_WRITE = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
PROD_ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"  # environments/prod: customDomain, originDomain
PROD_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")  # environments/prod: ml-edge:regions
ORIGIN_NAME = "origin.ml-edge.example.com"  # environments/prod: ml-edge:originDomain
SUB, AUD = "token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:aud"


# --- a small evaluator of IAM policies --------------------------------------------------------------------------

def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _values_match(operator: str, wanted: list, actual: str) -> bool:
    if operator.startswith("Arn") or operator.endswith("Like"):
        return any(fnmatchcase(actual, pattern) for pattern in wanted)
    if operator.startswith("Numeric"):
        return any(float(actual) < float(limit) for limit in wanted)  # NumericLessThan, the one the documents use
    if operator == "Bool":
        return any(str(actual).lower() == str(value).lower() for value in wanted)
    return actual in wanted


def _condition_holds(operator: str, key: str, wanted, context: dict) -> bool:
    wanted = [str(value) for value in as_list(wanted)]
    qualifier, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if operator == "Null":
        return (key not in context) == (wanted == ["true"])
    negated = "Not" in operator
    base = operator.replace("Not", "")
    if key not in context:
        if qualifier == "ForAllValues":
            return True
        return if_exists or (negated and qualifier != "ForAnyValue")
    actual = [str(value) for value in as_list(context[key])]
    if qualifier == "ForAllValues":
        return all(_values_match(base, wanted, value) != negated for value in actual)
    if qualifier == "ForAnyValue":
        return any(_values_match(base, wanted, value) != negated for value in actual)
    return all(_values_match(base, wanted, value) != negated for value in actual)


def statement_applies(statement: dict, action: str, resource: str, context: dict) -> bool:
    if "Action" in statement:
        if not any(fnmatchcase(action.lower(), a.lower()) for a in as_list(statement["Action"])):
            return False
    elif any(fnmatchcase(action.lower(), a.lower()) for a in as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(fnmatchcase(resource, r) for r in as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(fnmatchcase(resource, r) for r in as_list(statement["NotResource"])):
        return False
    return all(_condition_holds(operator, key, wanted, context)
               for operator, pairs in statement.get("Condition", {}).items() for key, wanted in pairs.items())


def allowed(statements: list[dict], action: str, resource: str, **context) -> bool:
    applying = [s for s in statements if statement_applies(s, action, resource, context)]
    return any(s["Effect"] == "Allow" for s in applying) and not any(s["Effect"] == "Deny" for s in applying)


def tagged(env: str) -> dict:
    return {"aws:ResourceTag/environment": env}


# The IAM actions on roles whose request carries iam:PermissionsBoundary (the boundary the role has, or is given),
# per the Service Authorization Reference's IAM table (docs.aws.amazon.com/service-authorization/latest/reference/
# list_awsidentityandaccessmanagementiam.html, as of 2026-03). Older copies of that table (and alphagov/gsp#990,
# 2020) lack the key for UpdateAssumeRolePolicy, UpdateRole, UpdateRoleDescription and DeleteRole: a positive
# condition on a key the request does not carry never holds, so such a grant would deny always.
CARRY_THE_BOUNDARY = {"iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
                      "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
                      "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"}


def requested_region(resource: str) -> str | None:
    """The region of a regional ARN (`arn:aws:<service>:<region>:…`), None for `*` and global ARNs."""
    parts = resource.split(":")
    return parts[3] or None if len(parts) > 3 and parts[0] == "arn" else None


def request_context(action: str, resource: str, context: dict) -> dict:
    """What IAM puts in the request: no iam:PermissionsBoundary for an action that does not carry it, and
    aws:RequestedRegion, which every request carries (IAM User Guide, "AWS global condition context keys"): a call
    on a regional resource goes to that region's endpoint, so its region unless the test names another."""
    if action.lower().startswith("iam:") and action not in CARRY_THE_BOUNDARY:
        context = {k: v for k, v in context.items() if k != "iam:PermissionsBoundary"}
    region = requested_region(resource)
    return {"aws:RequestedRegion": region, **context} if region else context


# --- what the bootstrap applied ---------------------------------------------------------------------------------

@dataclass
class Applied:
    inline: dict[str, dict[str, dict]] = field(default_factory=dict)  # role → policy name → document
    managed: dict[str, dict] = field(default_factory=dict)  # customer managed policy name → its default version
    attached: dict[str, list[str]] = field(default_factory=dict)  # role → managed policy ARNs
    trust: dict[str, dict] = field(default_factory=dict)  # role → trust policy
    key_policies: dict[str, dict] = field(default_factory=dict)  # alias → key policy
    key_arns: dict[str, str] = field(default_factory=dict)  # alias → key ARN
    bucket_policy: dict = field(default_factory=dict)

    def statements(self, role: str) -> list[dict]:
        """Every statement of the role's permissions: inline policies and attached customer managed ones."""
        docs = list(self.inline.get(role, {}).values())
        docs += [self.managed[arn.rsplit("/", 1)[1]] for arn in self.attached.get(role, []) if ":aws:policy" not in arn]
        return [s for doc in docs for s in doc["Statement"]]

    def may(self, role: str, action: str, resource: str, **context) -> bool:
        return allowed(self.statements(role), action, resource, **request_context(action, resource, context))

    def documents(self) -> list[dict]:
        return [*[d for p in self.inline.values() for d in p.values()], *self.managed.values(), *self.trust.values(),
                *self.key_policies.values(), self.bucket_policy]


def applied_by(bootstrap: Bootstrap) -> Applied:
    applied = Applied()
    targets = {}
    for call in bootstrap.calls:
        args = call["args"]
        command = " ".join(args[:2])
        if command == "kms create-alias":
            targets[option(call, "--target-key-id")] = option(call, "--alias-name")
        elif command == "kms put-key-policy":
            arn = option(call, "--key-id")
            alias = targets[arn.rsplit("/", 1)[1]]
            applied.key_policies[alias], applied.key_arns[alias] = call["docs"][0], arn
        elif command == "iam put-role-policy":
            applied.inline.setdefault(option(call, "--role-name"), {})[option(call, "--policy-name")] = call["docs"][0]
        elif command == "iam create-policy":
            applied.managed[option(call, "--policy-name")] = call["docs"][0]
        elif command == "iam create-policy-version":
            applied.managed[option(call, "--policy-arn").rsplit("/", 1)[1]] = call["docs"][0]
        elif command == "iam attach-role-policy":
            applied.attached.setdefault(option(call, "--role-name"), []).append(option(call, "--policy-arn"))
        elif command in ("iam create-role", "iam update-assume-role-policy"):
            applied.trust[option(call, "--role-name")] = call["docs"][0]
        elif command == "s3api put-bucket-policy":
            applied.bucket_policy = call["docs"][0]
    return applied


@pytest.fixture(scope="module")
def shared_account(standard_bootstrap) -> Applied:
    """dev, staging and prod bootstrapped into one account (the case where only the policies keep them apart)."""
    return applied_by(standard_bootstrap)


def boundary(env: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/ml-edge-{env}-boundary"


def stack_object(env: str, path: str = "stacks/ml-edge/{env}.json") -> str:
    return f"arn:aws:s3:::{STATE_BUCKET}/.pulumi/{path.format(env=env)}"


def lock_object(env: str) -> str:
    return stack_object(env, "locks/organization/ml-edge/{env}/3f2a.json")


def api(path: str, region: str = "eu-west-1") -> str:
    return f"arn:aws:apigateway:{region}::{path}"


def pipeline_roles(env: str) -> list[str]:
    return [f"ml-edge-deploy-{env}", f"ml-edge-observe-{env}", *([] if env == "prod" else [f"ml-edge-preview-{env}"])]


# --- no wildcard grants ------------------------------------------------------------------------------------------

# actions AWS authorises on "*" only (no resource-level permissions), each needed by pulumi or the program's roles.
# acm:RequestCertificate and route53:CreateHealthCheck: the Service Authorization Reference's ACM and Route 53 tables
# (a machine-readable copy: iann0036/iam-dataset aws/iam_definition.json) list no resource type for them;
# RequestCertificate takes acm:DomainNames, acm:ValidationMethod and aws:RequestTag, CreateHealthCheck no condition.
WITHOUT_RESOURCE_LEVEL = {"sts:GetCallerIdentity", "logs:DescribeLogGroups", "acm:ListCertificates",
                          "logs:PutResourcePolicy", "logs:DeleteResourcePolicy", "logs:DescribeResourcePolicies",
                          "cloudfront:CreateCachePolicy", "cloudfront:CreateDistribution", "acm:RequestCertificate",
                          "route53:CreateHealthCheck",
                          "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                          "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries", "cloudwatch:PutMetricData"}


def test_every_document_is_fully_rendered(shared_account):
    for document in shared_account.documents():
        assert "{{" not in json.dumps(document)
    assert set(shared_account.trust) == {*(r for env in ENVS for r in pipeline_roles(env)),
                                         "ml-edge-apigateway-cloudwatch"}


def test_no_role_may_do_everything_and_only_actions_without_resource_level_permissions_apply_to_every_resource(
        shared_account):
    checked = 0
    for role in [*(r for env in ENVS for r in pipeline_roles(env))]:
        for statement in shared_account.statements(role):
            if statement["Effect"] != "Allow":
                continue
            actions = as_list(statement["Action"])
            assert not [a for a in actions if a == "*" or a.endswith(":*")], (role, statement.get("Sid"))
            if "*" in as_list(statement["Resource"]):
                assert set(actions) <= WITHOUT_RESOURCE_LEVEL, (role, statement.get("Sid"))
            checked += 1
    for env in ENVS:
        for statement in shared_account.managed[f"ml-edge-{env}-boundary"]["Statement"]:
            if "*" in as_list(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= WITHOUT_RESOURCE_LEVEL
    assert checked > 50
    # the "*" creates are still pinned to the environment by their request tags, a certificate to the origin name
    (create,) = [s for s in shared_account.statements("ml-edge-deploy-dev")
                 if "cloudfront:CreateDistribution" in as_list(s["Action"])]
    assert create["Condition"] == {"StringEquals": {"aws:RequestTag/environment": "dev"}}
    (request,) = [s for s in shared_account.statements("ml-edge-deploy-prod")
                  if "acm:RequestCertificate" in as_list(s["Action"])]
    assert request["Condition"] == {
        "StringEquals": {"aws:RequestTag/environment": "prod", "acm:ValidationMethod": "DNS",
                         "aws:RequestedRegion": list(PROD_REGIONS)},
        "ForAllValues:StringEquals": {"acm:DomainNames": [ORIGIN_NAME]}, "Null": {"acm:DomainNames": "false"}}
    # Route 53's CreateHealthCheck takes no condition: only an environment with an origin domain gets it
    creates_health_checks = {env for env in ENVS for s in shared_account.statements(f"ml-edge-deploy-{env}")
                             if "route53:CreateHealthCheck" in as_list(s["Action"])}
    assert creates_health_checks == {"prod"}


# --- IAM: the deploy role cannot mint an administrator -----------------------------------------------------------

GRANTING = {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary",
            "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"}


@pytest.mark.parametrize("env", ENVS)
def test_iam_grants_name_the_environments_roles_and_require_its_boundary(shared_account, env):
    roles = f"arn:aws:iam::{ACCOUNT}:role/ml-edge-{env}-*"
    iam_allows = [s for s in shared_account.statements(f"ml-edge-deploy-{env}")
                  if s["Effect"] == "Allow" and any(a.startswith("iam:") for a in as_list(s["Action"]))]
    assert iam_allows
    for statement in iam_allows:
        assert as_list(statement["Resource"]) == [roles], statement["Sid"]
        actions = set(as_list(statement["Action"]))
        if actions & GRANTING:
            assert statement["Condition"]["StringEquals"]["iam:PermissionsBoundary"] == boundary(env)
        if "iam:AttachRolePolicy" in actions:
            assert statement["Condition"]["ArnEquals"] == {"iam:PolicyARN": [XRAY_WRITE]}
        if "iam:PassRole" in actions:
            assert actions == {"iam:PassRole"}
            assert set(as_list(statement["Condition"]["StringEquals"]["iam:PassedToService"])) == {
                "lambda.amazonaws.com", "apigateway.amazonaws.com"}
    for kind in ("observe", "preview"):
        role = f"ml-edge-{kind}-{env}"
        assert not any(a.startswith("iam:") and not a.startswith(("iam:Get", "iam:List"))
                       for s in shared_account.statements(role) if s["Effect"] == "Allow" for a in as_list(s["Action"]))


def test_the_deploy_role_cannot_mint_an_administrator(shared_account):
    deploy, own_role = "ml-edge-deploy-dev", f"arn:aws:iam::{ACCOUNT}:role/ml-edge-dev-api-iris-role-abc1234"
    inside = {"iam:PermissionsBoundary": boundary("dev")}
    assert shared_account.may(deploy, "iam:CreateRole", own_role, **inside)
    assert not shared_account.may(deploy, "iam:CreateRole", own_role)  # without a boundary
    assert not shared_account.may(deploy, "iam:CreateRole", own_role, **{"iam:PermissionsBoundary": boundary("prod")})
    assert not shared_account.may(deploy, "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/admin", **inside)
    assert shared_account.may(deploy, "iam:AttachRolePolicy", own_role, **inside, **{"iam:PolicyARN": XRAY_WRITE})
    assert not shared_account.may(deploy, "iam:AttachRolePolicy", own_role, **inside,
                                  **{"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"})
    assert shared_account.may(deploy, "iam:PutRolePolicy", own_role, **inside)
    assert not shared_account.may(deploy, "iam:PutRolePolicy", own_role)  # a role created without the boundary
    assert not shared_account.may(deploy, "iam:DeleteRolePermissionsBoundary", own_role, **inside)
    assert shared_account.may(deploy, "iam:PassRole", own_role, **{"iam:PassedToService": "lambda.amazonaws.com"})
    assert not shared_account.may(deploy, "iam:PassRole", own_role, **{"iam:PassedToService": "ec2.amazonaws.com"})
    for pipeline in ("ml-edge-deploy-dev", "ml-edge-deploy-prod", "ml-edge-apigateway-cloudwatch"):
        assert not shared_account.may(deploy, "iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{pipeline}", **inside)
    assert not shared_account.may(deploy, "iam:CreatePolicyVersion", boundary("dev"))


@pytest.mark.parametrize("env", ENVS)
def test_every_boundary_condition_is_on_an_action_whose_request_carries_the_boundary(shared_account, env):
    for statement in shared_account.statements(f"ml-edge-deploy-{env}"):
        keys = {key for pairs in statement.get("Condition", {}).values() for key in pairs}
        if "iam:PermissionsBoundary" in keys and statement["Effect"] == "Allow":
            assert set(as_list(statement["Action"])) <= CARRY_THE_BOUNDARY, statement["Sid"]


def test_the_deploy_role_may_update_its_roles_trust_and_description_inside_its_boundary_only(shared_account):
    """Pulumi updates a program role's trust policy, description and session length in place: allowed on the
    environment's roles that carry its boundary (every role the deploy role can create or change does: the boundary
    cannot be removed or swapped), refused on a role named like them without it (made by hand: rewriting its trust
    would let whoever it names in beyond the boundary), on other environments' and on the pipeline's roles."""
    deploy, own_role = "ml-edge-deploy-dev", f"arn:aws:iam::{ACCOUNT}:role/ml-edge-dev-api-iris-role-abc1234"
    inside = {"iam:PermissionsBoundary": boundary("dev")}
    for action in ("iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"):
        assert shared_account.may(deploy, action, own_role, **inside), action
        assert not shared_account.may(deploy, action, own_role), action
        assert not shared_account.may(deploy, action, own_role, **{"iam:PermissionsBoundary": boundary("staging")})
        assert not shared_account.may(deploy, action, own_role.replace("-dev-", "-staging-"),
                                      **{"iam:PermissionsBoundary": boundary("dev")}), action
        for pipeline in ("ml-edge-deploy-dev", "ml-edge-observe-dev", "ml-edge-apigateway-cloudwatch"):
            assert not shared_account.may(deploy, action, f"arn:aws:iam::{ACCOUNT}:role/{pipeline}", **inside)
    # the boundary stays: neither removed nor swapped
    assert not shared_account.may(deploy, "iam:DeleteRolePermissionsBoundary", own_role, **inside)
    assert not shared_account.may(deploy, "iam:PutRolePermissionsBoundary", own_role,
                                  **{"iam:PermissionsBoundary": boundary("prod")})


def test_the_deploy_roles_guard_holds_even_against_a_future_broader_grant(shared_account):
    """The explicit denies keep the invariants should someone widen the deploy role (AdministratorAccess here)."""
    everything = [{"Effect": "Allow", "Action": "*", "Resource": "*"}, *shared_account.statements("ml-edge-deploy-dev")]
    for action, resource, context in [
        ("kms:Decrypt", shared_account.key_arns["alias/ml-edge-prod"], {}),
        ("s3:GetObject", stack_object("prod"), {}),
        ("s3:GetObject", "arn:aws:s3:::any-bucket/data.csv", {}),
        ("s3:DeleteObjectVersion", stack_object("dev"), {}),  # the state's history
        ("s3:PutBucketPolicy", f"arn:aws:s3:::{STATE_BUCKET}", {}),
        ("s3:PutBucketVersioning", f"arn:aws:s3:::{STATE_BUCKET}", {}),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/ml-edge-deploy-dev", {}),  # its own permissions
        ("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/ml-edge-deploy-prod", {}),
        ("iam:CreatePolicyVersion", boundary("dev"), {}),
        ("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/ml-edge-dev-deploy-api", {}),
        ("iam:UpdateOpenIDConnectProviderThumbprint", OIDC, {}),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/anything", {}),  # without the boundary
        ("iam:DeleteRolePermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:role/ml-edge-dev-x", {}),
        ("cloudfront:UntagResource", f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1",
         {"aws:TagKeys": ["environment"]}),
    ]:
        assert not allowed(everything, action, resource, **context), action


@pytest.mark.parametrize("env", ENVS)
def test_the_boundary_allows_only_what_the_programs_roles_do(shared_account, env):
    region = "us-east-1" if env == "prod" else "eu-west-1"
    statements = shared_account.managed[f"ml-edge-{env}-boundary"]["Statement"]
    assert {a for s in statements for a in as_list(s["Action"])} == {
        "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
        "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries",
        *(["sagemaker:InvokeEndpoint"] if env == "prod" else [])}  # only prod's stack file names an endpoint
    own_group = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/ml-edge/{env}/authorizer:log-stream:2026/x"
    assert allowed(statements, "logs:PutLogEvents", own_group)
    for other_region in set(PROD_REGIONS) - {region}:  # each region's functions log in their region
        assert allowed(statements, "logs:PutLogEvents", own_group.replace(region, other_region)) == (env == "prod")
    assert not allowed(statements, "logs:PutLogEvents", own_group.replace(region, OUTSIDE))
    other = "staging" if env != "staging" else "dev"
    assert not allowed(statements, "logs:PutLogEvents", own_group.replace(f"/{env}/", f"/{other}/"))
    assert not allowed(statements, "iam:CreateRole", "*") and not allowed(statements, "s3:GetObject", "*")


@pytest.mark.parametrize("env", ENVS)
def test_the_boundary_lets_the_programs_roles_invoke_the_stack_files_sagemaker_endpoints_only(shared_account, env):
    """A shared account's other endpoints (another team's model, another environment's) stay out of reach even of a
    role the deploy role creates; the names come from the stack file the administrator bootstraps, not from the
    pipeline."""
    region = "us-east-1" if env == "prod" else "eu-west-1"
    statements = shared_account.managed[f"ml-edge-{env}-boundary"]["Statement"]
    endpoint = f"arn:aws:sagemaker:{region}:{ACCOUNT}:endpoint/"
    assert allowed(statements, "sagemaker:InvokeEndpoint", endpoint + "churn-xgb-prod") == (env == "prod")
    for other in ("fraud-model-of-another-team", "churn-xgb-staging", "churn-xgb-prod-v2"):
        assert not allowed(statements, "sagemaker:InvokeEndpoint", endpoint + other)
    for other_region in PROD_REGIONS[1:]:  # prod's endpointName is one name for every region of ml-edge:regions
        assert allowed(statements, "sagemaker:InvokeEndpoint",
                       f"arn:aws:sagemaker:{other_region}:{ACCOUNT}:endpoint/churn-xgb-prod") == (env == "prod")
    elsewhere = f"arn:aws:sagemaker:{'ap-northeast-1' if env == 'prod' else 'us-east-1'}:{ACCOUNT}:endpoint/"
    assert not allowed(statements, "sagemaker:InvokeEndpoint", elsewhere + "churn-xgb-prod")


SAGEMAKER_MODELS = """config:
  aws:region: eu-west-1
  ml-edge:regions: [eu-west-1, us-east-2]
  ml-edge:originDomain: {name: origin.qa.example.com, hostedZoneId: Z0QA}
  ml-edge:models:
    - name: churn
      backend: sagemaker
      endpointName: Churn-XGB  # SageMaker ARNs spell the name in lowercase; one name for every region
    - endpointName:
        eu-west-1: "fraud-v2"
        us-east-2: fraud-v2-ohio
      name: fraud
      backend: sagemaker
    - {name: third, backend: sagemaker, endpointName: third}
"""


def test_the_boundary_names_every_endpoint_of_the_stack_file_in_its_regions_and_a_name_it_cannot_use_stops_it(
        tmp_path):
    """The stack file is read as YAML (gitops/stacks/bootstrap_inputs.py), so flow style is read like block style
    and a per-region map of endpoint names gives each region its own; a value that cannot be an endpoint name stops
    the bootstrap before any change, naming the key and the file."""
    root = copy_of_the_tools(tmp_path)
    add_environment(root, "qa", SAGEMAKER_MODELS)
    (tmp_path / "stand-ins").mkdir()
    bootstrap = Bootstrap(tmp_path / "stand-ins")
    result = bootstrap.run("qa", root=root)
    assert result.returncode == 0, result.stderr
    (invoke,) = [s for s in applied_by(bootstrap).managed["ml-edge-qa-boundary"]["Statement"]
                 if s["Action"] == "sagemaker:InvokeEndpoint"]
    endpoint = f"arn:aws:sagemaker:{{}}:{ACCOUNT}:endpoint/{{}}".format
    assert invoke["Resource"] == [endpoint("eu-west-1", "churn-xgb"), endpoint("eu-west-1", "fraud-v2"),
                                  endpoint("eu-west-1", "third"), endpoint("us-east-2", "churn-xgb"),
                                  endpoint("us-east-2", "fraud-v2-ohio"), endpoint("us-east-2", "third")]
    assert ("SageMaker endpoints they may invoke (the stack file's; re-run after changing them): Churn-XGB fraud-v2 "
            "fraud-v2-ohio third") in result.stdout
    stack = root / "environments" / "qa" / "Pulumi.qa.yaml"
    stack.write_text(SAGEMAKER_MODELS.replace("endpointName: third}", "endpointName: third_model}"))
    result = bootstrap.run("qa", root=root)
    assert result.returncode != 0
    assert ("error: environments/qa/Pulumi.qa.yaml: ml-edge:models[2].endpointName: expected a SageMaker endpoint "
            "name") in result.stderr
    assert bootstrap.calls == []


# --- environments in one account stay apart ----------------------------------------------------------------------

# statements whose resources cannot name an environment, and why they cannot be abused across environments
UNSCOPED = {
    "ApiOtherTags": "API Gateway's tagging resource has no tag condition: tags other than `environment` only",
    "ApiTags": "reading API Gateway tags (no secret)",
    "WebAclStages": "association with a stage also needs apigateway:SetWebACL on it, which is tag-scoped",
    "ManagedRuleGroups": "AWS's managed rule groups, referenced by the edge web ACL",
    "CachePolicies": "CloudFront cannot tag cache policies and names them by id (documented gap)",
    "Certificates": "reading certificate metadata (CloudFront's viewer certificate)",
    "WaitForTheChange": "Route 53 names changes by id",
    "NoResourceLevel": "actions AWS authorises on * only",
    "LogResourcePolicies": "CloudWatch Logs authorises resource policies on * only (the edge access-log group's)",
    "WhoAmI": "sts:GetCallerIdentity",
    "SmokeHeartbeat": "cloudwatch:PutMetricData is authorised on * only; pinned to the environment's namespace",
    "HealthCheckCreate": "route53:CreateHealthCheck is authorised on * only, with no condition key",
    "HealthChecks": "Route 53 names health checks by id and has no tag condition keys (documented residue)",
}


def origin_custom_domains(name: str = ORIGIN_NAME) -> list[str]:
    """The origin name's API Gateway custom domains and their base path mappings, in any region: the name is the
    environment's own (its stack file's ml-edge:originDomain), as its hosted zone is."""
    return [f"arn:aws:apigateway:*::/domainnames/{name}", f"arn:aws:apigateway:*::/domainnames/{name}/*"]


def names_environment(resource: str, env: str) -> bool:
    return any(marker in resource for marker in (f"ml-edge-{env}-", f"/ml-edge/{env}/", f"/{env}.", f"/{env}/"))


@pytest.mark.parametrize(("env", "role"), [(env, role) for env in ENVS for role in pipeline_roles(env)])
def test_every_grant_names_the_environment_or_is_pinned_to_its_tag(shared_account, env, role):
    key = shared_account.key_arns[f"alias/ml-edge-{env}"]
    for statement in shared_account.statements(role):
        if statement["Effect"] != "Allow" or statement["Sid"] in UNSCOPED:
            continue
        resources = as_list(statement["Resource"])
        conditions = {k: v for pairs in statement.get("Condition", {}).values() for k, v in pairs.items()}
        strictly = statement.get("Condition", {}).get("StringEquals", {})
        pinned = env in (strictly.get("aws:ResourceTag/environment"), strictly.get("aws:RequestTag/environment"))
        own = (key, f"arn:aws:s3:::{STATE_BUCKET}/.pulumi/meta.yaml",  # the state layout's version: no secret
               *([PROD_ZONE, *origin_custom_domains()] if env == "prod" else []))
        scoped = all(names_environment(r, env) or r in own for r in resources) or \
            all(names_environment(p, env) for p in as_list(conditions.get("s3:prefix", "-"))) or \
            conditions.get("kms:ViaService", "").startswith("s3.") and \
            all(names_environment(r, env) or r in own for r in as_list(conditions["kms:EncryptionContext:aws:s3:arn"]))
        assert pinned or scoped, (role, statement["Sid"])
        others = [o for o in ENVS if o != env]
        assert not any(names_environment(r, o) for r in resources for o in others), (role, statement["Sid"])


def test_devs_deploy_role_cannot_touch_staging_in_the_same_region_nor_prod(shared_account):
    dev = "ml-edge-deploy-dev"
    assert not shared_account.may(dev, "apigateway:PUT", api("/restapis/a1b2c3"), **tagged("staging"))
    assert not shared_account.may(dev, "apigateway:PUT", api("/restapis/a1b2c3"))  # untagged: not the program's
    assert not shared_account.may(dev, "apigateway:PATCH", api("/restapis/a1b2c3/stages/v1"), **tagged("staging"))
    assert not shared_account.may(dev, "apigateway:GET", api("/apikeys/k1"), **tagged("staging"))  # a key's value
    assert not shared_account.may(dev, "apigateway:GET", api("/apikeys"))  # every key's value
    assert not shared_account.may(dev, "apigateway:SetWebACL", api("/restapis/a1/stages/v1"), **tagged("staging"))
    assert not shared_account.may(dev, "apigateway:POST", api("/restapis"), **{"aws:RequestTag/environment": "staging"})
    assert not shared_account.may(dev, "apigateway:PATCH", api("/restapis/d1"), **tagged("dev"),
                                  **{"aws:RequestTag/environment": "staging"})
    assert not shared_account.may(dev, "apigateway:PUT", api("/tags/arn%3Aaws%3Aapigateway"),
                                  **{"aws:TagKeys": ["environment"], "aws:RequestTag/environment": "dev"})
    distribution = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E123"
    assert not shared_account.may(dev, "cloudfront:GetDistributionConfig", distribution, **tagged("prod"))
    assert not shared_account.may(dev, "cloudfront:UpdateDistribution", distribution, **tagged("prod"))
    assert not shared_account.may(dev, "cloudfront:TagResource", distribution, **tagged("prod"),
                                  **{"aws:RequestTag/environment": "dev"})
    assert not shared_account.may(dev, "cloudfront:UntagResource", distribution, **tagged("dev"),
                                  **{"aws:TagKeys": ["environment"]})
    assert not shared_account.may(dev, "lambda:UpdateFunctionCode",
                                  f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:ml-edge-staging-authorizer-x1")
    assert not shared_account.may(dev, "wafv2:UpdateWebACL",
                                  f"arn:aws:wafv2:eu-west-1:{ACCOUNT}:regional/webacl/ml-edge-staging-api-origin-guard-x/1")
    assert not shared_account.may(dev, "wafv2:UpdateWebACL",
                                  f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/ml-edge-prod-edge-waf-x/1")
    execution_logs = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:API-Gateway-Execution-Logs_a1/v1"
    assert not shared_account.may(dev, "logs:DeleteLogGroup", execution_logs, **tagged("staging"))
    assert not shared_account.may(dev, "logs:TagResource", execution_logs, **tagged("staging"),
                                  **{"aws:RequestTag/environment": "dev"})
    assert not shared_account.may(dev, "logs:PutRetentionPolicy",
                                  f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/ml-edge/staging/authorizer")
    assert not shared_account.may(dev, "s3:GetObject", stack_object("staging"), **{"s3:ResourceAccount": ACCOUNT})
    assert not shared_account.may(dev, "kms:Decrypt", shared_account.key_arns["alias/ml-edge-staging"])
    # and what it does to its own environment is allowed
    assert shared_account.may(dev, "apigateway:PUT", api("/restapis/d1"), **tagged("dev"))
    assert shared_account.may(dev, "apigateway:POST", api("/restapis"), **{"aws:RequestTag/environment": "dev"})
    assert shared_account.may(dev, "apigateway:DELETE", api("/restapis/d1/stages/v1/cache/authorizers"),
                              **tagged("dev"))
    assert shared_account.may(dev, "cloudfront:CreateInvalidation", distribution, **tagged("dev"))
    assert shared_account.may(dev, "cloudfront:CreateDistribution", "*", **{"aws:RequestTag/environment": "dev"})
    assert shared_account.may(dev, "cloudfront:TagResource", distribution, **{"aws:RequestTag/environment": "dev"})
    assert shared_account.may(dev, "lambda:UpdateFunctionCode",
                              f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:ml-edge-dev-authorizer-x1")
    assert shared_account.may(dev, "logs:CreateLogGroup", execution_logs, **{"aws:RequestTag/environment": "dev"})
    assert shared_account.may(dev, "logs:TagResource", execution_logs, **{"aws:RequestTag/environment": "dev"})
    assert shared_account.may(dev, "logs:PutRetentionPolicy", execution_logs, **tagged("dev"))
    assert shared_account.may(dev, "wafv2:AssociateWebACL", api("/restapis/d1/stages/v1"))
    assert shared_account.may(dev, "lambda:AddPermission",
                              f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:ml-edge-dev-api-iris-x",
                              **{"lambda:Principal": "apigateway.amazonaws.com"})
    assert not shared_account.may(dev, "lambda:AddPermission",
                                  f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:ml-edge-dev-api-iris-x",
                                  **{"lambda:Principal": "*"})


# What dev's deploy role may still do in one shared account to what is not dev's, each request named; README.md
# ("What a shared account leaves open") says the same. Anything else on that list is refused.
SHARED_ACCOUNT_RESIDUE = {
    "change any cache policy", "delete any cache policy", "read any cache policy", "create cache policies",
    "tag an untagged distribution as its own", "tag an untagged execution-log group as its own",
    "create another API's execution-log group first",
    "add another tag to another environment's API", "remove another tag from another environment's API",
    "read any API's tags", "associate a web ACL on WAF's side with another environment's stage",
    "read any certificate's metadata", "list log groups", "list certificates",
    "replace any log group's resource policy in us-east-1", "tag an untagged log delivery as its own",
}


def test_what_a_shared_account_still_leaves_open_to_devs_deploy_role_is_the_documented_residue(shared_account):
    dev, region = "ml-edge-deploy-dev", "eu-west-1"
    distribution = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E9OTHER"
    cache_policy = f"arn:aws:cloudfront::{ACCOUNT}:cache-policy/658327ea-f89d-4fab-a63d-7e88639e58f6"
    execution_logs = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:API-Gateway-Execution-Logs_s7g1ng/v1"
    staging_api_tags = api("/tags/arn%3Aaws%3Aapigateway%3Aeu-west-1%3A%3A%2Frestapis%2Fs7g1ng")
    claim_dev = {"aws:RequestTag/environment": "dev", "aws:TagKeys": ["environment"]}
    staging_delivery = f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery:s7g1ngD3l1v3ry"
    probes = {
        "change any cache policy": ("cloudfront:UpdateCachePolicy", cache_policy, {}),
        "delete any cache policy": ("cloudfront:DeleteCachePolicy", cache_policy, {}),
        "read any cache policy": ("cloudfront:GetCachePolicy", cache_policy, {}),
        "create cache policies": ("cloudfront:CreateCachePolicy", "*", {}),
        "tag an untagged distribution as its own": ("cloudfront:TagResource", distribution, claim_dev),
        "change an untagged distribution": ("cloudfront:UpdateDistribution", distribution, {}),
        "change a staging distribution": ("cloudfront:UpdateDistribution", distribution, tagged("staging")),
        "read a staging distribution's config": ("cloudfront:GetDistributionConfig", distribution, tagged("staging")),
        "tag a staging distribution as its own": ("cloudfront:TagResource", distribution,
                                                  {**tagged("staging"), **claim_dev}),
        "tag an untagged execution-log group as its own": ("logs:TagResource", execution_logs, claim_dev),
        "create another API's execution-log group first": ("logs:CreateLogGroup", execution_logs, claim_dev),
        "delete an untagged execution-log group": ("logs:DeleteLogGroup", execution_logs, {}),
        "shorten a staging execution-log group's retention": ("logs:PutRetentionPolicy", execution_logs,
                                                             tagged("staging")),
        "add another tag to another environment's API": ("apigateway:PUT", staging_api_tags,
                                                         {"aws:TagKeys": ["owner"]}),
        "remove another tag from another environment's API": ("apigateway:DELETE", staging_api_tags,
                                                               {"aws:TagKeys": ["owner"]}),
        "retag another environment's API": ("apigateway:PUT", staging_api_tags,
                                            {"aws:TagKeys": ["environment"], "aws:RequestTag/environment": "dev"}),
        "read any API's tags": ("apigateway:GET", staging_api_tags, {}),
        "change a staging API": ("apigateway:PATCH", api("/restapis/s7g1ng"), tagged("staging")),
        "attach a web ACL to a staging stage on API Gateway's side": ("apigateway:SetWebACL",
                                                                      api("/restapis/s7g1ng/stages/v1"),
                                                                      tagged("staging")),
        "associate a web ACL on WAF's side with another environment's stage": (
            "wafv2:AssociateWebACL", api("/restapis/s7g1ng/stages/v1"), {}),
        "read any certificate's metadata": ("acm:DescribeCertificate",
                                            f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/other", {}),
        "list log groups": ("logs:DescribeLogGroups", "*", {}),
        "list certificates": ("acm:ListCertificates", "*", {}),
        "replace any log group's resource policy in us-east-1": ("logs:PutResourcePolicy", "*",
                                                                  {"aws:RequestedRegion": "us-east-1"}),
        "replace a log group's resource policy elsewhere": ("logs:PutResourcePolicy", "*",
                                                            {"aws:RequestedRegion": region}),
        "tag an untagged log delivery as its own": ("logs:TagResource", staging_delivery, claim_dev),
        "delete a staging log delivery": ("logs:DeleteDelivery", staging_delivery, tagged("staging")),
        "point a delivery destination at staging's log group": (
            "logs:PutDeliveryDestination", f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-destination:ml-edge-dev-x",
            {"logs:DeliveryDestinationResourceArn":
             f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ml-edge/staging/edge-access"}),
        "vend a staging distribution's logs": ("cloudfront:AllowVendedLogDeliveryForResource", distribution,
                                               tagged("staging")),
        "invoke a staging function": ("lambda:InvokeFunction",
                                      f"arn:aws:lambda:{region}:{ACCOUNT}:function:ml-edge-staging-authorizer", {}),
        "read another team's logs": ("logs:GetLogEvents", execution_logs, tagged("dev")),
    }
    reachable = {name for name, (action, resource, context) in probes.items()
                 if shared_account.may(dev, action, resource, **context)}
    assert reachable == SHARED_ACCOUNT_RESIDUE


# And what an environment with an origin domain (prod: several regions) may do besides, in a shared account; README.md
# ("What one shared account leaves open") says the same.
ORIGIN_DOMAIN_RESIDUE = {
    "create health checks", "change any health check", "delete any health check", "tag any health check",
    "tag an untagged certificate of its regions as its own", "create a custom domain of another name",
}


def test_what_a_shared_account_leaves_open_to_an_environment_with_an_origin_domain_is_the_documented_residue(
        shared_account):
    """Route 53 authorises CreateHealthCheck on * only and has no tag condition keys (Service Authorization
    Reference, Route 53), ACM's RequestCertificate needs AddTagsToCertificate on the new, untagged certificate (its
    dependent action), and API Gateway's create of a custom domain names no domain in its resource."""
    prod, region = "ml-edge-deploy-prod", "eu-west-1"
    health_check = "arn:aws:route53:::healthcheck/0a1b2c3d-other-team"
    certificate = f"arn:aws:acm:{region}:{ACCOUNT}:certificate/other"
    claim_prod = {"aws:RequestTag/environment": "prod", "aws:TagKeys": ["environment"]}
    other_domain = f"arn:aws:apigateway:{region}::/domainnames/api.other-team.example.com"
    probes = {
        "create health checks": ("route53:CreateHealthCheck", "*", {}),
        "change any health check": ("route53:UpdateHealthCheck", health_check, {}),
        "delete any health check": ("route53:DeleteHealthCheck", health_check, {}),
        "tag any health check": ("route53:ChangeTagsForResource", health_check, {}),
        "tag an untagged certificate of its regions as its own": ("acm:AddTagsToCertificate", certificate,
                                                                  claim_prod),
        "tag an untagged certificate elsewhere as its own": ("acm:AddTagsToCertificate",
                                                             certificate.replace(region, OUTSIDE), claim_prod),
        "retag a staging certificate": ("acm:AddTagsToCertificate", certificate, {**tagged("staging"), **claim_prod}),
        "delete an untagged certificate": ("acm:DeleteCertificate", certificate, {}),
        "delete a staging certificate": ("acm:DeleteCertificate", certificate, tagged("staging")),
        "request a certificate for another name": ("acm:RequestCertificate", "*", {
            **claim_prod, "aws:RequestedRegion": region, "acm:ValidationMethod": "DNS",
            "acm:DomainNames": ["api.other-team.example.com"]}),
        "create a custom domain of another name": ("apigateway:POST", f"arn:aws:apigateway:{region}::/domainnames",
                                                   claim_prod),
        "change a custom domain of another name": ("apigateway:PATCH", other_domain, {}),
        "map a path of a custom domain of another name": ("apigateway:POST", f"{other_domain}/basepathmappings", {}),
        "change an alarm of another team": ("cloudwatch:PutMetricAlarm",
                                            f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:checkout-5xx", {}),
    }
    reachable = {name for name, (action, resource, context) in probes.items()
                 if shared_account.may(prod, action, resource, **context)}
    assert reachable == ORIGIN_DOMAIN_RESIDUE


def edge_access_log_calls(plan) -> list[tuple[str, str, dict]]:
    """The calls pulumi-aws makes to create, read, update and delete the edge's access-log resources the environment's
    plan names (CloudFront standard logging v2 into CloudWatch Logs, program/ml_edge/edge_logs.py), each with the
    resource IAM judges it on (the Service Authorization Reference: CreateDelivery and UpdateDeliveryConfiguration
    on the delivery, its source and its destination; resource policies on * only) and the request's context: the
    tags the provider sends (aws:defaultTags) and, once a resource exists, the tags it has."""
    env = plan.environment
    logs = f"arn:aws:logs:us-east-1:{ACCOUNT}"
    group = next(g.inputs["name"] for g in plan.of_type(LOG_GROUP)
                 if g.inputs.get("region") == "us-east-1" and g.inputs["name"].endswith("/edge-access"))
    source = f"{logs}:delivery-source:{plan.one('aws:cloudwatch/logDeliverySource:LogDeliverySource').inputs['name']}"
    destination = (f"{logs}:delivery-destination:"
                   f"{plan.one('aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination').inputs['name']}")
    delivery, group_arn = f"{logs}:delivery:AbCdEf0123456789", f"{logs}:log-group:{group}"
    distribution = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2EXAMPLE"
    creating = {"aws:RequestTag/environment": env, "aws:TagKeys": ["environment", "project"]}
    existing = tagged(env)
    in_us_east_1 = {"aws:RequestedRegion": "us-east-1"}
    return [
        ("logs:CreateLogGroup", group_arn, creating), ("logs:TagResource", group_arn, creating),
        ("logs:PutRetentionPolicy", group_arn, existing), ("logs:ListTagsForResource", group_arn, existing),
        ("logs:DeleteLogGroup", group_arn, existing),
        ("logs:PutResourcePolicy", "*", in_us_east_1), ("logs:DescribeResourcePolicies", "*", in_us_east_1),
        ("logs:DeleteResourcePolicy", "*", in_us_east_1),
        ("cloudfront:AllowVendedLogDeliveryForResource", distribution, existing),
        ("logs:PutDeliverySource", source, creating), ("logs:TagResource", source, creating),
        ("logs:GetDeliverySource", source, existing), ("logs:ListTagsForResource", source, existing),
        ("logs:DeleteDeliverySource", source, existing),
        ("logs:PutDeliveryDestination", destination, {**creating, "logs:DeliveryDestinationResourceArn": group_arn}),
        ("logs:GetDeliveryDestination", destination, existing), ("logs:ListTagsForResource", destination, existing),
        ("logs:DeleteDeliveryDestination", destination, {}),
        *[("logs:CreateDelivery", arn, creating) for arn in (delivery, source, destination)],
        ("logs:TagResource", delivery, creating), ("logs:GetDelivery", delivery, existing),
        ("logs:ListTagsForResource", delivery, existing), ("logs:DeleteDelivery", delivery, existing),
        *[("logs:UpdateDeliveryConfiguration", arn, existing) for arn in (delivery, source, destination)],
        ("logs:UntagResource", delivery, {**existing, "aws:TagKeys": ["project"]}),
    ]


@pytest.mark.parametrize("env", ENVS)
def test_the_deploy_role_may_set_up_its_edges_access_logs_and_no_other_environment_may(shared_account, plans, env):
    """CloudFront standard logging v2: us-east-1 whatever the API's region (dev and staging are in eu-west-1)."""
    calls = edge_access_log_calls(plans[env])
    for action, resource, context in calls:
        assert shared_account.may(f"ml-edge-deploy-{env}", action, resource, **context), (action, resource)
    for other in (o for o in ENVS if o != env):
        reachable = [(action, resource) for action, resource, context in calls
                     if shared_account.may(f"ml-edge-deploy-{other}", action, resource, **context)]
        # what is left: resource policies (no resource-level permissions; in the shared-account residue)
        assert reachable == [("logs:PutResourcePolicy", "*"), ("logs:DescribeResourcePolicies", "*"),
                             ("logs:DeleteResourcePolicy", "*")], (other, reachable)


def test_a_delivery_destination_may_point_only_at_the_environments_own_log_groups(shared_account):
    deploy = "ml-edge-deploy-dev"
    destination = f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-destination:ml-edge-dev-edge-x"
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ml-edge/dev/edge-access"
    assert shared_account.may(deploy, "logs:PutDeliveryDestination", destination,
                              **{"logs:DeliveryDestinationResourceArn": group})
    for elsewhere in (group.replace("/dev/", "/prod/"), f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:audit",
                      "arn:aws:s3:::someone-elses-bucket", group.replace("us-east-1", "eu-west-1")):
        assert not shared_account.may(deploy, "logs:PutDeliveryDestination", destination,
                                      **{"logs:DeliveryDestinationResourceArn": elsewhere}), elsewhere


@pytest.mark.parametrize("env", ENVS)
def test_the_observe_role_reads_the_edges_access_log_resources_as_a_refresh_does(shared_account, plans, env):
    reads = [(a, r, c) for a, r, c in edge_access_log_calls(plans[env])
             if a.split(":")[1].startswith(("Get", "List", "Describe"))]
    assert len(reads) == 8
    for action, resource, context in reads:
        assert shared_account.may(f"ml-edge-observe-{env}", action, resource, **context), (action, resource)
    other = "staging" if env != "staging" else "dev"
    delivery = f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery:AbCdEf0123456789"
    assert not shared_account.may(f"ml-edge-observe-{other}", "logs:GetDelivery", delivery, **tagged(env))


def test_only_an_environment_with_a_hosted_zone_may_change_records_and_only_its_domains_alias_records(
        shared_account):
    zone = PROD_ZONE
    change = {"route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA"],
              "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["api.ml-edge.example.com"]}
    prod = "ml-edge-deploy-prod"
    assert shared_account.may(prod, "route53:ChangeResourceRecordSets", zone, **change)
    assert not shared_account.may(prod, "route53:ChangeResourceRecordSets", zone,
                                  **{**change, "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]})
    assert not shared_account.may(prod, "route53:ChangeResourceRecordSets", zone, **{
        **change, "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["mail.ml-edge.example.com"]})
    assert not shared_account.may(prod, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/ZOTHER",
                                  **change)
    assert not any(a.startswith("route53:") for s in shared_account.statements("ml-edge-deploy-dev")
                   for a in as_list(s.get("Action", [])) if s["Effect"] == "Allow")


# --- every region of ml-edge:regions, and no other ----------------------------------------------------------------

OUTSIDE = "us-west-2"  # a region of no environment
IN_REGION_TYPES = {types.REST_API, types.DEPLOYMENT, types.STAGE, types.METHOD_SETTINGS, types.CLIENT_CERTIFICATE,
                   types.API_KEY, types.API_DOMAIN_NAME, types.BASE_PATH_MAPPING, types.USAGE_PLAN,
                   types.USAGE_PLAN_KEY, types.WEB_ACL, types.WEB_ACL_ASSOCIATION, types.CERTIFICATE,
                   types.CERTIFICATE_VALIDATION, types.FUNCTION, types.LAMBDA_PERMISSION, types.LOG_GROUP,
                   types.METRIC_ALARM, types.EVENT_RULE, types.EVENT_TARGET, types.FUNCTION_EVENT_INVOKE_CONFIG}
# what lives in us-east-1 whatever the regions (the edge: deploy-edge-iam.json), or in no region (IAM, Route 53)
EDGE_OR_GLOBAL_TYPES = {types.DISTRIBUTION, types.CACHE_POLICY, types.LOG_DELIVERY_SOURCE,
                        types.LOG_DELIVERY_DESTINATION, types.LOG_DELIVERY, types.LOG_RESOURCE_POLICY, types.IAM_ROLE,
                        types.IAM_ROLE_POLICY, types.IAM_ROLE_POLICY_ATTACHMENT, types.DNS_RECORD, types.HEALTH_CHECK,
                        types.RANDOM_PASSWORD}


def creating_calls(plan, resource) -> list[tuple[str, str, dict]]:
    """The calls pulumi-aws makes to create the resource in its region, each with the resource IAM judges it on
    (Service Authorization Reference: API Gateway's resources are its paths, ACM's RequestCertificate and Route 53's
    CreateHealthCheck authorise on * only) and the request's context: the tags the provider sends (aws:defaultTags:
    every taggable create carries `environment`), and, on a part of a tagged API, the API's tags."""
    region, inputs, env = plan.region_of(resource), resource.inputs, plan.environment
    creating = {"aws:RequestTag/environment": env, "aws:TagKeys": ["environment", "project", "managed-by"]}
    existing = tagged(env)
    apigateway = f"arn:aws:apigateway:{region}::"
    name = inputs.get("name")
    match resource.type:
        case types.REST_API:
            return [("apigateway:POST", f"{apigateway}/restapis", creating),
                    ("apigateway:PUT", f"{apigateway}/restapis/a1b2c3", existing)]  # the OpenAPI body
        case types.DEPLOYMENT:
            return [("apigateway:POST", f"{apigateway}/restapis/{inputs['restApi']}/deployments", existing)]
        case types.STAGE:
            return [("apigateway:POST", f"{apigateway}/restapis/{inputs['restApi']}/stages", {**existing, **creating})]
        case types.METHOD_SETTINGS:
            return [("apigateway:PATCH", f"{apigateway}/restapis/{inputs['restApi']}/stages/{inputs['stageName']}",
                     existing)]
        case types.CLIENT_CERTIFICATE | types.API_KEY | types.USAGE_PLAN:
            collection = {types.CLIENT_CERTIFICATE: "clientcertificates", types.API_KEY: "apikeys",
                          types.USAGE_PLAN: "usageplans"}[resource.type]
            return [("apigateway:POST", f"{apigateway}/{collection}", creating)]
        case types.USAGE_PLAN_KEY:
            return [("apigateway:POST", f"{apigateway}/usageplans/{inputs['usagePlanId']}/keys", existing)]
        case types.API_DOMAIN_NAME:
            return [("apigateway:POST", f"{apigateway}/domainnames", creating),
                    ("apigateway:GET", f"{apigateway}/domainnames/{inputs['domainName']}", existing)]
        case types.BASE_PATH_MAPPING:
            return [("apigateway:POST", f"{apigateway}/domainnames/{inputs['domainName']}/basepathmappings", {})]
        case types.WEB_ACL:
            return [("wafv2:CreateWebACL", f"arn:aws:wafv2:{region}:{ACCOUNT}:regional/webacl/{name}/1d", creating)]
        case types.WEB_ACL_ASSOCIATION:
            return [("wafv2:AssociateWebACL", inputs["webAclArn"] + "/1d", {}),
                    ("wafv2:AssociateWebACL", inputs["resourceArn"], {}),
                    ("apigateway:SetWebACL", inputs["resourceArn"], existing)]
        case types.CERTIFICATE:
            certificate = f"arn:aws:acm:{region}:{ACCOUNT}:certificate/0a1b2c3d"
            return [("acm:RequestCertificate", "*", {**creating, "aws:RequestedRegion": region,
                                                     "acm:DomainNames": [inputs["domainName"]],
                                                     "acm:ValidationMethod": inputs["validationMethod"]}),
                    ("acm:AddTagsToCertificate", certificate, creating),  # RequestCertificate's dependent action
                    ("acm:DescribeCertificate", certificate, existing)]
        case types.CERTIFICATE_VALIDATION:
            return [("acm:DescribeCertificate", inputs["certificateArn"], existing)]
        case types.FUNCTION:
            function = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
            # the provider sets reserved concurrency with its own call after CreateFunction (PutFunctionConcurrency)
            reserved = [("lambda:PutFunctionConcurrency", function, existing)] \
                if "reservedConcurrentExecutions" in inputs else []
            return [("lambda:CreateFunction", function, creating), *reserved]
        case types.LAMBDA_PERMISSION:
            return [("lambda:AddPermission", f"arn:aws:lambda:{region}:{ACCOUNT}:function:{inputs['function']}",
                     {"lambda:Principal": inputs["principal"]})]
        case types.LOG_GROUP:
            group = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}"
            return [("logs:CreateLogGroup", group, creating), ("logs:PutRetentionPolicy", group, existing)]
        case types.METRIC_ALARM:
            return [("cloudwatch:PutMetricAlarm", f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}", creating)]
        case types.EVENT_RULE:  # the region canary's schedule (EventBridge Service Authorization Reference: rule/)
            rule = f"arn:aws:events:{region}:{ACCOUNT}:rule/{name}"
            return [("events:PutRule", rule, creating), ("events:TagResource", rule, creating),
                    ("events:DescribeRule", rule, existing), ("events:ListTagsForResource", rule, existing)]
        case types.FUNCTION_EVENT_INVOKE_CONFIG:
            function = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{inputs['functionName']}"
            return [("lambda:PutFunctionEventInvokeConfig", function, {}),
                    ("lambda:GetFunctionEventInvokeConfig", function, {})]
        case types.EVENT_TARGET:
            rule = f"arn:aws:events:{region}:{ACCOUNT}:rule/{inputs['rule']}"
            return [("events:PutTargets", rule, {}), ("events:ListTargetsByRule", rule, {})]
    raise AssertionError(f"no calls known for {resource.type}: add them here and the grants to the bootstrap")


def in_another_region(call: tuple[str, str, dict], region: str, other: str) -> tuple[str, str, dict]:
    action, resource, context = call
    moved = resource.replace(f":{region}:", f":{other}:")
    return action, moved, {**context, **({"aws:RequestedRegion": other} if resource == "*" else {})}


def regional_resources(plan) -> list:
    """The plan's resources that live in one region of ml-edge:regions. Not the edge's, in us-east-1 whatever the
    regions: its WAF (CloudFront's scope, deploy-api.json's EdgeWebAcl) and its access-log group
    (deploy-edge-iam.json, test_the_deploy_role_may_set_up_its_edges_access_logs…). A type creating_calls does
    not know fails the test that uses it."""
    return [r for r in plan.resources if r.type.startswith("aws:") and r.type not in EDGE_OR_GLOBAL_TYPES
            and r.inputs.get("scope") != "CLOUDFRONT" and not str(r.inputs.get("name")).endswith("/edge-access")]




def test_the_deploy_role_may_create_each_regional_resource_in_each_of_prods_regions_and_in_no_other(
        shared_account, plans):
    """prod runs in three regions (ml-edge:regions): each regional resource its plan creates, in whichever region it
    is placed, is allowed to prod's deploy role; the same calls in a region outside the list, and by another
    environment's deploy role, are refused (aws:RequestedRegion, IAM User Guide "AWS global condition context
    keys": the region a request is made to, every request carries it)."""
    plan, deploy = plans["prod"], "ml-edge-deploy-prod"
    resources = regional_resources(plan)
    types_per_region = {region: {r.type for r in resources if plan.region_of(r) == region} for region in PROD_REGIONS}
    for region in PROD_REGIONS:  # every kind of regional resource in every region
        assert types_per_region[region] == IN_REGION_TYPES, region
    checked = 0
    for resource in resources:
        region, calls = plan.region_of(resource), creating_calls(plan, resource)
        for action, arn, context in calls:
            assert shared_account.may(deploy, action, arn, **context), (resource.name, region, action, arn)
            action, moved, context = in_another_region((action, arn, context), region, OUTSIDE)
            assert not shared_account.may(deploy, action, moved, **context), (resource.name, action, moved)
            checked += 1
        # another environment cannot make it (a single call may be shared-account residue, such as WAF's side of
        # an association; a certificate validation only reads, and any certificate's metadata in us-east-1 is)
        writes = [(a, r, c) for a, r, c in calls if not a.split(":")[1].startswith(("Get", "Describe", "List"))]
        assert not writes or not all(shared_account.may("ml-edge-deploy-staging", a, r, **c) for a, r, c in writes), \
            resource.name
    assert checked > 100


def test_the_region_canarys_schedule_is_prods_own_in_each_of_its_regions(shared_account, plans):
    """The canary's EventBridge rule and its invoke permission (deploy-origin.json, attached only with an
    originDomain): prod's deploy role may make them in each of its regions, not in another region, not under another
    environment's prefix, and may let no other principal invoke; another environment's roles may not touch prod's
    rules; prod's observe role reads them and changes nothing."""
    plan = plans["prod"]
    rules = {plan.region_of(r): r.inputs["name"] for r in plan.of_type(types.EVENT_RULE)}
    assert sorted(rules) == sorted(PROD_REGIONS)
    for region, name in rules.items():
        rule = f"arn:aws:events:{region}:{ACCOUNT}:rule/{name}"
        staging_rule = rule.replace(":rule/ml-edge-prod-", ":rule/ml-edge-staging-")
        function = f"arn:aws:lambda:{region}:{ACCOUNT}:function:ml-edge-prod-canary-{region}-abc1234"
        for action in ("events:PutRule", "events:PutTargets", "events:DeleteRule", "events:RemoveTargets"):
            assert shared_account.may("ml-edge-deploy-prod", action, rule), (action, rule)
            assert not shared_account.may("ml-edge-deploy-prod", action, rule.replace(f":{region}:", f":{OUTSIDE}:"))
            assert not shared_account.may("ml-edge-deploy-prod", action, staging_rule), (action, staging_rule)
            assert not shared_account.may("ml-edge-deploy-staging", action, rule), (action, rule)
            assert not shared_account.may("ml-edge-observe-prod", action, rule), (action, rule)
        assert shared_account.may("ml-edge-deploy-prod", "lambda:AddPermission", function,
                                  **{"lambda:Principal": "events.amazonaws.com"})
        assert not shared_account.may("ml-edge-deploy-prod", "lambda:AddPermission", function,
                                      **{"lambda:Principal": "sns.amazonaws.com"})
        for action in ("events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource"):
            assert shared_account.may("ml-edge-observe-prod", action, rule), (action, rule)
            assert not shared_account.may("ml-edge-observe-staging", action, rule), (action, rule)


def test_dev_and_staging_may_create_their_regional_resources_in_their_one_region_only(shared_account, plans):
    for env in ("dev", "staging"):
        plan = plans[env]
        for resource in regional_resources(plan):
            region = plan.region_of(resource)
            assert region == "eu-west-1"
            for call in creating_calls(plan, resource):
                assert shared_account.may(f"ml-edge-deploy-{env}", call[0], call[1], **call[2]), (env, call)
                moved = in_another_region(call, region, "ap-southeast-1")  # one of prod's, not theirs
                assert not shared_account.may(f"ml-edge-deploy-{env}", moved[0], moved[1], **moved[2]), (env, moved)


def normalized(record_name: str) -> str:
    """route53:ChangeResourceRecordSetsNormalizedRecordNames: lower case, without the trailing dot (Route 53
    Developer Guide, "Using IAM policy conditions for fine-grained access control")."""
    return record_name.lower().removesuffix(".")


def record_change(name: str, kind: str) -> dict:
    return {"route53:ChangeResourceRecordSetsNormalizedRecordNames": [normalized(name)],
            "route53:ChangeResourceRecordSetsRecordTypes": [kind],
            "route53:ChangeResourceRecordSetsActions": ["CREATE"]}


def test_the_deploy_role_may_change_only_the_origin_names_records_and_its_validation_record_in_the_origin_zone(
        shared_account, plans):
    plan, deploy, change = plans["prod"], "ml-edge-deploy-prod", "route53:ChangeResourceRecordSets"
    records = [r for r in plan.of_type(types.DNS_RECORD) if normalized(r.inputs["name"]).endswith(ORIGIN_NAME)]
    assert sorted(r.inputs["type"] for r in records) == ["A", "A", "A", "CNAME"]  # a latency record per region
    for record in records:
        zone = f"arn:aws:route53:::hostedzone/{record.inputs['zoneId']}"
        assert shared_account.may(deploy, change, zone, **record_change(record.inputs["name"], record.inputs["type"]))
    validation = next(r.inputs["name"] for r in records if r.inputs["type"] == "CNAME")
    assert validation.startswith("_")
    for name, kind in [(ORIGIN_NAME, "TXT"), (ORIGIN_NAME, "CNAME"), (ORIGIN_NAME, "AAAA"),
                       (f"www.{ORIGIN_NAME}", "A"), ("mail.ml-edge.example.com", "A"),
                       ("_0a1b2c.api.ml-edge.example.com", "CNAME"),  # another name's validation record
                       ("_0a1b2c.ml-edge.example.com", "CNAME"), (validation, "TXT")]:
        assert not shared_account.may(deploy, change, PROD_ZONE, **record_change(name, kind)), (name, kind)
    mixed = {"route53:ChangeResourceRecordSetsNormalizedRecordNames": [ORIGIN_NAME, "mail.ml-edge.example.com"],
             "route53:ChangeResourceRecordSetsRecordTypes": ["A"]}
    assert not shared_account.may(deploy, change, PROD_ZONE, **mixed)  # a batch smuggling another name in
    assert not shared_account.may(deploy, change, "arn:aws:route53:::hostedzone/ZOTHER",
                                  **record_change(ORIGIN_NAME, "A"))
    for other in ("dev", "staging"):
        assert not shared_account.may(f"ml-edge-deploy-{other}", change, PROD_ZONE, **record_change(ORIGIN_NAME, "A"))


def test_only_an_environment_with_an_origin_domain_gets_origin_grants_and_they_name_its_origin(shared_account):
    """Certificates for the origin name only (acm:DomainNames, DNS validation), tagged for the environment; custom
    domains of that name only; health checks, which Route 53 cannot scope (no resource-level CreateHealthCheck, no
    tag condition keys), only for an environment that has an origin domain (the shared-account residue)."""
    prod, request = "ml-edge-deploy-prod", "acm:RequestCertificate"
    asking = {"aws:RequestTag/environment": "prod", "acm:ValidationMethod": "DNS", "aws:RequestedRegion": "eu-west-1"}
    assert shared_account.may(prod, request, "*", **asking, **{"acm:DomainNames": [ORIGIN_NAME]})
    for refused in ({**asking, "acm:DomainNames": ["api.ml-edge.example.com"]},
                    {**asking, "acm:DomainNames": [ORIGIN_NAME, "evil.example.com"]},
                    {**asking, "acm:ValidationMethod": "EMAIL", "acm:DomainNames": [ORIGIN_NAME]},
                    {**asking, "aws:RequestTag/environment": "dev", "acm:DomainNames": [ORIGIN_NAME]},
                    {**asking, "aws:RequestedRegion": OUTSIDE, "acm:DomainNames": [ORIGIN_NAME]},
                    asking):  # no domain names at all
        assert not shared_account.may(prod, request, "*", **refused), refused
    certificate = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/0a1b2c3d"
    assert shared_account.may(prod, "acm:DeleteCertificate", certificate, **tagged("prod"))
    assert not shared_account.may(prod, "acm:DeleteCertificate", certificate, **tagged("staging"))
    assert not shared_account.may(prod, "acm:DeleteCertificate", certificate)  # untagged: not the program's
    assert not shared_account.may(prod, "acm:RemoveTagsFromCertificate", certificate, **tagged("prod"),
                                  **{"aws:TagKeys": ["environment"]})
    domain = f"arn:aws:apigateway:eu-west-1::/domainnames/{ORIGIN_NAME}"
    assert shared_account.may(prod, "apigateway:DELETE", domain)
    assert not shared_account.may(prod, "apigateway:DELETE", domain.replace(ORIGIN_NAME, "api.ml-edge.example.com"))
    for env in ("dev", "staging"):
        deploy = f"ml-edge-deploy-{env}"
        assert not shared_account.may(deploy, request, "*", **{**asking, "aws:RequestTag/environment": env,
                                                               "acm:DomainNames": [ORIGIN_NAME]})
        assert not shared_account.may(deploy, "route53:CreateHealthCheck", "*")
        assert not shared_account.may(deploy, "apigateway:POST", "arn:aws:apigateway:eu-west-1::/domainnames",
                                      **{"aws:RequestTag/environment": env})
    assert shared_account.may(prod, "route53:CreateHealthCheck", "*")
    assert shared_account.may(prod, "route53:DeleteHealthCheck", "arn:aws:route53:::healthcheck/abcdef01")


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_the_observe_role_reads_prods_regional_resources_in_each_of_its_regions(shared_account, region):
    """The nightly drift check refreshes every resource of the stack: each region's API, functions, logs, web ACL,
    alarm, certificate and custom domain; the guard's OnlyReads lets those reads through, and nothing outside the
    regions is read."""
    observe, env = "ml-edge-observe-prod", tagged("prod")
    reads = [("apigateway:GET", api("/restapis/a1b2c3", region), env),
             ("apigateway:GET", api(f"/domainnames/{ORIGIN_NAME}/basepathmappings/v1", region), {}),
             ("lambda:GetFunction", f"arn:aws:lambda:{region}:{ACCOUNT}:function:ml-edge-prod-authorizer-x", {}),
             ("logs:ListTagsForResource", f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/ml-edge/prod/authorizer", {}),
             ("wafv2:GetWebACL", f"arn:aws:wafv2:{region}:{ACCOUNT}:regional/webacl/ml-edge-prod-api-guard-x/1", {}),
             ("cloudwatch:DescribeAlarms", f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:ml-edge-prod-{region}"
                                           "-origin-5xx", {}),
             ("acm:DescribeCertificate", f"arn:aws:acm:{region}:{ACCOUNT}:certificate/0a1b2c3d", env)]
    for action, resource, context in reads:
        assert shared_account.may(observe, action, resource, **context), (action, resource)
        assert not shared_account.may(observe, action, resource.replace(region, OUTSIDE), **context), action
    assert shared_account.may(observe, "route53:GetHealthCheck", "arn:aws:route53:::healthcheck/abcdef01")
    assert shared_account.may(observe, "cloudwatch:DescribeAlarms",
                              f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:ml-edge-prod-smoke-heartbeat")


# --- state: each role its own stack; the preview and observe roles write nothing ---------------------------------

def test_the_deploy_role_writes_its_own_stack_only(shared_account):
    dev = "ml-edge-deploy-dev"
    for path in ("stacks/ml-edge/{env}.json", "stacks/ml-edge/{env}.json.bak",
                 "history/ml-edge/{env}/{env}-1700000000.history.json",
                 "backups/ml-edge/{env}/{env}.1700000000.json", "locks/organization/ml-edge/{env}/3f2a.json"):
        assert shared_account.may(dev, "s3:PutObject", stack_object("dev", path), **{"s3:ResourceAccount": ACCOUNT})
        assert not shared_account.may(dev, "s3:PutObject", stack_object("prod", path),
                                      **{"s3:ResourceAccount": ACCOUNT})
        assert not shared_account.may(dev, "s3:PutObject", stack_object("dev-eu", path),
                                      **{"s3:ResourceAccount": ACCOUNT})
    assert shared_account.may(dev, "s3:DeleteObject", lock_object("dev"), **{"s3:ResourceAccount": ACCOUNT})
    assert not shared_account.may(dev, "s3:DeleteObject", stack_object("dev", "history/ml-edge/{env}/h.json"),
                                  **{"s3:ResourceAccount": ACCOUNT})
    assert not shared_account.may(dev, "s3:PutObject", stack_object("dev", "meta.yaml"),
                                  **{"s3:ResourceAccount": ACCOUNT})
    assert not shared_account.may(dev, "s3:DeleteObjectVersion", stack_object("dev"))
    assert not shared_account.may(dev, "s3:PutObject", f"arn:aws:s3:::{STATE_BUCKET}/.pulumi/stacks/ml-edge/dev.json",
                                  **{"s3:ResourceAccount": "999999999999"})  # a same-named bucket elsewhere


# Pulumi's DIY backend locks a stack for update, refresh, destroy and import, not for preview (Preview in
# pkg/backend/diy/backend.go calls no Lock), and `pulumi preview --refresh` is a preview: neither role needs to write.
@pytest.mark.parametrize("env", ("dev", "staging"))
def test_the_preview_role_reads_its_own_stack_and_nothing_else(shared_account, env):
    role = f"ml-edge-preview-{env}"
    actions = {a for s in shared_account.statements(role) if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    assert actions == {"s3:ListBucket", "s3:GetObject", "kms:Decrypt", "sts:GetCallerIdentity"}
    account = {"s3:ResourceAccount": ACCOUNT}
    assert shared_account.may(role, "s3:GetObject", stack_object(env), **account)
    assert shared_account.may(role, "s3:GetObject", stack_object(env, "meta.yaml"), **account)
    # every preview and update reads the stack's tags object, which exists only once a tag was set
    tags = stack_object(env, "stacks/ml-edge/{env}.pulumi-tags")
    assert shared_account.may(role, "s3:GetObject", tags, **account)
    assert shared_account.may(role, "s3:ListBucket", f"arn:aws:s3:::{STATE_BUCKET}",
                              **account, **{"s3:prefix": tags.split(":::", 1)[1].split("/", 1)[1]})
    assert shared_account.may(role, "s3:ListBucket", f"arn:aws:s3:::{STATE_BUCKET}",
                              **account, **{"s3:prefix": f".pulumi/stacks/ml-edge/{env}.json"})
    assert not shared_account.may(role, "s3:ListBucket", f"arn:aws:s3:::{STATE_BUCKET}",
                                  **account, **{"s3:prefix": ".pulumi/stacks/"})
    assert not shared_account.may(role, "s3:GetObject", stack_object("prod"), **account)
    assert not shared_account.may(role, "s3:GetObject", "arn:aws:s3:::some-other-bucket/data.csv", **account)
    assert not shared_account.may(role, "s3:PutObject", lock_object(env), **account)  # preview takes no lock
    assert shared_account.may(role, "kms:Decrypt", shared_account.key_arns[f"alias/ml-edge-{env}"])
    assert not shared_account.may(role, "kms:Decrypt", shared_account.key_arns["alias/ml-edge-prod"])
    assert not shared_account.may(role, "kms:Decrypt", shared_account.key_arns["alias/ml-edge-pulumi"])  # directly


READ_ONLY_ACCESS = [{"Effect": "Allow", "Action": ["*:Get*", "*:List*", "*:Describe*"], "Resource": "*"}]


@pytest.mark.parametrize("env", ("dev", "staging"))
def test_the_preview_role_is_explicitly_denied_secret_bearing_reads(shared_account, env):
    """Each by a Deny of its own, which wins even over ReadOnlyAccess attached to the role again."""
    statements = shared_account.statements(f"ml-edge-preview-{env}")
    denies = {s["Sid"]: s for s in statements if s["Effect"] == "Deny"}
    for action, resource, sid in [
        ("apigateway:GET", api("/apikeys/k1"), "NoSecretBearingReads"),  # an API key's value
        ("apigateway:GET", api("/apikeys"), "NoSecretBearingReads"),
        ("wafv2:GetWebACL", f"arn:aws:wafv2:eu-west-1:{ACCOUNT}:regional/webacl/ml-edge-{env}-api-origin-guard-x/1",
         "NoSecretBearingReads"),  # the origin secret
        ("cloudfront:GetDistributionConfig", f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1",
         "NoSecretBearingReads"),  # the origin secret, again
        ("lambda:GetFunction", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:ml-edge-{env}-authorizer-x",
         "NoSecretBearingReads"),
        ("secretsmanager:GetSecretValue", "*", "NoSecretBearingReads"),
        ("logs:GetLogEvents", "*", "NoSecretBearingReads"),
        ("s3:GetObject", "arn:aws:s3:::any-bucket/any-object", "NoOtherStateObjects"),
        ("s3:GetObject", stack_object("prod"), "NoOtherStateObjects"),
        ("kms:Decrypt", shared_account.key_arns["alias/ml-edge-prod"], "NoOtherKeys"),
    ]:
        assert statement_applies(denies[sid], action, resource, tagged(env)), (action, sid)
        assert not allowed(READ_ONLY_ACCESS + statements, action, resource, **tagged(env)), action


@pytest.mark.parametrize("env", ENVS)
def test_the_observe_role_reads_what_a_refresh_reads_and_writes_nothing(shared_account, env):
    role, region = f"ml-edge-observe-{env}", "us-east-1" if env == "prod" else "eu-west-1"
    statements = shared_account.statements(role)
    allows = {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    reads = re.compile(r"^[a-z0-9-]+:(Get|List|Describe)|^apigateway:GET$|^s3:(GetObject|ListBucket)$|^kms:Decrypt$")
    # its one write, the smoke heartbeat, is checked in test_the_observe_role_publishes_only_the_smoke_heartbeat
    assert all(reads.match(action) for action in allows - {HEARTBEAT}), sorted(a for a in allows if not reads.match(a))
    (only_reads,) = [s for s in statements if s.get("Sid") == "OnlyReads"]
    assert all(reads.match(action) for action in set(only_reads["NotAction"]) - {HEARTBEAT})
    for action in allows:  # the guard denies every write, and none of the reads the role needs
        assert any(fnmatchcase(action.lower(), a.lower()) for a in only_reads["NotAction"]), action
    assert shared_account.may(role, "apigateway:GET", api("/apikeys/k1", region), **tagged(env))  # refresh reads it
    assert not shared_account.may(role, "apigateway:GET", api("/apikeys/k1", region), **tagged("staging" if env !=
                                                                                              "staging" else "dev"))
    assert shared_account.may(role, "cloudfront:GetDistribution", f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1",
                              **tagged(env))
    assert not shared_account.may(role, "s3:PutObject", lock_object(env), **{"s3:ResourceAccount": ACCOUNT})
    assert not shared_account.may(role, "apigateway:PATCH", api("/restapis/a1", region), **tagged(env))
    # another environment's secrets stay out of reach even with ReadOnlyAccess attached to the role again
    other = "staging" if env != "staging" else "dev"
    for action, resource in [
            ("apigateway:GET", api("/apikeys/k1", region)), ("apigateway:GET", api("/apikeys", region)),
            ("cloudfront:GetDistributionConfig", f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"),
            ("wafv2:GetWebACL", f"arn:aws:wafv2:eu-west-1:{ACCOUNT}:regional/webacl/ml-edge-{other}-api-guard-x/1"),
            ("s3:GetObject", stack_object(other)), ("kms:Decrypt", shared_account.key_arns[f"alias/ml-edge-{other}"])]:
        assert not allowed(READ_ONLY_ACCESS + statements, action, resource, **tagged(other)), action


HEARTBEAT = "cloudwatch:PutMetricData"


@pytest.mark.parametrize("env", ENVS)
def test_the_observe_role_publishes_only_the_smoke_heartbeat(shared_account, env):
    """The smoke jobs publish the metric the SmokeHeartbeat alarm watches (gitops/smoke_run/heartbeat.py) with the
    observe role: PutMetricData has no resource-level permission, so the namespace condition is the whole restriction
    (cloudwatch:namespace, Service Authorization Reference for CloudWatch); the guard denies any other namespace
    even were a broader grant attached."""
    from gitops.smoke_run.heartbeat import namespace

    NAMESPACE = namespace(env)  # noqa: N806
    role = f"ml-edge-observe-{env}"
    assert shared_account.may(role, HEARTBEAT, "*", **{"cloudwatch:namespace": NAMESPACE})
    assert not shared_account.may(role, HEARTBEAT, "*", **{"cloudwatch:namespace": "AWS/ApiGateway"})
    assert not shared_account.may(role, HEARTBEAT, "*")
    grants = [s for s in shared_account.statements(role) if s["Effect"] == "Allow"]  # the grant alone is narrow too
    assert not allowed(grants, HEARTBEAT, "*", **{"cloudwatch:namespace": "AWS/ApiGateway"})
    broad = [{"Effect": "Allow", "Action": "cloudwatch:*", "Resource": "*"}]
    assert not allowed(broad + shared_account.statements(role), HEARTBEAT, "*", **{"cloudwatch:namespace": "Other"})
    for action in ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:SetAlarmState"):
        assert not shared_account.may(role, action, "*", **{"cloudwatch:namespace": NAMESPACE}), action
        assert not allowed(broad + shared_account.statements(role), action, "*"), action
    for kind in ("deploy", "preview") if env != "prod" else ("deploy",):
        assert not shared_account.may(f"ml-edge-{kind}-{env}", HEARTBEAT, "*", **{"cloudwatch:namespace": NAMESPACE})
    for other in set(ENVS) - {env}:  # IAM has no condition key for a dimension: the namespace keeps them apart
        assert not shared_account.may(role, HEARTBEAT, "*", **{"cloudwatch:namespace": namespace(other)}), other


@pytest.mark.parametrize("kind", ["deploy", "observe", "preview"])
def test_state_objects_are_decrypted_through_s3_only_and_only_the_roles_own(shared_account, kind):
    role, state_key = f"ml-edge-{kind}-dev", shared_account.key_arns["alias/ml-edge-pulumi"]
    through_s3 = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert shared_account.may(role, "kms:Decrypt", state_key, **through_s3,
                              **{"kms:EncryptionContext:aws:s3:arn": stack_object("dev")})
    assert not shared_account.may(role, "kms:Decrypt", state_key, **through_s3,
                                  **{"kms:EncryptionContext:aws:s3:arn": stack_object("prod")})
    assert not shared_account.may(role, "kms:Decrypt", state_key, **{"kms:EncryptionContext:aws:s3:arn":
                                                                     stack_object("dev")})
    assert shared_account.may(role, "kms:GenerateDataKey", state_key, **through_s3,
                              **{"kms:EncryptionContext:aws:s3:arn": lock_object("dev")}) == (kind == "deploy")


@pytest.mark.parametrize(("kind", "action"), [("deploy", "kms:Encrypt"), ("observe", "kms:Decrypt")])
def test_a_service_acting_for_the_role_may_still_use_its_aws_managed_key(shared_account, kind, action):
    """Lambda encrypts (create) and decrypts (read) a function's environment variables with the AWS managed key
    aws/lambda on behalf of the caller: the guard against other keys covers direct calls; another environment's
    key refuses these roles in its key policy whichever way they come."""
    aws_lambda_key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0000-aws-lambda"
    (guard,) = [s for s in shared_account.statements(f"ml-edge-{kind}-dev") if s.get("Sid") == "NoOtherKeys"]
    assert not statement_applies(guard, action, aws_lambda_key, {"kms:ViaService": "lambda.eu-west-1.amazonaws.com"})
    assert statement_applies(guard, action, aws_lambda_key, {})


# --- keys ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", ENVS)
def test_each_environment_has_its_own_key_whose_policy_names_its_roles_only(shared_account, env):
    policy = shared_account.key_policies[f"alias/ml-edge-{env}"]["Statement"]
    roles = {f"arn:aws:iam::{ACCOUNT}:role/{r}" for r in pipeline_roles(env)}
    (decrypters,) = [s for s in policy if s["Effect"] == "Allow" and s["Action"] == "kms:Decrypt"]
    assert set(as_list(decrypters["Principal"]["AWS"])) == roles
    key = shared_account.key_arns[f"alias/ml-edge-{env}"]

    def may(principal: str, action: str) -> bool:
        return allowed(policy, action, key, **{"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{principal}"})

    for role in pipeline_roles(env):
        assert may(role, "kms:Decrypt") and not may(role, "kms:Encrypt") and not may(role, "kms:GenerateDataKey")
    for other in (o for o in ENVS if o != env):
        assert not may(f"ml-edge-deploy-{other}", "kms:Decrypt")
    assert not may(f"ml-edge-{env}-api-iris-role-abc1234", "kms:Decrypt")  # the program's roles neither
    assert len(set(shared_account.key_arns.values())) == len(shared_account.key_arns) == 4


def test_the_state_key_serves_pipeline_roles_through_s3_only(shared_account):
    policy = shared_account.key_policies["alias/ml-edge-pulumi"]["Statement"]
    key, role = shared_account.key_arns["alias/ml-edge-pulumi"], f"arn:aws:iam::{ACCOUNT}:role/ml-edge-deploy-dev"
    (deny,) = [s for s in policy if s["Effect"] == "Deny"]
    assert statement_applies(deny, "kms:Decrypt", key, {"aws:PrincipalArn": role})  # an old stack secret, directly
    assert not statement_applies(deny, "kms:Decrypt", key, {"aws:PrincipalArn": role,
                                                            "kms:ViaService": "s3.eu-west-1.amazonaws.com"})


# --- trust: one environment, one calling workflow and one job workflow, main -------------------------------------

@pytest.fixture(scope="module")
def claim_keys(standard_bootstrap) -> list[str]:
    """The claims the bootstrap told GitHub to put in the OIDC subject, in their order."""
    (customise,) = standard_bootstrap.gh_api("PUT", "actions/oidc/customization/sub")
    return customise["docs"][0]["include_claim_keys"]


def subject(claim_keys: list[str], claims: dict) -> str:
    """The `sub` GitHub issues with a customised template: each included claim as `key:value`, in the template's
    order, joined by ":"; `context` is `environment:<name>` for a job with an environment, `repo` is the name
    (docs.github.com, OpenID Connect reference, "Customizing the subject claims": ["repo", "context",
    "job_workflow_ref"] gives `repo:ORG/REPO:environment:NAME:job_workflow_ref:PATH@REF`; a `:` in the context
    value is sent as %3A)."""
    def part(key: str) -> str:
        if key == "context":
            return "environment:" + claims["environment"].replace(":", "%3A")
        return f"repo:{claims['repository']}" if key == "repo" else f"{key}:{claims[key]}"
    return ":".join(part(key) for key in claim_keys)


def token(claim_keys: list[str], environment: str, workflow: str, ref: str = "refs/heads/main", *,
          job_workflow: str | None = None, job_ref: str | None = None, repository_id: str = REPOSITORY_ID) -> dict:
    """A job's token: `workflow_ref` names the workflow the run started (the caller), `job_workflow_ref` the file
    that defines the job (a called reusable workflow, or the caller itself); a local `uses:` runs at the caller's
    ref, `uses: <repo>/.github/workflows/<file>@main` at main."""
    path = "acme/ml-edge/.github/workflows/"
    claims = {"repository_id": repository_id, "repository": "acme/ml-edge", "environment": environment,
              "workflow_ref": f"{path}{workflow}@{ref}",
              "job_workflow_ref": f"{path}{job_workflow or workflow}@{job_ref or ref}"}
    return {SUB: subject(claim_keys, claims), AUD: "sts.amazonaws.com"}


def assumable(trust: dict, claims: dict) -> bool:
    return allowed(trust["Statement"], "sts:AssumeRoleWithWebIdentity", "*", **claims)


def test_the_subject_names_the_calling_workflow_too(claim_keys):
    assert claim_keys == ["repository_id", "context", "workflow_ref", "job_workflow_ref"]
    claims = {"repository_id": "74", "environment": "prod", "workflow_ref": "o/r/w.yml@refs/heads/main",
              "job_workflow_ref": "o/r/j.yml@refs/heads/main"}
    assert subject(claim_keys, claims) == \
        "repository_id:74:environment:prod:workflow_ref:o/r/w.yml@refs/heads/main:job_workflow_ref:o/r/j.yml@refs/heads/main"
    assert subject(["repo", "context", "job_workflow_ref"],  # GitHub's documented example
                   {"repository": "octo-org/octo-repo", "environment": "prod",
                    "job_workflow_ref": "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main"}) == \
        "repo:octo-org/octo-repo:environment:prod:job_workflow_ref:" \
        "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main"


@pytest.mark.parametrize("env", ENVS)
def test_the_deploy_role_trusts_the_deploy_workflow_of_main_in_its_environment_only(shared_account, claim_keys, env):
    trust = shared_account.trust[f"ml-edge-deploy-{env}"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Federated": OIDC} and set(statement["Condition"]) == {"StringEquals"}

    def deploy(environment: str = env, ref: str = "refs/heads/main", **other) -> dict:
        return token(claim_keys, environment, "deploy.yml", ref, job_workflow="deploy-environment.yml", **other)

    assert assumable(trust, deploy())
    for refused in (deploy(ref="refs/heads/feature"),  # a branch cannot deploy
                    deploy(ref="refs/pull/7/merge"),
                    token(claim_keys, env, "pull-request.yml", "refs/pull/7/merge"),  # a job added to a pull request
                    token(claim_keys, env, "smoke.yml"),
                    token(claim_keys, env, "deploy-environment.yml"),  # the reusable workflow run on its own
                    deploy(f"{env}-observe"), deploy(f"{env}-preview"),
                    deploy("staging" if env != "staging" else "dev"),
                    deploy(repository_id="111"),  # a re-created repository
                    {**deploy(), AUD: "https://github.com/acme"},
                    {SUB: f"repo:acme/ml-edge:environment:{env}", AUD: "sts.amazonaws.com"}):  # GitHub's default
        assert not assumable(trust, refused), refused


@pytest.mark.parametrize("env", ENVS)
def test_the_observe_role_trusts_the_plan_smoke_and_drift_workflows_of_main(shared_account, claim_keys, env):
    trust = shared_account.trust[f"ml-edge-observe-{env}"]
    observe = f"{env}-observe"
    for caller, job in (("deploy.yml", "deploy-environment.yml"), ("smoke.yml", "smoke.yml"),
                        ("drift.yml", "drift.yml")):
        assert assumable(trust, token(claim_keys, observe, caller, job_workflow=job))
        assert not assumable(trust, token(claim_keys, observe, caller, "refs/heads/fix", job_workflow=job))
        assert not assumable(trust, token(claim_keys, env, caller, job_workflow=job))
    assert not assumable(trust, token(claim_keys, observe, "smoke.yml", job_workflow="drift.yml"))  # pairs only
    assert not assumable(trust, token(claim_keys, observe, "deploy-environment.yml"))
    assert not assumable(trust, token(claim_keys, observe, "pull-request.yml", "refs/pull/3/merge"))


@pytest.mark.parametrize("env", ENVS)
def test_a_pull_request_workflow_calling_a_workflow_of_main_is_refused_by_the_deploy_and_observe_roles(
        shared_account, claim_keys, env):
    """`job_workflow_ref` names only the called workflow: a writer's pull-request workflow can
    `uses: acme/ml-edge/.github/workflows/deploy-environment.yml@main` with `environment: dev`, and only the
    environment's branch rule would stop it; the caller (`workflow_ref`) in the subject refuses it in AWS too."""
    for role, environment in ((f"ml-edge-deploy-{env}", env), (f"ml-edge-observe-{env}", f"{env}-observe")):
        trust = shared_account.trust[role]
        for job in ("deploy-environment.yml", "smoke.yml", "drift.yml"):
            for caller, ref in (("pull-request.yml", "refs/pull/7/merge"), ("deploy.yml", "refs/heads/feature"),
                                ("pr-comment.yml", "refs/heads/main"), ("new-workflow.yml", "refs/heads/writer")):
                claims = token(claim_keys, environment, caller, ref, job_workflow=job, job_ref="refs/heads/main")
                assert not assumable(trust, claims), (role, caller, ref, job)
        # main's deploy workflow calling a branch's reusable workflow
        assert not assumable(trust, token(claim_keys, environment, "deploy.yml", job_workflow="deploy-environment.yml",
                                          job_ref="refs/heads/feature"))


def test_the_preview_role_trusts_pull_request_previews_of_its_environment_and_prod_has_none(shared_account,
                                                                                           claim_keys):
    trust = shared_account.trust["ml-edge-preview-dev"]
    assert assumable(trust, token(claim_keys, "dev-preview", "pull-request.yml", "refs/pull/12/merge"))
    assert not assumable(trust, token(claim_keys, "dev", "pull-request.yml", "refs/pull/12/merge"))
    assert not assumable(trust, token(claim_keys, "staging-preview", "pull-request.yml", "refs/pull/12/merge"))
    assert not assumable(trust, token(claim_keys, "dev-preview", "deploy-environment.yml", "refs/pull/12/merge"))
    assert not assumable(trust, token(claim_keys, "dev-preview", "pull-request.yml", "refs/pull/12/merge",
                                      job_workflow="deploy-environment.yml", job_ref="refs/heads/main"))
    assert not assumable(trust, token(claim_keys, "dev-preview", "pull-request.yml", "refs/heads/main"))
    assert "ml-edge-preview-prod" not in shared_account.trust


# --- the state bucket ------------------------------------------------------------------------------------------

def test_the_state_bucket_refuses_plain_http_and_old_tls(shared_account):
    policy = shared_account.bucket_policy["Statement"]
    bucket_things = [f"arn:aws:s3:::{STATE_BUCKET}", stack_object("dev")]
    for resource in bucket_things:
        (tls_only,) = [s for s in policy if s["Sid"] == "TlsOnly"]
        assert statement_applies(tls_only, "s3:GetObject", resource, {"aws:SecureTransport": "false"})
        assert not statement_applies(tls_only, "s3:GetObject", resource, {"aws:SecureTransport": "true"})
        assert any(statement_applies(s, "s3:PutObject", resource, {"aws:SecureTransport": "true",
                                                                   "s3:TlsVersion": "1.1"}) for s in policy)
    assert all(s["Effect"] == "Deny" and s["Principal"] == "*" for s in policy)


# --- IAM's size limits, with the longest names the config allows ------------------------------------------------

LONGEST_REGIONS = sorted(REGIONS, key=lambda region: (-len(region), region))


REGION_COUNTS = (1, 3, MAX_REGIONS)


def longest_named_environment(count: int) -> str:
    return f"abcdefghijklmnopqr{count:02d}"  # 20 characters, the config's limit


@pytest.fixture(scope="module")
def longest_names(tmp_path_factory) -> Applied:
    """One bootstrap of three environments with the longest names the config allows, in 1, 3 and MAX_REGIONS of the
    longest regions, each with eight SageMaker endpoints of the longest name and both domains."""
    tmp_path = tmp_path_factory.mktemp("longest-names")
    root = copy_of_the_tools(tmp_path)
    models = "".join(f"    - name: m{i}\n      backend: sagemaker\n      endpointName: {'e' * 62}{i}\n"
                     for i in range(8))  # eight endpoints of the longest name
    for count in REGION_COUNTS:
        regions = ["ap-southeast-2", *[r for r in LONGEST_REGIONS if r != "ap-southeast-2"][:count - 1]]
        add_environment(root, longest_named_environment(count), "config:\n  aws:region: ap-southeast-2\n"
                        f"  ml-edge:regions: [{', '.join(regions)}]\n  ml-edge:originDomain:\n"
                        "    name: a-rather-long-origin-name.of-a-long-domain-name.example.com\n"
                        "    hostedZoneId: Z0123456789ABCDEFGHIJKLMNOPQRSTUV\n  ml-edge:customDomain:\n"
                        "    domainName: a-rather-long-subdomain.of-a-long-domain-name.example.com\n"
                        "    hostedZoneId: Z0123456789ABCDEFGHIJKLMNOPQRSTUV\n  ml-edge:models:\n" + models)
    (tmp_path / "stand-ins").mkdir()
    bootstrap = Bootstrap(tmp_path / "stand-ins")
    result = bootstrap.run(*[longest_named_environment(count) for count in REGION_COUNTS], root=root,
                           region="ap-southeast-2")
    assert result.returncode == 0, result.stderr
    assert Path(root / "tools" / "bootstrap.sh").exists()
    return applied_by(bootstrap)


@pytest.mark.parametrize("count", REGION_COUNTS)
def test_the_documents_fit_iams_size_limits_with_the_longest_names(longest_names, count):
    """The deploy role's regional grants list every region (aws:RequestedRegion), the boundary names each region's
    log groups and endpoints: MAX_REGIONS (the bootstrap refuses more) is what fits with the longest names."""
    applied, env = longest_names, longest_named_environment(count)

    def size(document: dict) -> int:  # IAM does not count white space
        return len(re.sub(r"\s", "", json.dumps(document)))

    def ours(name: str) -> bool:  # the environment's, or the account's (no environment in its name)
        return env in name or not any(longest_named_environment(c) in name for c in REGION_COUNTS)

    roles = [role for role in applied.inline if ours(role)]
    assert f"ml-edge-deploy-{env}" in roles
    for role in roles:
        assert sum(size(d) for d in applied.inline[role].values()) <= 10_240, role  # one role's inline policies
    managed = {name: document for name, document in applied.managed.items() if ours(name)}
    for name, document in managed.items():
        assert size(document) <= 6_144, name
    for role, document in applied.trust.items():
        assert size(document) <= 2_048, role
    for alias, document in applied.key_policies.items():
        assert size(document) <= 32_768, alias
    assert len(applied.attached[f"ml-edge-deploy-{env}"]) <= 10
    assert json.dumps(managed[f"ml-edge-{env}-boundary"]).count(":endpoint/") == 8 * count
    assert set(managed) == {f"ml-edge-{env}-{name}" for name in ("boundary", "deploy-api", "deploy-edge-iam",
                                                                 "deploy-origin", "observe")}


def test_more_regions_than_the_policies_can_name_stop_the_bootstrap_naming_the_key(tmp_path):
    root = copy_of_the_tools(tmp_path)
    regions = LONGEST_REGIONS[:MAX_REGIONS + 1]
    add_environment(root, "qa", f"config:\n  aws:region: {regions[0]}\n  ml-edge:regions: [{', '.join(regions)}]\n"
                                "  ml-edge:originDomain: {name: origin.example.com, hostedZoneId: Z1}\n")
    (tmp_path / "stand-ins").mkdir()
    bootstrap = Bootstrap(tmp_path / "stand-ins")
    result = bootstrap.run("qa", root=root)
    assert result.returncode != 0
    assert (f"error: environments/qa/Pulumi.qa.yaml: ml-edge:regions: at most {MAX_REGIONS} regions, got "
            f"{MAX_REGIONS + 1}") in result.stderr
    assert bootstrap.calls == []
