#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Bootstrap of an AWS account, of the environments' Pulumi stacks and of the GitHub repository for ml-edge's
# workflows, run by an administrator from a checkout of the repository with the AWS CLI v2, the Pulumi CLI and the
# GitHub CLI (`gh`, logged in as a repository admin). Re-running it is safe: it converges.
#
# AWS (the account of the caller):
#   - the Pulumi state bucket (versioned, private, TLS only, encrypted with the state key alias/ml-edge-pulumi)
#   - GitHub's OIDC identity provider, API Gateway's service-linked role AWSServiceRoleForAPIGateway (once, when
#     absent: the deploy roles may not create it), and API Gateway's CloudWatch Logs role set in every region of
#     every environment (its ml-edge:regions, by default its aws:region)
#   - per environment: a KMS key alias/ml-edge-<env> for its stack secrets, the permissions boundary
#     ml-edge-<env>-boundary of every role the program creates (it names the SageMaker endpoints of the stack file:
#     run the bootstrap again after adding or renaming one), and three roles, each trusting one GitHub
#     environment and named workflows, as caller -> job workflow (policies: tools/bootstrap/policies/*.json):
#       ml-edge-deploy-<env>   environment <env>          deploy.yml -> deploy-environment.yml  pulumi up
#       ml-edge-observe-<env>  environment <env>-observe  deploy.yml -> deploy-environment.yml, read only
#                                                         smoke.yml, drift.yml
#       ml-edge-preview-<env>  environment <env>-preview  pull-request.yml (pull requests)   its state only
#     all on main but the preview; prod has no preview role: whoever can preview a stack can decrypt its state.
# Pulumi (tools/bootstrap/stacks.sh): each environment's stack in the state bucket, its secrets encrypted with
#   alias/ml-edge-<env>, tagged environment=<env>; the stack file environments/<env>/Pulumi.<env>.yaml gets the
#   `secretsprovider:` and `encryptedkey:` lines the CLI needs (commit them through a pull request).
# GitHub (tools/bootstrap/github/*.json): the OIDC subject (repository_id, context, workflow_ref,
# job_workflow_ref), the environments (main only; prod with required reviewers, no self-review and no administrator
# bypass; <env>-preview for pull requests), their variables (not secrets) AWS_ROLE_ARN, AWS_REGION and
# PULUMI_BACKEND_URL, and a ruleset: main changes only through a pull request approved by a code owner. It stops
# before any change when GitHub reports errors in main's CODEOWNERS (GitHub ignores such lines: their paths would
# need no code owner).
#
# One AWS account per environment is recommended: run the bootstrap once per account, with that account's
# credentials and that environment only. In one shared account, run it once with every environment; the policies
# keep the environments apart (names, tags, the boundary, one key each) except for what README.md lists as the
# residue of a shared account (cache policies, resources without an environment tag, API Gateway's other tags).
#
# usage: tools/bootstrap.sh [--prod-reviewers <team-slug|@user>[,...]] <owner>/<repo> <state-region> [env ...]
#   <state-region>: where the state bucket and the KMS keys live
#   env: environments/<env>/ folders, each with its stack file and policy.json (default: every folder of environments/)
#   --prod-reviewers: who approves prod deploys (teams of the repository's organization, or @users); needed with prod
set -euo pipefail

usage="usage: tools/bootstrap.sh [--prod-reviewers <team-slug|@user>[,...]] <owner>/<repo> <state-region> [env ...]"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
templates="$root/tools/bootstrap/policies"
github_templates="$root/tools/bootstrap/github"
# shellcheck source=bootstrap/lib.sh
source "$root/tools/bootstrap/lib.sh"
# shellcheck source=bootstrap/aws.sh
source "$root/tools/bootstrap/aws.sh"
# shellcheck source=bootstrap/github.sh
source "$root/tools/bootstrap/github.sh"
# shellcheck source=bootstrap/stacks.sh
source "$root/tools/bootstrap/stacks.sh"

protected=prod  # the environment with required reviewers and without cloud preview
prod_reviewers=""
positional=()
while [ $# -gt 0 ]; do
  case $1 in
    --prod-reviewers) [ $# -ge 2 ] || die "$usage"; prod_reviewers=$2; shift 2 ;;
    --prod-reviewers=*) prod_reviewers=${1#*=}; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) die "unknown option $1; $usage" ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} -ge 2 ] || die "$usage"
repo=${positional[0]}
region=${positional[1]}
environments=()
if [ ${#positional[@]} -gt 2 ]; then
  environments=("${positional[@]:2}")
else
  while read -r env; do environments+=("$env"); done < <(configured_environments)
  [ ${#environments[@]} -gt 0 ] || die "no environment folder under environments/"
fi
[[ $repo =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "'$repo' is not <owner>/<repo>; $usage"
[[ $region =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "'$region' is not an AWS region; $usage"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- everything is checked before anything changes -------------------------------------------------------------
api_regions=()  # every region of every environment (ml-edge:regions), once
for env in "${environments[@]}"; do
  check_environment_name "$env"
  check_environment_folder "$env"
  read_stack_inputs "$env"
  for env_region in $(stack_input "$env" regions); do
    case " ${api_regions[*]:-} " in
      *" $env_region "*) ;;
      *) api_regions+=("$env_region") ;;
    esac
  done
  if [ "$env" = "$protected" ] && [ -z "$prod_reviewers" ]; then
    die "$protected needs its required reviewers: --prod-reviewers <team-slug|@user>[,...]"
  fi
done
project=$(project_name)
stacks_preflight
github_preflight

account=$(aws sts get-caller-identity --query Account --output text)
bucket="ml-edge-pulumi-state-${account}"
backend_url="s3://${bucket}?region=${region}"
oidc="arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com"

# --- AWS -------------------------------------------------------------------------------------------------------
echo "state key alias/ml-edge-pulumi and bucket s3://${bucket} (${region})"
state_key=$(kms_key alias/ml-edge-pulumi "ml-edge Pulumi state bucket")
render "$templates/state-key-policy.json" "$work/state-key-policy.json" "ACCOUNT=$account" "STATE_REGION=$region"
key_policy "$state_key" "$work/state-key-policy.json"
state_bucket "$bucket" "$state_key"

echo "GitHub OIDC provider"
oidc_provider "$oidc"

api_gateway_service_linked_role

for env in "${environments[@]}"; do
  echo "environment ${env}"
  environment_roles "$env"
done

api_gateway_logging_role "${api_regions[@]}"

# --- Pulumi stacks (after their keys; the stack files change here, in this checkout) ------------------------------
echo "stacks in ${backend_url}"
changed_stack_files=()
stacks_project
for env in "${environments[@]}"; do
  environment_stack "$env"
done

# --- GitHub (after the trust policies, so tokens in the new subject format are accepted at once) ----------------
customize_oidc_subject
for env in "${environments[@]}"; do
  github_environments "$env"
done
protect_main

cat <<TEXT

Done. Set in ${repo}: the OIDC subject, the ruleset on main, the environments and their variables
AWS_ROLE_ARN, AWS_REGION and PULUMI_BACKEND_URL (${backend_url}). The stacks of
${environments[*]} exist, each encrypting its secrets with its own key and tagged with its environment.
Run the bootstrap again after adding or renaming a SageMaker endpoint in a stack file (the environment's
permissions boundary names them), and after adding an environment folder.
TEXT
if [ ${#changed_stack_files[@]} -gt 0 ]; then
  cat <<TEXT

The stack files now name their secrets provider (the secretsprovider and encryptedkey lines, which the
pipeline needs: it may decrypt with the environment's key, never encrypt). Commit them through a pull request:
  git checkout -b stack-secrets-providers
  git add ${changed_stack_files[*]}
  git commit -m "Stacks: secrets providers from the bootstrap"
  git push -u origin HEAD && gh pr create --fill
TEXT
fi
