"""tools/bootstrap.sh against stand-in `aws`, `pulumi` and `gh` CLIs, on a copy of the repository: the account's API
Gateway CloudWatch Logs role is created once and set in the region of each environment; each environment's stack is
created (or moved) with its own key and its stack file gets the lines that name it, every other byte kept; re-running
changes nothing it need not; the GitHub side (the OIDC subject, the environments with their branch policies,
reviewers and variables, the ruleset on main) is applied after the AWS trust policies it must match; roles,
environments and secrets the design dropped are removed; a new environment folder is bootstrapped like the others, an
incomplete one refused; and nothing changes when an input is wrong. The policy documents themselves:
tests/test_bootstrap_policies.py."""

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

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
STANDARD_REVIEWERS = ("--prod-reviewers", "platform,@alice")  # a team and a user
ADMINISTRATORS_OVERRIDE = {"PULUMI_CLOUD_SECRET_OVERRIDE": "awskms://alias/personal"}  # in the standard run's shell

SHEBANG = f"#!{shutil.which('bash')}\n"  # not through env: one process start less per call
# Common prologue of the three stand-ins: bash builtins only (one process per call, no cat/grep/sed/cp), since the
# bootstrap makes some 200 calls a run and every test runs it
FAKE_PROLOGUE = r"""set -eu
# next_number FILE: the number in FILE plus one, written back (0 when FILE is absent), in $number
next_number() {
  number=0; { read -r number < "$1"; } 2>/dev/null || true; number=$(( number + 1 )); echo "$number" > "$1"
}
# slurp FILE: its text, byte for byte, in $text (empty when absent)
slurp() { text=""; { IFS= read -r -d '' text < "$1"; } 2>/dev/null || true; }
# lines_of FILE: its lines in the array $lines (none when absent)
lines_of() { lines=(); [ ! -f "$1" ] || mapfile -t lines < "$1"; }
# write_lines FILE LINE...: FILE holds exactly these lines (empty without any)
write_lines() { local file=$1; shift; if [ $# -gt 0 ]; then printf '%s\n' "$@" > "$file"; else : > "$file"; fi; }
# has_line LINE: one of $lines is LINE
has_line() { local line; for line in "${lines[@]}"; do [ "$line" != "$1" ] || return 0; done; return 1; }
# pop_error FILE: the first line of FILE on stderr, removed from it, and exit 254; nothing when FILE is empty
pop_error() {
  lines_of "$1"; [ ${#lines[@]} -gt 0 ] || return 0
  echo "${lines[0]}" >&2; write_lines "$1" "${lines[@]:1}"; exit 254
}
"""

# Answers what bootstrap.sh asks, remembers what exists (buckets, keys and aliases, roles with their inline and
# attached policies, API Gateway's service-linked role, managed policies with their versions, each region's account
# setting) in its state folder, and logs every call: arguments, and the JSON document it was given as file://… .
# Seeded: update-errors, key-policy-errors, service-linked-role-errors and role-<name>.get-errors (one refusal a
# line, for as many calls).
FAKE_AWS = FAKE_PROLOGUE + r"""s=$FAKE_AWS_STATE
next_number "$s/count"; n=$number
printf '%s\0' "$@" > "$s/call-$n.args"
echo "aws $*" >> "$FAKE_SEQUENCE"
declare -A o=()  # each --option's value (its first occurrence)
arguments=("$@")
for (( i = 0; i + 1 < $#; i++ )); do
  case ${arguments[i]} in --*) [ -n "${o[${arguments[i]}]+set}" ] || o[${arguments[i]}]=${arguments[i + 1]} ;; esac
done
for a in "$@"; do case $a in file://*) slurp "${a#file://}"; printf '%s' "$text" > "$s/call-$n.json" ;; esac; done
query() { [ -n "${o[--query]+set}" ]; }
missing() { echo "An error occurred ($1)" >&2; exit 254; }
as_text() { lines_of "$1"; local IFS=$'\t'; echo "${lines[*]}"; }  # a list, as the CLI prints it
drop() { local kept=() line; lines_of "$1"; for line in "${lines[@]}"; do [ "$line" = "$2" ] || kept+=("$line"); done
         write_lines "$1" "${kept[@]}"; }
add() { lines_of "$1"; has_line "$2" || echo "$2" >> "$1"; }
role_file="$s/role-${o[--role-name]:-}"
policy_arn=${o[--policy-arn]:-}
policy_file="$s/policy-${policy_arn##*/}"
case "$1 $2" in
  "sts get-caller-identity") echo 123456789012 ;;
  "kms describe-key")
    key_file="$s/alias-${o[--key-id]//\//_}"; [ -f "$key_file" ] || missing NotFoundException
    if query; then read -r key < "$key_file"; echo "arn:aws:kms:${o[--region]}:123456789012:key/$key"; fi ;;
  "kms create-key") next_number "$s/keys"; echo "key-$number" ;;
  "kms create-alias") echo "${o[--target-key-id]}" > "$s/alias-${o[--alias-name]//\//_}" ;;
  "kms put-key-policy") pop_error "$s/key-policy-errors" ;;
  "s3api head-bucket") [ -f "$s/bucket-${o[--bucket]}" ] || missing 404 ;;
  "s3api create-bucket") : >> "$s/bucket-${o[--bucket]}" ;;
  "iam get-open-id-connect-provider") [ -f "$s/oidc" ] || missing NoSuchEntity ;;
  "iam create-open-id-connect-provider") : >> "$s/oidc" ;;
  "iam get-role")
    pop_error "$role_file.get-errors"
    [ -f "$role_file" ] || missing NoSuchEntity
    if query; then echo "arn:aws:iam::123456789012:role/${o[--role-name]}"; else echo "{}"; fi ;;
  "iam create-role") : >> "$role_file" ;;
  "iam create-service-linked-role")
    pop_error "$s/service-linked-role-errors"
    [ "${o[--aws-service-name]}" = ops.apigateway.amazonaws.com ] || missing InvalidInput
    if [ -f "$s/role-AWSServiceRoleForAPIGateway" ]; then
      echo "An error occurred (InvalidInput) when calling the CreateServiceLinkedRole operation: Service role name" \
        "AWSServiceRoleForAPIGateway has been taken in this account, please try a different suffix." >&2
      exit 254
    fi
    : >> "$s/role-AWSServiceRoleForAPIGateway" ;;
  "iam delete-role") rm "$role_file" ;;
  "iam put-role-policy") add "$role_file.inline" "${o[--policy-name]}" ;;
  "iam delete-role-policy") drop "$role_file.inline" "${o[--policy-name]}" ;;
  "iam list-role-policies") as_text "$role_file.inline" ;;
  "iam attach-role-policy") add "$role_file.attached" "${o[--policy-arn]}" ;;
  "iam detach-role-policy") drop "$role_file.attached" "${o[--policy-arn]}" ;;
  "iam list-attached-role-policies") as_text "$role_file.attached" ;;
  "iam get-policy") [ -f "$policy_file" ] || missing NoSuchEntity ;;
  "iam create-policy") echo 1 > "$s/policy-${o[--policy-name]}" ;;
  "iam list-policy-versions")
    read -r v < "$policy_file"; versions=""
    for (( i = 1; i < v; i++ )); do versions="${versions:+$versions }v$i"; done
    echo "$versions" ;;
  "iam create-policy-version")
    read -r v < "$policy_file"; v=$(( v + 1 )); [ "$v" -le 5 ] || missing LimitExceeded; echo "$v" > "$policy_file" ;;
  "iam delete-policy-version") read -r v < "$policy_file"; echo $(( v - 1 )) > "$policy_file" ;;
  "apigateway get-account")
    if [ -f "$s/account-${o[--region]}" ]; then read -r arn < "$s/account-${o[--region]}"; echo "$arn"
    else echo None; fi ;;
  "apigateway update-account")
    pop_error "$s/update-errors"
    patch=${o[--patch-operations]}
    echo "${patch#*value=}" > "$s/account-${o[--region]}" ;;
esac
"""

# The GitHub CLI as bootstrap.sh uses it: `gh api [--method M] PATH [--jq …] [--input FILE] [-f k=v]`,
# `gh variable set NAME --repo R --env E --body V` and `gh secret set|delete NAME --repo R --env E [--body V]`.
# Remembers environments, their deployment branch policies ("id type name" lines), the ruleset, the variables and the
# secrets ("env name value" lines); knows the team `platform` and the user `alice`. Answers what the --jq filter would
# print; reads paths case-insensitively, as GitHub does (the repository is acme/ml-edge);
# reports the CODEOWNERS errors seeded in codeowners-errors (none by default), or 404 with codeowners-missing; keeps
# admin bypass on an environment when seeded with admins-bypass-kept, as if GitHub ignored the field.
FAKE_GH = FAKE_PROLOGUE + r"""g=$FAKE_GH_STATE
next_number "$g/count"; n=$number
printf '%s\0' "$@" > "$g/call-$n.args"
echo "gh $*" >> "$FAKE_SEQUENCE"
not_found() { echo "gh: Not Found (HTTP 404)" >&2; exit 1; }
show() { slurp "$1"; printf '%s' "$text"; }  # a file's text (nothing when absent)
if [ "$1 $2" = "auth status" ]; then [ ! -f "$g/logged-out" ] || exit 1; exit 0; fi
case "$1 $2" in
  "secret set" | "variable set" | "secret delete")
    kind=$1; verb=$2; name=$3; shift 3; env=""; body=""
    while [ $# -gt 0 ]; do case $1 in --env) env=$2; shift 2 ;; --body) body=$2; shift 2 ;; *) shift ;; esac; done
    file="$g/${kind}s"; lines_of "$file"; kept=()
    for line in "${lines[@]}"; do [[ $line == "$env $name "* ]] || kept+=("$line"); done
    if [ "$verb" = delete ] && [ ${#kept[@]} = ${#lines[@]} ]; then not_found; fi
    [ "$verb" = delete ] || kept+=("$env $name $body")
    write_lines "$file" "${kept[@]}"; exit 0 ;;
esac
[ "$1" = api ] || { echo "fake gh: unexpected $*" >&2; exit 2; }
shift
method=GET; path=""; fields=""; body=""
while [ $# -gt 0 ]; do
  case $1 in
    --method) method=$2; shift 2 ;;
    --input) slurp "$2"; body=$text; printf '%s' "$body" > "$g/call-$n.json"; shift 2 ;;
    --jq) shift 2 ;;
    -f) fields="$fields $2"; shift 2 ;;
    *) path=${1,,}; shift ;;
  esac
done
repo=repos/acme/ml-edge
environment=${path#"$repo"/environments/}; environment=${environment%%/*}
case "$method $path" in
  "GET $repo") echo "987654321 acme/ml-edge" ;;
  "GET $repo/codeowners/errors?ref=main") [ ! -f "$g/codeowners-missing" ] || not_found; show "$g/codeowners-errors" ;;
  "GET orgs/acme/teams/platform") echo 42 ;;
  "GET users/alice") echo 7 ;;
  "GET orgs/"* | "GET users/"*) not_found ;;
  "PUT $repo/actions/oidc/customization/sub") ;;
  "GET $repo/environments/"*/deployment-branch-policies) show "$g/policies-$environment" ;;
  "POST $repo/environments/"*/deployment-branch-policies)
    { read -r id < "$g/ids"; } 2>/dev/null || id=100; id=$(( id + 1 )); echo "$id" > "$g/ids"
    name=""; type=""; for f in $fields; do case $f in name=*) name=${f#name=} ;; type=*) type=${f#type=} ;; esac; done
    echo "$id $type $name" >> "$g/policies-$environment" ;;
  "DELETE $repo/environments/"*/deployment-branch-policies/*)
    lines_of "$g/policies-$environment"; kept=()
    for line in "${lines[@]}"; do [[ $line == "${path##*/} "* ]] || kept+=("$line"); done
    write_lines "$g/policies-$environment" "${kept[@]}" ;;
  "GET $repo/environments/"*"/secrets?per_page=100")
    lines_of "$g/secrets"
    for line in "${lines[@]}"; do
      if [[ $line == "$environment "* ]]; then line=${line#* }; echo "${line%% *}"; fi
    done ;;
  "PUT $repo/environments/"*)
    : >> "$g/env-${path##*/}"
    if [ ! -f "$g/admins-bypass-kept" ] && [[ $body == *'"can_admins_bypass": false'* ]]; then
      echo false
    else
      echo true
    fi ;;
  "GET $repo/environments/"*) [ -f "$g/env-${path##*/}" ] || not_found ;;
  "DELETE $repo/environments/"*) rm "$g/env-${path##*/}" ;;
  "GET $repo/rulesets") show "$g/ruleset" ;;
  "POST $repo/rulesets") echo 31 > "$g/ruleset" ;;
  "PUT $repo/rulesets/"*) ;;
  *) echo "fake gh: unexpected $method $path" >&2; exit 2 ;;
esac
"""


# The Pulumi CLI as bootstrap.sh uses it, against the state backend named by PULUMI_BACKEND_URL: `version`, and
# `stack tag ls|set`, `stack init`, `stack change-secrets-provider` of a project whose Pulumi.yaml is in the working
# directory. Remembers the stacks (their secrets provider, their tags); logs every call with its working directory,
# backend, project file and the stack file it found there. Like the real CLI (3.259.0), `stack init` and
# `change-secrets-provider` rewrite Pulumi.<stack>.yaml of the working directory re-marshalled: the secrets provider
# and its encrypted data key first, every comment dropped; `stack init` keeps the file's key when it names the same
# provider, PULUMI_CLOUD_SECRET_OVERRIDE replaces the provider, a missing stack is exit code 6. Seeded: fail-<command>
# (its text on stderr, exit 1); writes-provider (the provider it records instead of the one asked); missing-status
# (the exit code of "no stack named …", as CLIs before 3.226 gave it: 255).
FAKE_PULUMI = FAKE_PROLOGUE + r"""p=$FAKE_PULUMI_STATE
next_number "$p/count"; n=$number
printf '%s\0' "$@" > "$p/call-$n.args"
printf 'cwd=%s\nbackend=%s\n' "$PWD" "${PULUMI_BACKEND_URL:-}" > "$p/call-$n.env"
echo "pulumi $*" >> "$FAKE_SEQUENCE"
[ "${1:-}" != --non-interactive ] || shift
[ "$1" != version ] || { echo v3.259.0; exit 0; }
lines_of Pulumi.yaml
has_line "name: ml-edge" || { echo "error: no Pulumi.yaml project file found" >&2; exit 255; }
slurp Pulumi.yaml; printf '%s' "$text" > "$p/call-$n.project"
[ -n "${PULUMI_BACKEND_URL:-}" ] || {
  echo "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions" >&2; exit 1; }
command="$1 $2"; shift 2
stack=""; provider=""; positional=()
while [ $# -gt 0 ]; do
  case $1 in
    --stack) stack=$2; shift 2 ;;
    --secrets-provider) provider=$2; shift 2 ;;
    --*) shift ;;
    *) positional+=("$1"); shift ;;
  esac
done
if [ -f "$p/fail-${command#* }" ]; then slurp "$p/fail-${command#* }"; printf '%s' "$text" >&2; exit 1; fi
missing() {
  local status=6; { read -r status < "$p/missing-status"; } 2>/dev/null || true
  echo "error: no stack named '$1' found" >&2; exit "$status"
}
rewrite() {  # rewrite STACK PROVIDER KEEP_KEY: Pulumi.<stack>.yaml as ProjectStack.Save writes it
  local file="Pulumi.$1.yaml" url=$2 key="" line kept=()
  local dropped='^[[:space:]]*#|^(secretsprovider|encryptedkey|encryptionsalt):'
  url=${PULUMI_CLOUD_SECRET_OVERRIDE:-$url}
  [ ! -f "$p/writes-provider" ] || read -r url < "$p/writes-provider" || true  # seeded without a newline
  lines_of "$file"
  if [ "$3" = keep ] && has_line "secretsprovider: $url"; then
    for line in "${lines[@]}"; do [[ $line != "encryptedkey: "* ]] || key=${line#encryptedkey: }; done
  fi
  [ -n "$key" ] || key="AQICAHh+/ZGF0YSBrZXk${n}of${1//[^A-Za-z0-9]/}"  # base64 characters, as a KMS data key is
  [ ! -f "$file" ] || { slurp "$file"; printf '%s' "$text" > "$p/call-$n.stack-file"; }
  for line in "${lines[@]}"; do
    [[ $line =~ $dropped ]] || kept+=("${line%% #*}")
  done
  write_lines "$file" "secretsprovider: $url" "encryptedkey: $key" "${kept[@]}"
  echo "$url" > "$p/stack-$1"
  echo "$key" > "$p/stack-$1.key"
}
case $command in
  "stack tag")
    verb=${positional[0]}
    [ -f "$p/stack-$stack" ] || missing "$stack"
    [ "$verb" = ls ] || echo "${positional[1]}=${positional[2]}" >> "$p/stack-$stack.tags" ;;
  "stack init")
    stack=${positional[0]}
    [ ! -f "$p/stack-$stack" ] || { echo "error: stack '$stack' already exists" >&2; exit 1; }
    rewrite "$stack" "$provider" keep
    echo "Created stack '$stack'" ;;
  "stack change-secrets-provider")
    [ -f "$p/stack-$stack" ] || missing "$stack"
    rewrite "$stack" "${positional[0]}" new
    echo "Migrating old configuration and state to new secrets provider" ;;
  *) echo "fake pulumi: unexpected $command" >&2; exit 2 ;;
esac
"""


def _calls(state: Path) -> list[dict]:
    count = int((state / "count").read_text()) if (state / "count").exists() else 0
    return [{"args": (state / f"call-{n}.args").read_text().split("\0")[:-1],
             "docs": [json.loads(d.read_text()) for d in [state / f"call-{n}.json"] if d.exists()]}
            for n in range(1, count + 1)]


def without_pulumi(path: str) -> str:
    """PATH without any folder holding a `pulumi`: the bootstrap never meets a real Pulumi CLI here."""
    return os.pathsep.join(d for d in path.split(os.pathsep) if d and not (Path(d) / "pulumi").exists())


class Bootstrap:
    """Runs bootstrap.sh (from `root`: by default its own copy of the repository's tools, project file and
    environments, made on first use, since the bootstrap writes to the stack files) with the stand-in CLIs."""

    def __init__(self, tmp_path: Path, *, existing: bool = False):
        self.base = tmp_path
        self.bin_dir, self.aws_state, self.gh_state = tmp_path / "bin", tmp_path / "aws", tmp_path / "gh"
        self.pulumi_dir, self.pulumi_state = tmp_path / "pulumi-bin", tmp_path / "pulumi"
        self.sequence_file = tmp_path / "sequence"
        for folder in (self.bin_dir, self.aws_state, self.gh_state, self.pulumi_dir, self.pulumi_state):
            folder.mkdir(exist_ok=existing)
        (self.bin_dir / "aws").write_text(SHEBANG + FAKE_AWS)
        (self.bin_dir / "gh").write_text(SHEBANG + FAKE_GH)
        (self.pulumi_dir / "pulumi").write_text(SHEBANG + FAKE_PULUMI)
        (self.bin_dir / "sleep").write_text(f"#!/bin/sh\necho \"$*\" >> {self.aws_state}/sleeps\n")
        for script in [*self.bin_dir.iterdir(), self.pulumi_dir / "pulumi"]:
            script.chmod(0o755)

    @functools.cached_property
    def root(self) -> Path:
        root = self.base / "checkout"
        if not root.exists():
            copy_of_the_tools(self.base, "checkout")
            shutil.copytree(ROOT / "environments", root / "environments")
        return root

    @classmethod
    def continuing(cls, earlier: "Bootstrap", tmp_path: Path) -> "Bootstrap":
        """A copy of what an earlier run left (its account, repository, stacks and checkout), to run again on."""
        shutil.copytree(earlier.base, tmp_path, symlinks=True, dirs_exist_ok=True)
        return cls(tmp_path, existing=True)

    def run(self, *args, root=None, update_errors=(), key_policy_errors=(), repo="acme/ml-edge", region="eu-west-1",
            pulumi=True, environment=None):
        root = root or self.root
        for state in (self.aws_state, self.gh_state, self.pulumi_state):
            for old in [*state.glob("call-*"), state / "count"]:
                old.unlink(missing_ok=True)
        (self.aws_state / "update-errors").write_text("".join(f"{error}\n" for error in update_errors))
        (self.aws_state / "key-policy-errors").write_text("".join(f"{error}\n" for error in key_policy_errors))
        self.sequence_file.write_text("")
        path = [str(self.bin_dir), *([str(self.pulumi_dir)] if pulumi else []), without_pulumi(os.environ["PATH"])]
        environment = {**os.environ, **(environment or {}), "PATH": os.pathsep.join(path),
                       "FAKE_AWS_STATE": str(self.aws_state), "FAKE_GH_STATE": str(self.gh_state),
                       "FAKE_PULUMI_STATE": str(self.pulumi_state), "FAKE_SEQUENCE": str(self.sequence_file)}
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

    def aws_seed(self, name: str, text: str) -> None:
        (self.aws_state / name).write_text(text)

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

    def _values(self, kind: str) -> dict[tuple[str, str], str]:
        return {(env, name): value for env, name, value in (line.split(" ", 2) for line in self.gh_file(kind))}

    @property
    def secrets(self) -> dict[tuple[str, str], str]:
        return self._values("secrets")

    @property
    def variables(self) -> dict[tuple[str, str], str]:
        return self._values("variables")

    # --- what the stand-in Pulumi CLI saw and holds ---------------------------------------------------------------
    @property
    def pulumi_calls(self) -> list[dict]:
        """Each call: its arguments, working directory, backend, and the project and stack files it found."""
        calls = []
        count = int((self.pulumi_state / "count").read_text()) if (self.pulumi_state / "count").exists() else 0
        for n in range(1, count + 1):
            call = {"args": (self.pulumi_state / f"call-{n}.args").read_text().split("\0")[:-1]}
            call.update(line.split("=", 1) for line in (self.pulumi_state / f"call-{n}.env").read_text().splitlines())
            for name in ("project", "stack-file"):
                file = self.pulumi_state / f"call-{n}.{name}"
                call[name] = file.read_text() if file.exists() else None
            calls.append(call)
        return calls

    def pulumi_commands(self, *command) -> list[dict]:
        """The calls of this command (after --non-interactive), e.g. ("stack", "init")."""
        return [c for c in self.pulumi_calls if c["args"][1:1 + len(command)] == list(command)]

    def pulumi_seed(self, name: str, text: str) -> None:
        (self.pulumi_state / name).write_text(text)

    def stack_secrets(self, env: str) -> tuple[str, str] | None:
        """The secrets provider and encrypted data key the stack's state holds, None without the stack."""
        stack = self.pulumi_state / f"stack-{env}"
        if not stack.exists():
            return None
        key = self.pulumi_state / f"stack-{env}.key"
        return stack.read_text().strip(), key.read_text().strip() if key.exists() else ""

    def stack_tags(self, env: str) -> list[str]:
        tags = self.pulumi_state / f"stack-{env}.tags"
        return tags.read_text().splitlines() if tags.exists() else []

    def stack_file(self, env: str) -> str:
        return (self.root / "environments" / env / f"Pulumi.{env}.yaml").read_text()

    def write_stack_file(self, env: str, text: str) -> None:
        (self.root / "environments" / env / f"Pulumi.{env}.yaml").write_text(text)


@pytest.fixture
def bootstrap(tmp_path):
    return Bootstrap(tmp_path)


READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
OLD_PROVIDER = "awskms://alias/ml-edge-pulumi?region=eu-west-1"
OLD_SECRETS = ("dev AWS_ROLE_ARN arn:aws:iam::123456789012:role/ml-edge-deploy-dev", "dev AWS_REGION eu-west-1",
               "dev PULUMI_BACKEND_URL s3://ml-edge-pulumi-state-123456789012?region=eu-west-1",
               "dev PULUMI_ACCESS_TOKEN not-ours", "prod-observe AWS_REGION eu-west-1")


def with_old_lines(stack_file: str) -> str:
    """The stack file with an earlier provider's lines after its first line, a comment between them."""
    first, rest = stack_file.split("\n", 1)
    return f"{first}\nsecretsprovider: {OLD_PROVIDER}\n# the state key, for now\nencryptedkey: T0xEa2V5\n{rest}"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One bootstrap of every environment over what earlier bootstraps left (a prod-preview environment, branch
    policies other than main, ReadOnlyAccess and the old inline policies, a managed policy at IAM's five versions)
    in an account that has API Gateway's service-linked role already, by an administrator whose Pulumi CLI predates
    its exit codes; shared by the tests that read it."""
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
    run.gh_seed("secrets", "".join(f"{line}\n" for line in OLD_SECRETS))
    for env in ("dev", "staging"):  # stacks on the state key, as the first bootstraps printed them
        run.pulumi_seed(f"stack-{env}", f"{OLD_PROVIDER}\n")
    run.write_stack_file("staging", with_old_lines(run.stack_file("staging")))  # dev's lines stayed in program/
    run.aws_seed(f"role-{SERVICE_LINKED_ROLE}", "")  # API Gateway made it (an earlier API, or one made by hand)
    run.aws_seed("policy-ml-edge-dev-deploy-api", "5\n")  # IAM's most versions, after some earlier bootstraps
    run.pulumi_seed("missing-status", "255")  # the administrator's CLI is from before 3.226 (see below)
    run.result = run.run(*REVIEWERS)
    assert run.result.returncode == 0, run.result.stderr
    return run


@pytest.fixture
def standard(standard_bootstrap):
    return standard_bootstrap


def option(call: dict, name: str) -> str:
    return call["args"][call["args"].index(name) + 1]


def copy_of_the_tools(tmp_path: Path, name: str = "repo") -> Path:
    """A repository root with a copy of the bootstrap, and no environment yet; the program (its project file, and the
    config facts the stack-file reader checks values against), gitops/ (the reader) and the virtualenv are the
    repository's, linked: the bootstrap writes to none of them, and names the reader its environments/ folder."""
    root = tmp_path / name
    shutil.copytree(ROOT / "tools" / "bootstrap", root / "tools" / "bootstrap")
    shutil.copy(ROOT / "tools" / "bootstrap.sh", root / "tools")
    for linked in ("program", "gitops", ".venv"):
        (root / linked).symlink_to(ROOT / linked)
    return root


def add_environment(root: Path, env: str, config: str, policy: bool = True) -> None:
    (root / "environments" / env).mkdir(parents=True)
    (root / "environments" / env / f"Pulumi.{env}.yaml").write_text(config)
    if policy:
        (root / "environments" / env / "policy.json").write_text("{}\n")


# --- API Gateway's service-linked role ---------------------------------------------------------------------------

SERVICE_LINKED_ROLE = "AWSServiceRoleForAPIGateway"
SERVICE_LINKED_ROLE_LINE = f"API Gateway's service-linked role {SERVICE_LINKED_ROLE} (ops.apigateway.amazonaws.com)\n"
CREATE_SERVICE_LINKED_ROLE = "aws iam create-service-linked-role --aws-service-name ops.apigateway.amazonaws.com"
ROLE_NAME_TAKEN = ("An error occurred (InvalidInput) when calling the CreateServiceLinkedRole operation: Service role "
                   "name AWSServiceRoleForAPIGateway has been taken in this account, please try a different suffix.")


def test_api_gateways_service_linked_role_is_created_once_when_the_account_has_none(standard):
    """API Gateway creates AWSServiceRoleForAPIGateway on first need (an API, a custom domain name, X-Ray tracing on
    a stage) as its caller, the deploy role, which may not create roles of other services: the bootstrap does it."""
    bootstrap, result = standard, standard.result
    (create,) = bootstrap.called("iam", "create-service-linked-role")
    assert create["args"] == CREATE_SERVICE_LINKED_ROLE.split()[1:]
    assert bootstrap.exists(f"role-{SERVICE_LINKED_ROLE}")
    sequence = bootstrap.sequence
    assert sequence.index(f"aws iam get-role --role-name {SERVICE_LINKED_ROLE}") < sequence.index(
        CREATE_SERVICE_LINKED_ROLE)
    assert f"{SERVICE_LINKED_ROLE_LINE}  created\n" in result.stdout


def test_an_existing_service_linked_role_is_left_as_it_is(migrated):
    assert not migrated.called("iam", "create-service-linked-role")
    assert f"{SERVICE_LINKED_ROLE_LINE}  exists\n" in migrated.result.stdout


def test_a_service_linked_role_api_gateway_made_in_the_meantime_counts_as_existing(bootstrap):
    bootstrap.aws_seed("service-linked-role-errors", f"{ROLE_NAME_TAKEN}\n")
    result = bootstrap.run("dev")
    assert result.returncode == 0, result.stderr
    assert f"{SERVICE_LINKED_ROLE_LINE}  exists (created in the meantime)\n" in result.stdout


DENIED_CREATE = ("An error occurred (AccessDenied) when calling the CreateServiceLinkedRole operation: User: "
                 "arn:aws:iam::123456789012:user/admin is not authorized to perform: iam:CreateServiceLinkedRole")
DENIED_GET = ("An error occurred (AccessDenied) when calling the GetRole operation: User: "
              "arn:aws:iam::123456789012:user/admin is not authorized to perform: iam:GetRole")


@pytest.mark.parametrize(("seed", "denied", "message"), [
    ("service-linked-role-errors", DENIED_CREATE, "error: could not create API Gateway's service-linked role (above); "
     f"an administrator of the account creates it once with: {CREATE_SERVICE_LINKED_ROLE}\n"),
    (f"role-{SERVICE_LINKED_ROLE}.get-errors", DENIED_GET,
     f"error: could not tell whether the role {SERVICE_LINKED_ROLE} exists\n"),
], ids=["create", "get"])
def test_a_refused_service_linked_role_stops_the_bootstrap_naming_what_to_do(bootstrap, seed, denied, message):
    """dev has one region: the role is needed all the same (its API, its stage's X-Ray tracing)."""
    bootstrap.aws_seed(seed, f"{denied}\n")
    result = bootstrap.run("dev")
    assert result.returncode != 0
    assert denied in result.stderr and message in result.stderr
    assert not bootstrap.exists(f"role-{SERVICE_LINKED_ROLE}")
    assert not bootstrap.called("iam", "create-role") and not bootstrap.pulumi_commands("stack", "init")


# --- API Gateway's CloudWatch Logs role (an account setting per region) ----------------------------------------

def test_the_logging_role_is_created_once_and_set_in_every_region_of_every_environment(standard):
    """A stage with access logging is refused in a region whose account setting names no CloudWatch Logs role
    ("CloudWatch Logs role ARN must be set in account settings"): every region of ml-edge:regions needs it."""
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
    # dev and staging run in eu-west-1 (the first try meets the new role's propagation delay), prod in us-east-1,
    # eu-west-1 (set already) and ap-southeast-1: each region once
    assert updates == [("eu-west-1", PATCH), ("eu-west-1", PATCH), ("us-east-1", PATCH), ("ap-southeast-1", PATCH)]
    assert "Logs role ml-edge-apigateway-cloudwatch, set in eu-west-1 us-east-1 ap-southeast-1\n" in result.stdout
    assert bootstrap.sleeps == ["10"] and "eu-west-1: the new role is not usable yet, retrying in 10 s" in result.stdout
    assert bootstrap.account == {"eu-west-1": LOGS_ROLE_ARN, "us-east-1": LOGS_ROLE_ARN,
                                 "ap-southeast-1": LOGS_ROLE_ARN}
    prod_regions = yaml.safe_load(original_stack_file("prod"))["config"]["ml-edge:regions"]
    assert len(prod_regions) == 3 and set(prod_regions) <= set(bootstrap.account)


def test_a_second_run_creates_nothing_and_changes_no_account_setting_stack_or_stack_file(standard, tmp_path):
    bootstrap = Bootstrap.continuing(standard, tmp_path)  # the standard run's account, repository and checkout
    stack_file = bootstrap.stack_file("prod")
    assert stack_file != original_stack_file("prod")  # with the lines the first run wrote
    result = bootstrap.run(*REVIEWERS, "prod")
    assert result.returncode == 0, result.stderr
    assert bootstrap.stack_file("prod") == stack_file and "git add" not in result.stdout
    assert not bootstrap.pulumi_commands("stack", "init")
    assert not bootstrap.pulumi_commands("stack", "change-secrets-provider")
    assert len(bootstrap.pulumi_commands("stack", "tag", "set")) == 1
    assert "stack prod: exists, its secrets encrypted with alias/ml-edge-prod" in result.stdout
    for creation in (("iam", "create-role"), ("iam", "create-policy"), ("kms", "create-key"),
                     ("s3api", "create-bucket"), ("iam", "create-open-id-connect-provider"),
                     ("iam", "create-service-linked-role"), ("apigateway", "update-account")):
        assert not bootstrap.called(*creation), creation
    assert "us-east-1: already set" in result.stdout and f"{SERVICE_LINKED_ROLE_LINE}  exists\n" in result.stdout
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
    assert ("error: environment 'qa' is not set up: environments/qa/ lacks Pulumi.qa.yaml (the stack file: "
            "aws:region, aws:defaultTags with environment: qa, models, consumers) and policy.json") in result.stderr
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


TWO_DOMAINS = """config:
  aws:region: eu-west-1
  ml-edge:regions:  # a block list
    - eu-west-1
    - us-east-2
  ml-edge:customDomain: {domainName: api.example.com, hostedZoneId: ZCUSTOM}  # flow style
  ml-edge:originDomain:
    name: origin.example.net
    hostedZoneId: "ZORIGIN"  # a second hostedZoneId, under its own key
"""


def rendered(bootstrap: "Bootstrap", policy_name: str, role: str | None = None) -> dict:
    """The document the bootstrap applied as this customer managed policy, or as this inline policy of the role."""
    (document,) = [c["docs"][0] for c in bootstrap.calls
                   if (c["args"][:2] == ["iam", "create-policy"] and role is None
                       or c["args"][:2] == ["iam", "put-role-policy"] and option(c, "--role-name") == role)
                   and option(c, "--policy-name") == policy_name]
    return document


def test_the_custom_and_origin_domains_are_read_from_their_own_keys_in_flow_or_block_style(bootstrap, tmp_path):
    """The stack file is read as YAML, each value under its own key: two hostedZoneIds are not ambiguous, and
    flow style is read like block style rather than refused or guessed."""
    root = copy_of_the_tools(tmp_path)
    add_environment(root, "qa", TWO_DOMAINS)
    result = bootstrap.run("qa", root=root)
    assert result.returncode == 0, result.stderr
    custom = json.dumps(rendered(bootstrap, "route53", "ml-edge-deploy-qa"))
    assert "hostedzone/ZCUSTOM" in custom and '"api.example.com"' in custom and "ZORIGIN" not in custom
    origin = json.dumps(rendered(bootstrap, "ml-edge-qa-deploy-origin"))
    assert "hostedzone/ZORIGIN" in origin and '"origin.example.net"' in origin and "ZCUSTOM" not in origin
    assert '"aws:RequestedRegion": ["eu-west-1", "us-east-2"]' in origin
    assert [option(c, "--region") for c in bootstrap.called("apigateway", "update-account")] == [
        "eu-west-1", "us-east-2"]


@pytest.mark.parametrize(("config", "message"), [
    ("  ml-edge:regions: [eu-west-1, us-east-2]\n",
     "environments/qa/Pulumi.qa.yaml: ml-edge:originDomain: required with more than one region (ml-edge:regions: "
     "eu-west-1, us-east-2)"),
    ("  ml-edge:regions: [us-east-2, eu-west-1]\n  ml-edge:originDomain: {name: o.example.net, hostedZoneId: Z1}\n",
     "environments/qa/Pulumi.qa.yaml: ml-edge:regions: the first region must be aws:region (eu-west-1), got us-east-2"),
    ("  ml-edge:regions: [eu-west-1, cn-north-1]\n  ml-edge:originDomain: {name: o.example.net, hostedZoneId: Z1}\n",
     "environments/qa/Pulumi.qa.yaml: ml-edge:regions: 'cn-north-1' is not a region of the AWS commercial partition"),
    ("  ml-edge:regions: [eu-west-1, us-east-2]\n  ml-edge:originDomain: {name: o.example.net}\n",
     "environments/qa/Pulumi.qa.yaml: ml-edge:originDomain.hostedZoneId: expected a Route 53 hosted zone id"),
    ("  ml-edge:customDomain:\n    domainName: API.example.com\n",
     "environments/qa/Pulumi.qa.yaml: ml-edge:customDomain.domainName: expected a lower-case DNS name"),
])
def test_a_stack_file_value_the_policies_cannot_use_stops_the_bootstrap_naming_the_key(bootstrap, tmp_path, config,
                                                                                        message):
    root = copy_of_the_tools(tmp_path)
    add_environment(root, "qa", "config:\n  aws:region: eu-west-1\n" + config)
    result = bootstrap.run("qa", root=root)
    assert result.returncode != 0
    assert f"error: {message}" in result.stderr
    assert bootstrap.calls == [] and bootstrap.gh_calls == []


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
    assert prod["reviewers"] == [{"type": "Team", "id": PLATFORM_TEAM_ID}, {"type": "User", "id": 7}]
    assert prod["prevent_self_review"] is True
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


def test_users_may_be_prod_reviewers_too(standard):
    assert standard.reviewers == "platform,@alice"
    assert environment_body(standard, "prod")["reviewers"] == [{"type": "Team", "id": PLATFORM_TEAM_ID},
                                                               {"type": "User", "id": 7}]


def test_each_environment_holds_its_own_role_region_and_backend_as_variables_not_secrets(standard):
    """None of the three is secret, and GitHub masks a secret's value wherever it appears in a log."""
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
    assert bootstrap.variables == expected
    assert bootstrap.secrets == {} and not [c for c in bootstrap.gh_calls if c["args"][:2] == ["secret", "set"]]
    assert {option(c, "--repo") for c in bootstrap.gh_calls if c["args"][0] == "variable"} == {"acme/ml-edge"}


def test_the_secrets_earlier_bootstraps_set_are_deleted_once_the_variables_exist(migrated):
    bootstrap = migrated
    assert bootstrap.secrets == {("dev", "PULUMI_ACCESS_TOKEN"): "not-ours"}  # not the bootstrap's: kept
    assert bootstrap.variables[("prod-observe", "AWS_REGION")] == "eu-west-1"
    sequence = bootstrap.sequence
    deletes = [i for i, line in enumerate(sequence) if line.startswith("gh secret delete")]
    assert [sequence[i].split()[3] for i in deletes] == ["AWS_ROLE_ARN", "AWS_REGION", "PULUMI_BACKEND_URL",
                                                         "AWS_REGION"]
    dev_variables = [i for i, line in enumerate(sequence) if line.startswith("gh variable set ")
                     and " --env dev " in line]
    assert max(dev_variables) < min(deletes)


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


# --- the stacks: created with their environment's key, the stack files naming it -------------------------------

BACKEND = f"s3://ml-edge-pulumi-state-{ACCOUNT}?region=eu-west-1"


def provider(env: str) -> str:
    return f"awskms://alias/ml-edge-{env}?region=eu-west-1"


def original_stack_file(env: str) -> str:
    return (ROOT / "environments" / env / f"Pulumi.{env}.yaml").read_text()


def with_lines(stack_file: str, env: str, key: str) -> str:
    """The stack file with the two lines just before `config:`, every other byte as it was."""
    head, config = stack_file.split("\nconfig:\n", 1)
    return f"{head}\nsecretsprovider: {provider(env)}\nencryptedkey: {key}\nconfig:\n{config}"


def test_each_stack_is_created_in_the_state_backend_with_its_environments_key_and_tagged(standard):
    bootstrap = standard
    for env in ("dev", "staging", "prod"):
        (init,) = [c for c in bootstrap.pulumi_commands("stack", "init") if c["args"][3] == env]
        assert init["args"] == ["--non-interactive", "stack", "init", env, "--secrets-provider", provider(env),
                                "--no-select"]
        assert bootstrap.stack_secrets(env)[0] == provider(env)
        assert bootstrap.stack_tags(env) == [f"environment={env}"]
    assert not bootstrap.pulumi_commands("stack", "change-secrets-provider")
    for call in bootstrap.pulumi_calls:  # the backend by variable: the administrator's own login is left alone
        assert call["backend"] == BACKEND and call["args"][0] == "--non-interactive", call["args"]
        if call["args"][1] != "version":  # in a project named as the program's, so the state objects are the same
            assert call["project"] == (ROOT / "program" / "Pulumi.yaml").read_text()
            assert not call["cwd"].startswith(str(bootstrap.root))


def test_the_stack_files_get_the_secrets_provider_lines_and_keep_every_other_byte(standard):
    """The workflows pass the stack file with --config-file, and the CLI reads the secrets provider from that file
    only; `stack init` wrote its lines into a scratch copy it re-marshalled (comments gone), so only they are carried
    over."""
    bootstrap = standard
    for env in ("dev", "staging", "prod"):
        key = bootstrap.stack_secrets(env)[1]
        assert key.startswith("AQICAHh+/")
        assert bootstrap.stack_file(env) == with_lines(original_stack_file(env), env, key)
    (init,) = [c for c in bootstrap.pulumi_commands("stack", "init") if c["args"][3] == "dev"]
    assert init["stack-file"] == original_stack_file("dev")  # what pulumi read: the file as committed
    assert "git add environments/dev/Pulumi.dev.yaml environments/prod/Pulumi.prod.yaml " \
           "environments/staging/Pulumi.staging.yaml" in standard.result.stdout


def test_the_stacks_are_set_up_after_their_keys_and_before_github(standard):
    sequence = standard.sequence
    for env in ("dev", "staging", "prod"):
        (key,) = [i for i, line in enumerate(sequence) if line.startswith("aws kms create-alias")
                  and f"alias/ml-edge-{env} " in line]
        (init,) = [i for i, line in enumerate(sequence) if f"stack init {env} " in line]
        assert key < init
    pulumi = [i for i, line in enumerate(sequence) if line.startswith("pulumi ")]
    github_writes = [i for i, line in enumerate(sequence) if line.startswith(("gh api --method", "gh variable"))]
    assert max(pulumi) < min(github_writes)


def test_stacks_of_earlier_bootstraps_move_to_their_environments_key(migrated):
    """dev's stack was made by hand (its lines stayed in program/), staging's file names the state key: both are
    moved with change-secrets-provider; the stack file's lines are replaced where they were."""
    bootstrap = migrated
    moves = {c["args"][4]: c for c in bootstrap.pulumi_commands("stack", "change-secrets-provider")}
    assert set(moves) == {"dev", "staging"}
    for env, move in moves.items():
        assert move["args"] == ["--non-interactive", "stack", "change-secrets-provider", "--stack", env,
                                provider(env)]
        assert bootstrap.stack_secrets(env)[0] == provider(env)
    assert moves["staging"]["stack-file"] == with_old_lines(original_stack_file("staging"))
    assert [c["args"][3] for c in bootstrap.pulumi_commands("stack", "init")] == ["prod"]
    dev_key = bootstrap.stack_secrets("dev")[1]
    assert bootstrap.stack_file("dev") == with_lines(original_stack_file("dev"), "dev", dev_key)
    first, rest = original_stack_file("staging").split("\n", 1)
    assert bootstrap.stack_file("staging") == (f"{first}\nsecretsprovider: {provider('staging')}\nencryptedkey: "
                                               f"{bootstrap.stack_secrets('staging')[1]}\n# the state key, for now\n"
                                               f"{rest}")


def test_a_missing_stack_whose_file_names_its_key_is_created_with_that_key(bootstrap):
    """A stack deleted from the backend, or a new account with the same key: the file already holds the lines, so
    `stack init` keeps its data key (as pulumi does when the provider matches) and the file does not change."""
    key = "AQICAHhexistingkey=="
    bootstrap.write_stack_file("dev", with_lines(original_stack_file("dev"), "dev", key))
    result = bootstrap.run("dev")
    assert result.returncode == 0, result.stderr
    assert bootstrap.stack_secrets("dev") == (provider("dev"), key)
    assert bootstrap.stack_file("dev") == with_lines(original_stack_file("dev"), "dev", key)
    assert "git add" not in result.stdout


def test_a_stack_the_cli_cannot_create_stops_the_bootstrap_before_github_and_leaves_the_stack_file(bootstrap):
    denied = ("error: could not create secrets manager for new stack: AccessDeniedException: User: "
              "arn:aws:iam::123456789012:user/admin is not authorized to perform: kms:Encrypt")
    bootstrap.pulumi_seed("fail-init", denied + "\n")
    result = bootstrap.run("dev")
    assert result.returncode != 0
    assert denied in result.stderr and "error: pulumi stack init dev failed (above)" in result.stderr
    assert bootstrap.stack_file("dev") == original_stack_file("dev")
    assert not [c for c in bootstrap.gh_calls if "--method" in c["args"] or c["args"][0] in ("variable", "secret")]


def test_a_cli_from_before_the_exit_codes_still_tells_a_missing_stack(migrated):
    """The migrated run's CLI answers "no stack" for prod with 255 (os.Exit(-1) with the message, before 3.226)."""
    assert (migrated.pulumi_state / "missing-status").read_text() == "255"
    (tag_ls,) = [c for c in migrated.pulumi_commands("stack", "tag", "ls") if "prod" in c["args"]]
    (init,) = migrated.pulumi_commands("stack", "init")
    assert init["args"][3] == "prod" and migrated.stack_secrets("prod")[0] == provider("prod")


def test_a_backend_the_cli_cannot_read_stops_the_bootstrap_before_any_stack_is_created(bootstrap):
    denied = "error: could not read the state bucket: AccessDenied: Access Denied"
    bootstrap.pulumi_seed("fail-tag", denied + "\n")
    result = bootstrap.run("dev")
    assert result.returncode != 0 and denied in result.stderr
    assert f"error: could not tell whether the stack dev exists in {BACKEND} (pulumi exit code 1)" in result.stderr
    assert not bootstrap.pulumi_commands("stack", "init") and bootstrap.stack_file("dev") == original_stack_file("dev")


def test_lines_for_another_provider_than_the_environments_key_are_refused(bootstrap):
    bootstrap.pulumi_seed("writes-provider", "passphrase")
    result = bootstrap.run("dev")
    assert result.returncode != 0
    assert (f"error: pulumi did not record the secrets provider {provider('dev')} and one encrypted key for dev "
            "(it wrote: secretsprovider: passphrase;") in result.stderr
    assert bootstrap.stack_file("dev") == original_stack_file("dev")


def test_an_administrators_secrets_provider_override_does_not_reach_the_stack_file(standard):
    assert standard.environment == ADMINISTRATORS_OVERRIDE  # set in the standard run's shell
    for env in ("dev", "staging", "prod"):
        assert standard.stack_secrets(env)[0] == provider(env)
        assert f"secretsprovider: {provider(env)}\n" in standard.stack_file(env)


def test_without_the_pulumi_cli_the_bootstrap_stops_before_any_change(bootstrap):
    result = bootstrap.run("dev", pulumi=False)
    assert result.returncode != 0
    assert "error: the Pulumi CLI is not on PATH; it creates each environment's stack" in result.stderr
    assert bootstrap.calls == [] and not [c for c in bootstrap.gh_calls if "--method" in c["args"]]


# --- adding an environment ------------------------------------------------------------------------------------

QA = "# qa: a new environment\nconfig:\n  aws:region: eu-central-1\n"


def test_a_new_environment_folder_is_bootstrapped_like_the_others_without_naming_it(bootstrap, tmp_path):
    root = copy_of_the_tools(tmp_path)
    add_environment(root, "qa", QA)
    add_environment(root, "dev", "config:\n  aws:region: eu-west-1\n")
    result = bootstrap.run(root=root)  # no environment named: every folder of environments/
    assert result.returncode == 0, result.stderr
    assert bootstrap.environments == {"dev", "dev-observe", "dev-preview", "qa", "qa-observe", "qa-preview"}
    assert bootstrap.variables[("qa", "AWS_ROLE_ARN")] == f"arn:aws:iam::{ACCOUNT}:role/ml-edge-deploy-qa"
    assert bootstrap.exists("role-ml-edge-deploy-qa") and bootstrap.exists("alias-alias_ml-edge-qa")
    assert bootstrap.stack_secrets("qa")[0] == provider("qa") and bootstrap.stack_tags("qa") == ["environment=qa"]
    stack_file = (root / "environments" / "qa" / "Pulumi.qa.yaml").read_text()
    assert stack_file == with_lines(QA, "qa", bootstrap.stack_secrets("qa")[1])
    assert "Logs role ml-edge-apigateway-cloudwatch, set in eu-west-1 eu-central-1\n" in result.stdout


@pytest.mark.parametrize(("files", "missing"), [
    ({"Pulumi.qa.yaml": QA}, "lacks policy.json (the guardrails' config every preview and deploy passes)"),
    ({"policy.json": "{}"}, "lacks Pulumi.qa.yaml (the stack file: aws:region"),
    ({}, "lacks Pulumi.qa.yaml (the stack file: aws:region, aws:defaultTags with environment: qa, models, "
         "consumers) and policy.json"),
])
def test_an_incomplete_environment_folder_is_refused_loudly_before_any_change(bootstrap, tmp_path, files, missing):
    """Not skipped: the workflows would deploy a folder the bootstrap left without roles, stack or GitHub
    environment (GitHub creates a referenced environment on the fly, without protection or values)."""
    root = copy_of_the_tools(tmp_path)
    add_environment(root, "dev", "config:\n  aws:region: eu-west-1\n")
    (root / "environments" / "qa").mkdir()
    for name, text in files.items():
        (root / "environments" / "qa" / name).write_text(text)
    result = bootstrap.run(root=root)
    assert result.returncode != 0
    assert f"error: environment 'qa' is not set up: environments/qa/ {missing}" in result.stderr
    assert "To add an environment: copy another environment's folder to environments/qa/" in result.stderr
    assert bootstrap.calls == [] and bootstrap.gh_calls == [] and bootstrap.pulumi_calls == []


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


def test_managed_policies_keep_within_iams_five_versions(migrated):
    """IAM keeps at most 5 versions of a managed policy (a sixth is refused: LimitExceeded): every update first
    deletes the non-default ones. The migrated run met dev's deploy-api policy at five."""
    arn = f"arn:aws:iam::{ACCOUNT}:policy/ml-edge-dev-deploy-api"
    deleted = [option(c, "--version-id") for c in migrated.called("iam", "delete-policy-version")
               if option(c, "--policy-arn") == arn]
    assert deleted == ["v1", "v2", "v3", "v4"]
    assert migrated.lines("policy-ml-edge-dev-deploy-api") == ["2"]  # the previous version and the new default


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
