#!/usr/bin/env bash
# Fails, naming every missing or malformed value of the job's GitHub environment and the command that sets it, before
# any credential is configured. Reads GITHUB_ENVIRONMENT_NAME, AWS_ROLE_ARN, AWS_REGION, PULUMI_BACKEND_URL and
# PULUMI_ACCESS_TOKEN_SET (whether that secret is set, never its value).
set -euo pipefail

environment="${GITHUB_ENVIRONMENT_NAME:?the GitHub environment of the job}"
case "$environment" in
  *-observe) env="${environment%-observe}" role="ml-edge-observe-${environment%-observe}" ;;
  *-preview) env="${environment%-preview}" role="ml-edge-preview-${environment%-preview}" ;;
  *) env="$environment" role="ml-edge-deploy-$environment" ;;
esac
problems=0
problem() {
  echo "::error title=GitHub environment $environment::$1"
  problems=$((problems + 1))
}
set_it="gh variable set %s --env $environment --body %s (a variable, not a secret; tools/bootstrap.sh sets it)"

role_arn="${AWS_ROLE_ARN:-}"
if [ -z "$role_arn" ]; then
  # shellcheck disable=SC2059
  problem "AWS_ROLE_ARN is empty: $(printf "$set_it" AWS_ROLE_ARN "arn:aws:iam::<account>:role/$role")"
elif [[ ! "$role_arn" =~ ^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[^[:space:]]+$ ]]; then
  problem "AWS_ROLE_ARN is not an IAM role ARN: '$role_arn' (expected arn:aws:iam::<account>:role/$role)"
fi

region="${AWS_REGION:-}"
if [ -z "$region" ]; then
  # shellcheck disable=SC2059
  problem "AWS_REGION is empty: $(printf "$set_it" AWS_REGION "<the aws:region of environments/$env/Pulumi.$env.yaml>")"
elif [[ ! "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]]; then
  problem "AWS_REGION is not an AWS region: '$region' (for example eu-west-1)"
fi

backend="${PULUMI_BACKEND_URL:-}"
if [ -z "$backend" ] && [ "${PULUMI_ACCESS_TOKEN_SET:-false}" != "true" ]; then
  # shellcheck disable=SC2059
  problem "no state backend: $(printf "$set_it" PULUMI_BACKEND_URL "s3://ml-edge-pulumi-state-<account>") or, for Pulumi Cloud, the secret PULUMI_ACCESS_TOKEN"
elif [ -n "$backend" ] && [[ ! "$backend" =~ ^[a-z0-9]+://[^[:space:]]+$ ]]; then
  problem "PULUMI_BACKEND_URL is not a backend URL: '$backend' (expected s3://ml-edge-pulumi-state-<account>)"
fi

if [ "$problems" -gt 0 ]; then
  echo "$problems value(s) of the GitHub environment $environment missing or malformed: nothing was run with credentials" >&2
  exit 1
fi
echo "GitHub environment $environment: AWS_ROLE_ARN $role_arn, AWS_REGION $region, state ${backend:-in Pulumi Cloud}"
