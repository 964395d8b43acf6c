"""tools/bootstrap.sh against stand-in `aws` and `gh` CLIs: the account's API Gateway CloudWatch Logs role is
created once and set in the region of each environment; re-running changes nothing it need not; the GitHub side
(the OIDC subject, the environments with their branch policies, reviewers and secrets, the ruleset on main) is
applied after the AWS trust policies it must match; roles and environments the design dropped are removed; and
nothing changes when an input is wrong. The policy documents themselves: tests/test_bootstrap_policies.py."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
REPOSITORY_ID = "987654321"
PLATFORM_TEAM_ID = 42
LOGS_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ml-edge-apigateway-cloudwatch"
PATCH = f"op=replace,path=/cloudwatchRoleArn,value={LOGS_ROLE_ARN}"
PROPAGATING = ("An error occurred (BadRequestException) when calling the UpdateAccount operation: The role ARN does "
               "not have required permissions configured. Please grant trust permission for API Gateway and add the "
               "required role policy.")
REVIEWERS = ("--prod-reviewers", "platform")

# Answers what bootstrap.sh asks, remembers what exists (buckets, keys and aliases, roles with their inline and
# attached policies, managed policies with their versions, each region's account setting) in its state folder, and
# logs every call: arguments, and the JSON document it was given as file://… .
FAKE_AWS = r"""#!/usr/bin/env bash
set -eu
s=$FAKE_AWS_STATE
n=$(( $(cat "$s/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$s/count"
printf '%s\0' "$@" > "$s/call-$n.args"
echo "aws $*" >> "$FAKE_SEQUENCE"
for a in "$@"; do case $a in file://*) cp "${a#file://}" "$s/call-$n.json" ;; esac; done
opt() { local want=$1; shift; while [ $# -gt 1 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
query() { case " $* " in *" --query "*) return 0 ;; esac; return 1; }
missing() { echo "An error occurred ($1)" >&2; exit 254; }
text() { if [ -f "$1" ]; then tr '\n' '\t' < "$1" | sed 's/\t$//'; fi; echo; }
drop() { grep -vxF "$2" "$1" > "$1.new" 2>/dev/null || true; mv "$1.new" "$1"; }
add() { grep -qxF "$2" "$1" 2>/dev/null || echo "$2" >> "$1"; }
key_file() { echo "$s/alias-$(echo "$1" | tr / _)"; }
case "$1 $2" in
  "sts get-caller-identity") echo 123456789012 ;;
  "kms describe-key")
    f=$(key_file "$(opt --key-id "$@")"); [ -f "$f" ] || missing NotFoundException
    if query "$@"; then echo "arn:aws:kms:$(opt --region "$@"):123456789012:key/$(cat "$f")"; fi ;;
  "kms create-key") k=$(( $(cat "$s/keys" 2>/dev/null || echo 0) + 1 )); echo "$k" > "$s/keys"; echo "key-$k" ;;
  "kms create-alias") opt --target-key-id "$@" > "$(key_file "$(opt --alias-name "$@")")" ;;
  "kms put-key-policy")
    if [ -s "$s/key-policy-errors" ]; then
      head -n 1 "$s/key-policy-errors" >&2; sed -i.bak 1d "$s/key-policy-errors"; exit 254
    fi ;;
  "s3api head-bucket") [ -f "$s/bucket-$(opt --bucket "$@")" ] || missing 404 ;;
  "s3api create-bucket") touch "$s/bucket-$(opt --bucket "$@")" ;;
  "iam get-open-id-connect-provider") [ -f "$s/oidc" ] || missing NoSuchEntity ;;
  "iam create-open-id-connect-provider") touch "$s/oidc" ;;
  "iam get-role")
    role=$(opt --role-name "$@")
    [ -f "$s/role-$role" ] || missing NoSuchEntity
    if query "$@"; then echo "arn:aws:iam::123456789012:role/$role"; else echo "{}"; fi ;;
  "iam create-role") touch "$s/role-$(opt --role-name "$@")" ;;
  "iam delete-role") rm "$s/role-$(opt --role-name "$@")" ;;
  "iam put-role-policy") add "$s/role-$(opt --role-name "$@").inline" "$(opt --policy-name "$@")" ;;
  "iam delete-role-policy") drop "$s/role-$(opt --role-name "$@").inline" "$(opt --policy-name "$@")" ;;
  "iam list-role-policies") text "$s/role-$(opt --role-name "$@").inline" ;;
  "iam attach-role-policy") add "$s/role-$(opt --role-name "$@").attached" "$(opt --policy-arn "$@")" ;;
  "iam detach-role-policy") drop "$s/role-$(opt --role-name "$@").attached" "$(opt --policy-arn "$@")" ;;
  "iam list-attached-role-policies") text "$s/role-$(opt --role-name "$@").attached" ;;
  "iam get-policy") [ -f "$s/policy-$(basename "$(opt --policy-arn "$@")")" ] || missing NoSuchEntity ;;
  "iam create-policy") echo 1 > "$s/policy-$(opt --policy-name "$@")" ;;
  "iam list-policy-versions")
    v=$(cat "$s/policy-$(basename "$(opt --policy-arn "$@")")"); [ "$v" -gt 1 ] && seq -s ' ' -f 'v%g' 1 $(( v - 1 ))
    echo ;;
  "iam create-policy-version")
    f="$s/policy-$(basename "$(opt --policy-arn "$@")")"; v=$(( $(cat "$f") + 1 ))
    [ "$v" -le 5 ] || missing LimitExceeded; echo "$v" > "$f" ;;
  "iam delete-policy-version")
    f="$s/policy-$(basename "$(opt --policy-arn "$@")")"; echo $(( $(cat "$f") - 1 )) > "$f" ;;
  "apigateway get-account") cat "$s/account-$(opt --region "$@")" 2>/dev/null || echo None ;;
  "apigateway update-account")
    if [ -s "$s/update-errors" ]; then head -n 1 "$s/update-errors" >&2; sed -i.bak 1d "$s/update-errors"; exit 254; fi
    patch=$(opt --patch-operations "$@")
    echo "${patch#*value=}" > "$s/account-$(opt --region "$@")" ;;
esac
"""

# The GitHub CLI as bootstrap.sh uses it: `gh api [--method M] PATH [--jq …] [--input FILE] [-f k=v]` and
# `gh secret set NAME --repo R --env E --body V`. Remembers environments, their deployment branch policies
# ("id type name" lines), the ruleset and the secrets; knows the team `platform` and the user `alice`. Answers what
# the --jq filter would print; reads paths case-insensitively, as GitHub does (the repository is acme/ml-edge);
# reports the CODEOWNERS errors seeded in codeowners-errors (none by default), or 404 with codeowners-missing; keeps
# admin bypass on an environment when seeded with admins-bypass-kept, as if GitHub ignored the field.
FAKE_GH = r"""#!/usr/bin/env bash
set -eu
g=$FAKE_GH_STATE
n=$(( $(cat "$g/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$g/count"
printf '%s\0' "$@" > "$g/call-$n.args"
echo "gh $*" >> "$FAKE_SEQUENCE"
not_found() { echo "gh: Not Found (HTTP 404)" >&2; exit 1; }
if [ "$1 $2" = "auth status" ]; then [ ! -f "$g/logged-out" ] || exit 1; exit 0; fi
if [ "$1 $2" = "secret set" ]; then
  name=$3; shift 3; env=""; body=""
  while [ $# -gt 0 ]; do case $1 in --env) env=$2; shift 2 ;; --body) body=$2; shift 2 ;; *) shift ;; esac; done
  echo "$env $name $body" >> "$g/secrets"; exit 0
fi
[ "$1" = api ] || { echo "fake gh: unexpected $*" >&2; exit 2; }
shift
method=GET; path=""; fields=""
while [ $# -gt 0 ]; do
  case $1 in
    --method) method=$2; shift 2 ;;
    --input) cp "$2" "$g/call-$n.json"; shift 2 ;;
    --jq) shift 2 ;;
    -f) fields="$fields $2"; shift 2 ;;
    *) path=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]'); shift ;;
  esac
done
repo=repos/acme/ml-edge
case "$method $path" in
  "GET $repo") echo "987654321 acme/ml-edge" ;;
  "GET $repo/codeowners/errors?ref=main")
    [ ! -f "$g/codeowners-missing" ] || not_found; cat "$g/codeowners-errors" 2>/dev/null || true ;;
  "GET orgs/acme/teams/platform") echo 42 ;;
  "GET users/alice") echo 7 ;;
  "GET orgs/"* | "GET users/"*) not_found ;;
  "PUT $repo/actions/oidc/customization/sub") ;;
  "GET $repo/environments/"*/deployment-branch-policies)
    e=${path#"$repo"/environments/}; e=${e%%/*}; cat "$g/policies-$e" 2>/dev/null || true ;;
  "POST $repo/environments/"*/deployment-branch-policies)
    e=${path#"$repo"/environments/}; e=${e%%/*}
    i=$(( $(cat "$g/ids" 2>/dev/null || echo 100) + 1 )); echo "$i" > "$g/ids"
    name=""; type=""; for f in $fields; do case $f in name=*) name=${f#name=} ;; type=*) type=${f#type=} ;; esac; done
    echo "$i $type $name" >> "$g/policies-$e" ;;
  "DELETE $repo/environments/"*/deployment-branch-policies/*)
    e=${path#"$repo"/environments/}; e=${e%%/*}; i=${path##*/}
    grep -v "^$i " "$g/policies-$e" > "$g/policies-$e.new" || true; mv "$g/policies-$e.new" "$g/policies-$e" ;;
  "PUT $repo/environments/"*)
    touch "$g/env-${path##*/}"
    if [ ! -f "$g/admins-bypass-kept" ] && grep -q '"can_admins_bypass": false' "$g/call-$n.json"; then
      echo false
    else
      echo true
    fi ;;
  "GET $repo/environments/"*) [ -f "$g/env-${path##*/}" ] || not_found ;;
  "DELETE $repo/environments/"*) rm "$g/env-${path##*/}" ;;
  "GET $repo/rulesets") cat "$g/ruleset" 2>/dev/null || true ;;
  "POST $repo/rulesets") echo 31 > "$g/ruleset" ;;
  "PUT $repo/rulesets/"*) ;;
  *) echo "fake gh: unexpected $method $path" >&2; exit 2 ;;
esac
"""


def _calls(state: Path) -> list[dict]:
    count = int((state / "count").read_text()) if (state / "count").exists() else 0
    return [{"args": (state / f"call-{n}.args").read_text().split("\0")[:-1],
             "docs": [json.loads(d.read_text()) for d in [state / f"call-{n}.json"] if d.exists()]}
            for n in range(1, count + 1)]


class Bootstrap:
    """Runs bootstrap.sh (from `root`, the repository by default) with the stand-in CLIs."""

    def __init__(self, tmp_path: Path):
        self.bin_dir, self.aws_state, self.gh_state = tmp_path / "bin", tmp_path / "aws", tmp_path / "gh"
        self.sequence_file = tmp_path / "sequence"
        for folder in (self.bin_dir, self.aws_state, self.gh_state):
            folder.mkdir()
        (self.bin_dir / "aws").write_text(FAKE_AWS)
        (self.bin_dir / "gh").write_text(FAKE_GH)
        (self.bin_dir / "sleep").write_text(f"#!/bin/sh\necho \"$*\" >> {self.aws_state}/sleeps\n")
        for script in self.bin_dir.iterdir():
            script.chmod(0o755)

    def run(self, *args, root=ROOT, update_errors=(), key_policy_errors=(), repo="acme/ml-edge", region="eu-west-1"):
        for state in (self.aws_state, self.gh_state):
            for old in [*state.glob("call-*"), state / "count"]:
                old.unlink(missing_ok=True)
        (self.aws_state / "update-errors").write_text("".join(f"{error}\n" for error in update_errors))
        (self.aws_state / "key-policy-errors").write_text("".join(f"{error}\n" for error in key_policy_errors))
        self.sequence_file.write_text("")
        environment = {**os.environ, "PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
                       "FAKE_AWS_STATE": str(self.aws_state), "FAKE_GH_STATE": str(self.gh_state),
                       "FAKE_SEQUENCE": str(self.sequence_file)}
        return subprocess.run(["bash", str(root / "tools" / "bootstrap.sh"), repo, region, *args],
                              capture_output=True, text=True, env=environment, timeout=120)

    @property
    def sequence(self) -> list[str]:
        """Every call of either CLI, in order ("aws iam create-role …", "gh api …")."""
        return self.sequence_file.read_text().splitlines()

    # --- what the stand-in AWS CLI saw and holds -----------------------------------------------------------------
    @property
    def calls(self) -> list[dict]:
        return _calls(self.aws_state)

    def called(self, *command) -> list[dict]:
        return [call for call in self.calls if call["args"][:len(command)] == list(command)]

    def exists(self, name: str) -> bool:
        return (self.aws_state / name).exists()

    def lines(self, name: str) -> list[str]:
        path = self.aws_state / name
        return path.read_text().split() if path.exists() else []

    @property
    def account(self) -> dict:
        return {path.name.removeprefix("account-"): path.read_text().strip()
                for path in self.aws_state.glob("account-*")}

    @property
    def sleeps(self) -> list[str]:
        path = self.aws_state / "sleeps"
        return path.read_text().split() if path.exists() else []

    # --- what the stand-in GitHub CLI saw and holds ---------------------------------------------------------------
    @property
    def gh_calls(self) -> list[dict]:
        return _calls(self.gh_state)

    def gh_api(self, method: str, path: str) -> list[dict]:
        """The `gh api` calls with this method and path (GET when no --method)."""
        def method_of(args):
            return args[args.index("--method") + 1] if "--method" in args else "GET"
        return [c for c in self.gh_calls if c["args"][0] == "api" and method_of(c["args"]) == method
                and f"repos/acme/ml-edge/{path}" in c["args"]]

    def gh_seed(self, name: str, text: str) -> None:
        (self.gh_state / name).write_text(text)

    def gh_file(self, name: str) -> list[str]:
        path = self.gh_state / name
        return path.read_text().splitlines() if path.exists() else []

    @property
    def environments(self) -> set[str]:
        return {p.name.removeprefix("env-") for p in self.gh_state.glob("env-*")}

    @property
    def secrets(self) -> dict[tuple[str, str], str]:
        return {(env, name): value for env, name, value in (line.split(" ", 2) for line in self.gh_file("secrets"))}


@pytest.fixture
def bootstrap(tmp_path):
    return Bootstrap(tmp_path)


READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One bootstrap of every environment over what earlier bootstraps left (a prod-preview environment, branch
    policies other than main, ReadOnlyAccess and the old inline policies), shared by the tests that read it."""
    run = Bootstrap(tmp_path_factory.mktemp("migrated"))
    run.gh_seed("env-prod-preview", "")
    run.gh_seed("policies-prod", "11 branch release/*\n12 tag main\n13 branch main\n")
    run.gh_seed("policies-dev", "21 branch feature/*\n")
    for role in ("ml-edge-preview-dev", "ml-edge-preview-prod", "ml-edge-deploy-dev"):
        (run.aws_state / f"role-{role}").touch()
        (run.aws_state / f"role-{role}.inline").write_text("pulumi-state\n")
    for role in ("ml-edge-preview-dev", "ml-edge-preview-prod"):
        (run.aws_state / f"role-{role}.attached").write_text(f"{READ_ONLY}\n")
    (run.aws_state / "role-ml-edge-deploy-dev.inline").write_text("pulumi-state\ndeploy\n")
    result = run.run(*REVIEWERS)
    assert result.returncode == 0, result.stderr
    return run


@pytest.fixture
def standard(standard_bootstrap):
    return standard_bootstrap


def option(call: dict, name: str) -> str:
    return call["args"][call["args"].index(name) + 1]


def copy_of_the_tools(tmp_path: Path) -> Path:
    """A repository root with the bootstrap and the program's project file, and no environment yet."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "tools" / "bootstrap", root / "tools" / "bootstrap")
    shutil.copy(ROOT / "tools" / "bootstrap.sh", root / "tools")
    (root / "program").mkdir()
    shutil.copy(ROOT / "program" / "Pulumi.yaml", root / "program")
    return root


def add_environment(root: Path, env: str, config: str) -> None:
    (root / "environments" / env).mkdir(parents=True)
    (root / "environments" / env / f"Pulumi.{env}.yaml").write_text(config)


# --- API Gateway's CloudWatch Logs role (an account setting per region) ----------------------------------------

def test_the_logging_role_is_created_once_and_set_in_each_environments_region(standard):
    bootstrap, result = standard, standard.result  # a new role reaches API Gateway a moment later
    (create,) = [c for c in bootstrap.called("iam", "create-role") if "ml-edge-apigateway-cloudwatch" in c["args"]]
    assert create["docs"] == [{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}]
    (attach,) = [c for c in bootstrap.called("iam", "attach-role-policy")
                 if option(c, "--role-name") == "ml-edge-apigateway-cloudwatch"]
    assert option(attach, "--policy-arn") == \
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    updates = [(option(c, "--region"), option(c, "--patch-operations"))
               for c in bootstrap.called("apigateway", "update-account")]
    # dev and staging share eu-west-1 (the first try meets the new role's propagation delay), prod: us-east-1
    assert updates == [("eu-west-1", PATCH), ("eu-west-1", PATCH), ("us-east-1", PATCH)]
    assert "Logs role ml-edge-apigateway-cloudwatch, set in eu-west-1 us-east-1\n" in result.stdout
    assert bootstrap.sleeps == ["10"] and "eu-west-1: the new role is not usable yet, retrying in 10 s" in result.stdout
    assert bootstrap.account == {"eu-west-1": LOGS_ROLE_ARN, "us-east-1": LOGS_ROLE_ARN}


def test_a_second_run_creates_nothing_and_changes_no_account_setting(bootstrap):
    assert bootstrap.run(*REVIEWERS, "prod").returncode == 0
    result = bootstrap.run(*REVIEWERS, "prod")
    assert result.returncode == 0, result.stderr
    for creation in (("iam", "create-role"), ("iam", "create-policy"), ("kms", "create-key"),
                     ("s3api", "create-bucket"), ("iam", "create-open-id-connect-provider"),
                     ("apigateway", "update-account")):
        assert not bootstrap.called(*creation), creation
    assert "us-east-1: already set" in result.stdout
    assert not bootstrap.gh_api("POST", "rulesets") and len(bootstrap.gh_api("PUT", "rulesets/31")) == 1
    assert not bootstrap.gh_api("POST", "environments/prod/deployment-branch-policies")


def test_another_failure_to_set_the_role_is_not_retried(bootstrap):
    denied = "An error occurred (AccessDeniedException) when calling the UpdateAccount operation: not allowed"
    result = bootstrap.run("dev", update_errors=[denied])
    assert result.returncode != 0 and denied in result.stderr and bootstrap.sleeps == []


def test_the_region_may_be_quoted_in_the_stack_file(bootstrap, tmp_path):
    root = copy_of_the_tools(tmp_path)
    add_environment(root, "qa", 'config:\n  aws:region: "ap-southeast-2"  # Sydney\n')
    result = bootstrap.run("qa", root=root)
    assert result.returncode == 0, result.stderr
    assert [option(c, "--region") for c in bootstrap.called("apigateway", "update-account")] == ["ap-southeast-2"]


UNSEEN_ROLE = ("An error occurred (MalformedPolicyDocumentException) when calling the PutKeyPolicy operation: "
               "Policy contains a statement with one or more invalid principals.")


def test_a_key_policy_naming_a_role_kms_does_not_see_yet_is_retried_and_other_refusals_are_not(bootstrap):
    result = bootstrap.run("dev", key_policy_errors=[UNSEEN_ROLE, UNSEEN_ROLE])
    assert result.returncode == 0, result.stderr
    assert bootstrap.sleeps == ["5", "5"]
    assert len(bootstrap.called("kms", "put-key-policy")) == 4  # the state key's three times, then dev's key
    denied = "An error occurred (AccessDeniedException) when calling the PutKeyPolicy operation: not allowed"
    result = bootstrap.run("dev", key_policy_errors=[denied])
    assert result.returncode != 0 and denied in result.stderr and bootstrap.sleeps == ["5", "5"]


# --- nothing changes when an input is wrong -------------------------------------------------------------------

def test_an_environment_without_a_stack_file_stops_the_bootstrap_before_any_change(bootstrap):
    result = bootstrap.run(*REVIEWERS, "dev", "qa")
    assert result.returncode != 0
    assert "error: no environments/qa/Pulumi.qa.yaml: write the environment's stack file first" in result.stderr
    assert bootstrap.calls == [] and bootstrap.gh_calls == []


def test_prod_without_its_reviewers_stops_the_bootstrap_before_any_change(bootstrap):
    result = bootstrap.run("dev", "prod")
    assert result.returncode != 0
    assert "prod needs its required reviewers: --prod-reviewers" in result.stderr
    assert bootstrap.calls == [] and bootstrap.gh_calls == []


def test_an_unknown_reviewer_stops_the_bootstrap_before_any_change(bootstrap):
    result = bootstrap.run("--prod-reviewers", "platfrom", "prod")
    assert result.returncode != 0
    assert "error: reviewer 'platfrom' not found (a team slug of acme, or @user)" in result.stderr
    assert bootstrap.calls == []
    assert not [c for c in bootstrap.gh_calls if "--method" in c["args"] or c["args"][0] == "secret"]


UNKNOWN_OWNER = (".github/CODEOWNERS:5: Unknown owner on line 5: make sure the team @ml-edge/platform exists, is "
                 "publicly visible, and has write access to the repository")


def test_codeowners_errors_stop_the_bootstrap_before_any_change(bootstrap):
    """GitHub ignores a CODEOWNERS line whose owner does not exist or lacks write access, and then requires no
    code owner's review for its paths: the ruleset would promise a review that never happens."""
    bootstrap.gh_seed("codeowners-errors", f"  {UNKNOWN_OWNER}\n")
    result = bootstrap.run("dev")
    assert result.returncode != 0
    assert "error: the CODEOWNERS file of acme/ml-edge on main has errors" in result.stderr
    assert UNKNOWN_OWNER in result.stderr
    assert bootstrap.calls == []
    assert not [c for c in bootstrap.gh_calls if "--method" in c["args"] or c["args"][0] == "secret"]


def test_a_main_without_codeowners_stops_the_bootstrap_before_any_change(bootstrap):
    bootstrap.gh_seed("codeowners-missing", "")
    result = bootstrap.run("dev")
    assert result.returncode != 0
    assert "error: could not check the CODEOWNERS file of acme/ml-edge on main" in result.stderr
    assert "Not Found (HTTP 404)" in result.stderr
    assert bootstrap.calls == []


def test_the_codeowners_of_main_are_checked_before_anything_changes(standard):
    sequence = standard.sequence
    (check,) = [i for i, line in enumerate(sequence) if "codeowners/errors" in line]
    assert sequence[check].startswith("gh api repos/acme/ml-edge/codeowners/errors?ref=main --jq ")
    changes = [i for i, line in enumerate(sequence) if line.startswith(("aws ", "gh api --method", "gh secret"))]
    assert check < min(changes)


def test_the_repository_is_named_as_github_spells_it(standard):
    """The standard run was given Acme/ML-Edge. StringEquals on `sub` is case-sensitive and GitHub's claims spell the
    repository as GitHub does, so the bootstrap reads `full_name` and uses it everywhere after the first look-up."""
    first, *rest = [call["args"] for call in standard.gh_calls if call["args"][:1] != ["auth"]]
    assert first[:2] == ["api", "repos/Acme/ML-Edge"]
    assert rest and not [args for args in rest if "Acme" in " ".join(args) or "ML-Edge" in " ".join(args)]
    trusts = [json.dumps(call["docs"]) for call in standard.called("iam", "create-role")]
    assert not [trust for trust in trusts if "Acme" in trust or "ML-Edge" in trust]
    assert sum("acme/ml-edge/.github/workflows/" in trust for trust in trusts) == 8  # 3 deploy, 3 observe, 2 preview


def test_a_logged_out_github_cli_stops_the_bootstrap_before_any_change(bootstrap):
    bootstrap.gh_seed("logged-out", "")
    result = bootstrap.run("dev")
    assert result.returncode != 0 and "the GitHub CLI is not logged in" in result.stderr
    assert bootstrap.calls == []


@pytest.mark.parametrize(("env", "others", "message"), [
    ("deploy", [], "the name is reserved"),
    ("preview-eu", [], "would cover the bootstrap's own roles (ml-edge-preview-*)"),
    ("dev", ["dev-eu"], "ml-edge-dev-* would also cover the resources of environment 'dev-eu'"),
    ("dev-eu", ["dev"], "ml-edge-dev-* (environment 'dev') would also cover its resources"),
    ("Dev", [], "lowercase letters, digits and '-'"),
])
def test_an_environment_name_that_would_let_one_role_manage_another_is_refused(bootstrap, tmp_path, env, others,
                                                                                message):
    root = copy_of_the_tools(tmp_path)
    for name in [env, *others]:
        add_environment(root, name, "config:\n  aws:region: eu-west-1\n")
    result = bootstrap.run(env, root=root)
    assert result.returncode != 0 and message in result.stderr
    assert bootstrap.calls == [] and bootstrap.gh_calls == []


def test_a_custom_domain_in_flow_style_is_refused_rather_than_guessed(bootstrap, tmp_path):
    root = copy_of_the_tools(tmp_path)
    add_environment(root, "qa", "config:\n  aws:region: eu-west-1\n"
                                "  ml-edge:customDomain: {domainName: api.example.com, hostedZoneId: Z123}\n")
    result = bootstrap.run("qa", root=root)
    assert result.returncode != 0 and "must set hostedZoneId once, in block style" in result.stderr
    assert bootstrap.calls == []


# --- GitHub: the OIDC subject, environments, secrets, the ruleset -----------------------------------------------

def test_the_oidc_subject_is_customised_after_the_trust_policies_that_match_it(standard):
    bootstrap = standard
    (customise,) = bootstrap.gh_api("PUT", "actions/oidc/customization/sub")
    assert customise["docs"] == [{"use_default": False, "include_claim_keys": [
        "repository_id", "context", "workflow_ref", "job_workflow_ref"]}]
    sequence = bootstrap.sequence
    trust_writes = [i for i, line in enumerate(sequence)
                    if line.startswith(("aws iam create-role", "aws iam update-assume-role-policy"))]
    assert len(trust_writes) == 9  # deploy and observe of three environments, preview of dev and staging, logging
    github_writes = [i for i, line in enumerate(sequence)
                     if line.startswith(("gh api --method", "gh secret set"))]
    assert github_writes[0] == sequence.index(next(line for line in sequence if "oidc/customization" in line))
    assert max(trust_writes) < min(github_writes)


def environment_body(bootstrap, env: str) -> dict:
    (put,) = bootstrap.gh_api("PUT", f"environments/{env}")
    return put["docs"][0]


def test_deploy_and_observe_environments_accept_main_only_and_prod_needs_a_reviewer_other_than_the_author(
        standard):
    bootstrap = standard
    main_only = {"protected_branches": False, "custom_branch_policies": True}
    for env in ("dev", "staging", "dev-observe", "staging-observe", "prod-observe"):
        body = environment_body(bootstrap, env)
        assert body["deployment_branch_policy"] == main_only and body["reviewers"] == [], env
    prod = environment_body(bootstrap, "prod")
    assert prod["deployment_branch_policy"] == main_only
    assert prod["reviewers"] == [{"type": "Team", "id": PLATFORM_TEAM_ID}] and prod["prevent_self_review"] is True
    assert prod["can_admins_bypass"] is False  # an administrator cannot skip the review either
    for env in ("dev", "staging", "prod", "dev-observe", "staging-observe", "prod-observe"):
        assert bootstrap.gh_file(f"policies-{env}") == [bootstrap.gh_file(f"policies-{env}")[0]]
        assert bootstrap.gh_file(f"policies-{env}")[0].split()[1:] == ["branch", "main"], env


def test_pull_requests_get_preview_environments_for_dev_and_staging_only(migrated):
    bootstrap = migrated  # an earlier bootstrap made a prod-preview environment
    for env in ("dev-preview", "staging-preview"):
        assert environment_body(bootstrap, env)["deployment_branch_policy"] is None
    assert not bootstrap.gh_api("PUT", "environments/prod-preview")
    assert len(bootstrap.gh_api("DELETE", "environments/prod-preview")) == 1
    assert bootstrap.environments == {"dev", "staging", "prod", "dev-observe", "staging-observe", "prod-observe",
                                      "dev-preview", "staging-preview"}


def test_other_deployment_branch_policies_are_removed_and_main_is_added_once(migrated):
    bootstrap = migrated
    assert bootstrap.gh_file("policies-prod") == ["13 branch main"]
    assert [line.split()[1:] for line in bootstrap.gh_file("policies-dev")] == [["branch", "main"]]
    assert not bootstrap.gh_api("POST", "environments/prod/deployment-branch-policies")


def test_prod_whose_admin_bypass_github_kept_fails_the_bootstrap(bootstrap):
    """The field is read back from GitHub's answer: a bootstrap that could not switch the bypass off says so."""
    bootstrap.gh_seed("admins-bypass-kept", "")
    result = bootstrap.run(*REVIEWERS, "prod")
    assert result.returncode != 0
    assert "error: GitHub kept 'Allow administrators to bypass configured protection rules' on prod" in result.stderr
    assert "Done." not in result.stdout


def test_users_may_be_prod_reviewers_too(bootstrap):
    assert bootstrap.run("--prod-reviewers", "platform,@alice", "prod").returncode == 0
    assert environment_body(bootstrap, "prod")["reviewers"] == [{"type": "Team", "id": PLATFORM_TEAM_ID},
                                                                {"type": "User", "id": 7}]


def test_each_environment_holds_its_own_role_and_the_backend(standard):
    bootstrap = standard
    backend = f"s3://ml-edge-pulumi-state-{ACCOUNT}?region=eu-west-1"
    expected = {}
    for env in ("dev", "staging", "prod"):
        holders = {env: "deploy", f"{env}-observe": "observe"}
        if env != "prod":
            holders[f"{env}-preview"] = "preview"
        for holder, kind in holders.items():
            expected[(holder, "AWS_ROLE_ARN")] = f"arn:aws:iam::{ACCOUNT}:role/ml-edge-{kind}-{env}"
            expected[(holder, "AWS_REGION")] = "eu-west-1"
            expected[(holder, "PULUMI_BACKEND_URL")] = backend
    assert bootstrap.secrets == expected


def test_main_changes_only_through_a_pull_request_a_code_owner_approved(standard):
    bootstrap = standard
    (create,) = bootstrap.gh_api("POST", "rulesets")
    ruleset = create["docs"][0]
    assert ruleset["enforcement"] == "active" and ruleset["bypass_actors"] == []
    assert ruleset["conditions"]["ref_name"]["include"] == ["refs/heads/main"]
    rules = {rule["type"]: rule.get("parameters") for rule in ruleset["rules"]}
    assert {"deletion", "non_fast_forward", "pull_request"} <= set(rules)
    assert rules["pull_request"]["require_code_owner_review"] is True
    assert rules["pull_request"]["required_approving_review_count"] >= 1
    assert rules["pull_request"]["require_last_push_approval"] is True


# --- what earlier bootstraps left ------------------------------------------------------------------------------

def test_grants_of_earlier_bootstraps_are_removed(migrated):
    bootstrap, read_only = migrated, READ_ONLY
    assert bootstrap.lines("role-ml-edge-preview-dev.inline") == ["state", "guard"]
    assert bootstrap.lines("role-ml-edge-preview-dev.attached") == []
    assert bootstrap.lines("role-ml-edge-deploy-dev.inline") == ["state", "guard"]
    assert bootstrap.lines("role-ml-edge-deploy-dev.attached") == [
        f"arn:aws:iam::{ACCOUNT}:policy/ml-edge-dev-deploy-api",
        f"arn:aws:iam::{ACCOUNT}:policy/ml-edge-dev-deploy-edge-iam"]
    assert not bootstrap.exists("role-ml-edge-preview-prod")
    assert [option(c, "--policy-arn") for c in bootstrap.called("iam", "detach-role-policy")] == [read_only, read_only]


def test_managed_policies_keep_within_iams_five_versions(bootstrap):
    # IAM keeps at most 5 versions of a managed policy; every update first deletes the non-default ones, so three
    # runs already show it (without the deletion there would be three versions)
    for _ in range(3):
        assert bootstrap.run("dev").returncode == 0
    assert bootstrap.lines("policy-ml-edge-dev-deploy-api") == ["2"]  # the previous version and the new default


# --- the state bucket ------------------------------------------------------------------------------------------

def test_the_state_bucket_is_private_versioned_encrypted_tls_only_and_of_this_account(standard):
    bootstrap = standard
    s3 = bootstrap.called("s3api")
    assert {c["args"][1] for c in s3} >= {"head-bucket", "create-bucket", "put-bucket-ownership-controls",
                                         "put-public-access-block", "put-bucket-versioning",
                                         "put-bucket-encryption", "put-bucket-policy"}
    for call in s3:  # CreateBucket has no owner to expect: the bucket is new, or another account's and refused
        if call["args"][1] != "create-bucket":
            assert option(call, "--expected-bucket-owner") == ACCOUNT, call["args"][1]
    bucket = f"ml-edge-pulumi-state-{ACCOUNT}"
    assert {option(c, "--bucket") for c in s3} == {bucket}
    (versioning,) = bootstrap.called("s3api", "put-bucket-versioning")
    assert option(versioning, "--versioning-configuration") == "Status=Enabled"
    (block,) = bootstrap.called("s3api", "put-public-access-block")
    assert option(block, "--public-access-block-configuration") == \
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    (ownership,) = bootstrap.called("s3api", "put-bucket-ownership-controls")
    assert "ObjectOwnership=BucketOwnerEnforced" in option(ownership, "--ownership-controls")
    (encryption,) = bootstrap.called("s3api", "put-bucket-encryption")
    (rule,) = json.loads(option(encryption, "--server-side-encryption-configuration"))["Rules"]
    (alias,) = [c for c in bootstrap.called("kms", "create-alias")
                if option(c, "--alias-name") == "alias/ml-edge-pulumi"]
    assert rule == {"ApplyServerSideEncryptionByDefault": {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{option(alias, '--target-key-id')}"},
        "BucketKeyEnabled": False}
