"""tools/bootstrap.sh against a stand-in `aws` CLI: the account's API Gateway CloudWatch Logs role is created once and
set in the region of each environment; re-running changes nothing; the deploy roles may manage the alias records of
a custom domain and invalidate the edge."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
LOGS_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ml-edge-apigateway-cloudwatch"
PATCH = f"op=replace,path=/cloudwatchRoleArn,value={LOGS_ROLE_ARN}"
PROPAGATING = ("An error occurred (BadRequestException) when calling the UpdateAccount operation: The role ARN does "
               "not have required permissions configured. Please grant trust permission for API Gateway and add the "
               "required role policy.")

# Answers what bootstrap.sh asks, remembers roles and each region's account setting in its state folder, and logs
# every call (arguments, and the JSON document it was given as file://…). In bash: bootstrap.sh makes ~40 calls.
FAKE_AWS = r"""#!/usr/bin/env bash
set -eu
s=$FAKE_AWS_STATE
n=$(( $(cat "$s/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$s/count"
printf '%s\0' "$@" > "$s/call-$n.args"
for a in "$@"; do case $a in file://*) cp "${a#file://}" "$s/call-$n.json" ;; esac; done
opt() { local want=$1; shift; while [ $# -gt 1 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
query() { case " $* " in *" --query "*) return 0 ;; esac; return 1; }
case "$1 $2" in
  "sts get-caller-identity") echo 123456789012 ;;
  "kms describe-key") if query "$@"; then echo arn:aws:kms:eu-west-1:123456789012:key/1111-2222; fi ;;
  "iam get-role")
    role=$(opt --role-name "$@")
    [ -f "$s/role-$role" ] || { echo "An error occurred (NoSuchEntity) in GetRole" >&2; exit 254; }
    if query "$@"; then echo "arn:aws:iam::123456789012:role/$role"; else echo "{}"; fi ;;
  "iam create-role") touch "$s/role-$(opt --role-name "$@")" ;;
  "apigateway get-account") cat "$s/account-$(opt --region "$@")" 2>/dev/null || echo None ;;
  "apigateway update-account")
    if [ -s "$s/update-errors" ]; then head -n 1 "$s/update-errors" >&2; sed -i.bak 1d "$s/update-errors"; exit 254; fi
    patch=$(opt --patch-operations "$@")
    echo "${patch#*value=}" > "$s/account-$(opt --region "$@")" ;;
esac
"""


@pytest.fixture
def aws(tmp_path):
    """Runs bootstrap.sh (from `root`, the repository by default) with the stand-in CLI; returns its calls."""
    bin_dir, state = tmp_path / "bin", tmp_path / "aws"
    bin_dir.mkdir()
    state.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "sleep").write_text(f"#!/bin/sh\necho \"$*\" >> {state}/sleeps\n")
    for script in bin_dir.iterdir():
        script.chmod(0o755)

    class Aws:
        def run(self, *args, root=ROOT, update_errors=()):
            for old in [*state.glob("call-*"), state / "count"]:
                old.unlink(missing_ok=True)
            (state / "update-errors").write_text("".join(f"{error}\n" for error in update_errors))
            environment = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                           "FAKE_AWS_STATE": str(state)}
            return subprocess.run(["bash", str(root / "tools" / "bootstrap.sh"), "acme/ml-edge", "eu-west-1", *args],
                                  capture_output=True, text=True, env=environment, timeout=60)

        @property
        def calls(self) -> list[dict]:
            count = int((state / "count").read_text()) if (state / "count").exists() else 0
            return [{"args": (state / f"call-{n}.args").read_text().split("\0")[:-1],
                     "docs": [json.loads(d.read_text()) for d in [state / f"call-{n}.json"] if d.exists()]}
                    for n in range(1, count + 1)]

        def called(self, *command) -> list[dict]:
            return [call for call in self.calls if call["args"][:len(command)] == list(command)]

        @property
        def account(self) -> dict:
            return {path.name.removeprefix("account-"): path.read_text().strip()
                    for path in state.glob("account-*")}

        @property
        def sleeps(self) -> list[str]:
            return (state / "sleeps").read_text().split() if (state / "sleeps").exists() else []

    return Aws()


def option(call: dict, name: str) -> str:
    return call["args"][call["args"].index(name) + 1]


def test_the_logging_role_is_created_once_and_set_in_each_environments_region(aws):
    result = aws.run(update_errors=[PROPAGATING])  # a new role reaches API Gateway a moment later
    assert result.returncode == 0, result.stderr
    (create,) = [c for c in aws.called("iam", "create-role") if "ml-edge-apigateway-cloudwatch" in c["args"]]
    assert create["docs"] == [{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}]
    (attach,) = [c for c in aws.called("iam", "attach-role-policy")
                 if option(c, "--role-name") == "ml-edge-apigateway-cloudwatch"]
    assert option(attach, "--policy-arn") == \
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    updates = [(option(c, "--region"), option(c, "--patch-operations")) for c in aws.called("apigateway",
                                                                                            "update-account")]
    # dev and staging share eu-west-1 (the first try meets the new role's propagation delay), prod: us-east-1
    assert updates == [("eu-west-1", PATCH), ("eu-west-1", PATCH), ("us-east-1", PATCH)]
    assert "Logs role ml-edge-apigateway-cloudwatch, set in eu-west-1 us-east-1\n" in result.stdout
    assert aws.sleeps == ["10"] and "eu-west-1: the new role is not usable yet, retrying in 10 s" in result.stdout
    assert aws.account == {"eu-west-1": LOGS_ROLE_ARN, "us-east-1": LOGS_ROLE_ARN}


def test_a_second_run_keeps_the_role_and_changes_no_account_setting(aws):
    assert aws.run("prod").returncode == 0
    result = aws.run("prod")
    assert result.returncode == 0, result.stderr
    assert not aws.called("iam", "create-role") and not aws.called("apigateway", "update-account")
    assert "us-east-1: already set" in result.stdout


def test_another_failure_to_set_the_role_is_not_retried(aws):
    denied = "An error occurred (AccessDeniedException) when calling the UpdateAccount operation: not allowed"
    result = aws.run("dev", update_errors=[denied])
    assert result.returncode != 0 and denied in result.stderr and aws.sleeps == []


def test_an_environment_without_a_stack_file_stops_the_bootstrap_before_any_change(aws):
    result = aws.run("dev", "qa")
    assert result.returncode != 0
    assert "error: no environments/qa/Pulumi.qa.yaml: write the environment's stack file first" in result.stderr
    assert aws.calls == []


def test_the_region_may_be_quoted_in_the_stack_file(aws, tmp_path):
    root = tmp_path / "repo"
    (root / "tools").mkdir(parents=True)
    shutil.copy(ROOT / "tools" / "bootstrap.sh", root / "tools")
    (root / "environments" / "qa").mkdir(parents=True)
    (root / "environments" / "qa" / "Pulumi.qa.yaml").write_text('config:\n  aws:region: "ap-southeast-2"  # Sydney\n')
    assert aws.run("qa", root=root).returncode == 0
    assert [option(c, "--region") for c in aws.called("apigateway", "update-account")] == ["ap-southeast-2"]


def test_the_deploy_roles_may_manage_alias_records_and_invalidate_the_edge(aws):
    assert aws.run("prod").returncode == 0
    (deploy,) = [c for c in aws.called("iam", "put-role-policy") if option(c, "--policy-name") == "deploy"]
    assert option(deploy, "--role-name") == "ml-edge-deploy-prod"
    statements = deploy["docs"][0]["Statement"]

    def allowed(action: str) -> list[dict]:
        return [s for s in statements if s["Effect"] == "Allow" and action in [s["Action"]] + list(s["Action"])]

    (change,) = allowed("route53:ChangeResourceRecordSets")
    assert change["Resource"] == "arn:aws:route53:::hostedzone/*"
    assert change["Condition"] == {"ForAllValues:StringEquals": {
        "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA"]}}
    for action in ("route53:GetHostedZone", "route53:ListResourceRecordSets"):
        assert [s["Resource"] for s in allowed(action)] == ["arn:aws:route53:::hostedzone/*"]
    assert [s["Resource"] for s in allowed("route53:GetChange")] == ["arn:aws:route53:::change/*"]
    # the deploy's CreateInvalidation, GetInvalidation and GetDistribution
    assert [s["Resource"] for s in allowed("cloudfront:*")] == ["*"]
