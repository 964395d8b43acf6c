# shellcheck shell=bash disable=SC2154  # the globals are set by tools/bootstrap.sh
# GitHub side of tools/bootstrap.sh (sourced), through the GitHub CLI (`gh`, logged in as a repository admin):
# the OIDC subject the AWS trust policies match, the environments with their branch policies, reviewers and variables,
# and the rule that main changes only through a reviewed pull request.
# Needs: repo (owner/name), work, github_templates (tools/bootstrap/github).

# github_preflight: the repository's numeric id (the OIDC subject names the repository by id, which a rename or a
# re-created repository of the same name does not keep) and its name as GitHub spells it (the workflow refs in the
# subject use that spelling, and the trust policies compare case-sensitively; every later call uses it too), the
# CODEOWNERS check and the reviewers' ids, read before anything changes. Needs: work.
github_preflight() {
  local reviewer id type answer full_name
  gh auth status >/dev/null 2>&1 || die "the GitHub CLI is not logged in (gh auth login, as an admin of $repo)"
  answer=$(gh api "repos/$repo" --jq '"\(.id) \(.full_name)"') || die "could not read $repo on GitHub"
  read -r repository_id full_name <<< "$answer"
  if ! [[ $repository_id =~ ^[0-9]+$ && $full_name =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
    die "could not read the id and name of $repo (got '$answer')"
  fi
  if [ "$full_name" != "$repo" ]; then
    echo "repository $repo: GitHub spells it $full_name"
    repo=$full_name
  fi
  check_codeowners
  reviewers_json=""
  for reviewer in ${prod_reviewers//,/ }; do
    if [[ $reviewer == @* ]]; then
      type=User
      id=$(gh api "users/${reviewer#@}" --jq .id 2>/dev/null) || id=""
    else
      type=Team
      id=$(gh api "orgs/${repo%%/*}/teams/$reviewer" --jq .id 2>/dev/null) || id=""
    fi
    [[ $id =~ ^[0-9]+$ ]] || die "reviewer '$reviewer' not found (a team slug of ${repo%%/*}, or @user)"
    reviewers_json="${reviewers_json:+$reviewers_json, }{\"type\": \"$type\", \"id\": $id}"
  done
}

# check_codeowners: the ruleset requires a code owner's approval, but GitHub ignores a CODEOWNERS line whose owner
# does not exist or lacks write access (a team needs its own write access, not only its members'), and then requires
# no code owner for that line's paths, silently. GitHub reports such lines (GET /repos/{owner}/{repo}/codeowners/
# errors: {"errors": [{"line", "column", "kind", "source", "suggestion", "message", "path"}]}; 404 without a
# CODEOWNERS file), so the bootstrap stops on any, naming them, before it changes anything.
check_codeowners() {
  local errors
  if ! errors=$(gh api "repos/$repo/codeowners/errors?ref=main" \
                  --jq '.errors[] | "  \(.path):\(.line): \(.message | split("\n")[0])"' 2>"$work/error"); then
    die "could not check the CODEOWNERS file of $repo on main (is there one? the ruleset on main requires a" \
      "code owner's review): $(cat "$work/error")"
  fi
  if [ -n "$errors" ]; then
    die "the CODEOWNERS file of $repo on main has errors; GitHub ignores these lines, so their paths would need" \
      "no code owner's review (a team needs write access to the repository itself):"$'\n'"$errors"
  fi
}

# The subject then reads repository_id:<id>:environment:<env>:workflow_ref:<owner>/<repo>/.github/workflows/
# <caller>@<ref>:job_workflow_ref:<owner>/<repo>/.github/workflows/<file>@<ref> (the claims in this order, GitHub's
# "Customizing the subject claims"): the job's environment, the workflow the run started (workflow_ref) and the file
# that defines the job (job_workflow_ref, the called reusable workflow). Both are needed: job_workflow_ref alone
# names only the called file, and any workflow, a pull request's too, can call deploy-environment.yml@main.
customize_oidc_subject() {
  echo "OIDC subject of $repo: repository_id, context, workflow_ref, job_workflow_ref"
  gh api --method PUT "repos/$repo/actions/oidc/customization/sub" \
    --input "$github_templates/oidc-subject.json" >/dev/null
}

github_environment() {  # name, body file; prints GitHub's can_admins_bypass of the environment
  gh api --method PUT "repos/$repo/environments/$1" --input "$2" --jq .can_admins_bypass
}

# main_only ENVIRONMENT: its one deployment branch policy is the branch main (others are deleted)
main_only() {
  local policies="repos/$repo/environments/$1/deployment-branch-policies" id type name has_main=false
  while read -r id type name; do
    [ -n "$id" ] || continue
    if [ "$type" = branch ] && [ "$name" = main ]; then
      has_main=true
    else
      gh api --method DELETE "$policies/$id" >/dev/null
    fi
  done <<< "$(gh api "$policies" --jq '.branch_policies[] | "\(.id) \(.type // "branch") \(.name)"')"
  if ! $has_main; then
    gh api --method POST "$policies" -f name=main -f type=branch >/dev/null
  fi
}

# environment_values ENVIRONMENT ROLE_ARN: the role, the region and the state backend as the environment's variables
# (`vars`), not secrets: none of them is secret, and GitHub masks a secret's value wherever it appears in a log. Each
# environment has its own (one AWS account per environment is recommended, so each its own bucket). Secrets of those
# names, which earlier bootstraps set, are deleted once the variables exist.
environment_values() {
  local name names
  gh variable set AWS_ROLE_ARN --repo "$repo" --env "$1" --body "$2"
  gh variable set AWS_REGION --repo "$repo" --env "$1" --body "$region"
  gh variable set PULUMI_BACKEND_URL --repo "$repo" --env "$1" --body "$backend_url"
  names=$(gh api "repos/$repo/environments/$1/secrets?per_page=100" --jq '.secrets[].name')
  for name in $names; do
    case $name in
      AWS_ROLE_ARN | AWS_REGION | PULUMI_BACKEND_URL)
        echo "  $1: deleting the secret $name (now a variable)"
        gh secret delete "$name" --repo "$repo" --env "$1" ;;
    esac
  done
}

delete_environment() {  # one the design no longer has (prod-preview)
  if gh api "repos/$repo/environments/$1" >/dev/null 2>&1; then
    echo "  deleting environment $1 (no longer part of the design)"
    gh api --method DELETE "repos/$repo/environments/$1" >/dev/null
  fi
}

# github_environments ENV: <env> (deploy; prod with required reviewers who may not approve their own run, and whom
# no administrator may bypass), <env>-observe (plan, smoke, drift) both from main only, and <env>-preview for pull
# requests (none for prod)
github_environments() {
  local env=$1 roles="arn:aws:iam::${account}:role" bypass
  echo "GitHub environments of $env"
  if [ "$env" = "$protected" ]; then
    render "$github_templates/environment-reviewed.json" "$work/environment-$env.json" "REVIEWERS=$reviewers_json"
    bypass=$(github_environment "$env" "$work/environment-$env.json")
    # read back: a GitHub that ignored the field would leave the default (administrators may bypass)
    [ "$bypass" = false ] || die "GitHub kept 'Allow administrators to bypass configured protection rules' on $env" \
      "(can_admins_bypass: ${bypass:-absent}); switch it off in the environment's settings and run the bootstrap again"
  else
    github_environment "$env" "$github_templates/environment-main-only.json" >/dev/null
  fi
  main_only "$env"
  environment_values "$env" "$roles/ml-edge-deploy-$env"

  github_environment "$env-observe" "$github_templates/environment-main-only.json" >/dev/null
  main_only "$env-observe"
  environment_values "$env-observe" "$roles/ml-edge-observe-$env"

  if [ "$env" = "$protected" ]; then
    delete_environment "$env-preview"
  else
    github_environment "$env-preview" "$github_templates/environment-pull-requests.json" >/dev/null
    environment_values "$env-preview" "$roles/ml-edge-preview-$env"
  fi
}

# protect_main: main changes only through a pull request approved by a code owner (after its last push), never by
# a force push or deletion; a repository ruleset, so the repository's other branch protection stays as it is
protect_main() {
  local name id
  name=$(sed -n -E 's/^[[:space:]]*"name": "([^"]+)",$/\1/p' "$github_templates/main-ruleset.json")
  echo "ruleset '$name' on main"
  id=$(gh api "repos/$repo/rulesets" --jq ".[] | select(.name == \"$name\" and .source_type == \"Repository\") | .id")
  if [ -n "$id" ]; then
    gh api --method PUT "repos/$repo/rulesets/$id" --input "$github_templates/main-ruleset.json" >/dev/null
  else
    gh api --method POST "repos/$repo/rulesets" --input "$github_templates/main-ruleset.json" >/dev/null
  fi
}
