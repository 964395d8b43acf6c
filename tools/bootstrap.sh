#!/usr/bin/env bash
# One-time bootstrap of an AWS account for ml-edge's workflows (run by an administrator, with the AWS CLI v2):
#   - an S3 bucket for the Pulumi state (versioned, encrypted, private) and a KMS key for the stack secrets
#   - GitHub's OIDC identity provider
#   - per environment two roles, each trusting only one GitHub environment of this repository:
#       ml-edge-deploy-<env>   trusted by  repo:<owner>/<repo>:environment:<env>          (pulumi up)
#       ml-edge-preview-<env>  trusted by  repo:<owner>/<repo>:environment:<env>-preview  (preview, smoke, drift)
#   - API Gateway's CloudWatch Logs role, an account setting per region, set in the region of each environment
#     (the aws:region of environments/<env>/Pulumi.<env>.yaml) to the role ml-edge-apigateway-cloudwatch. It is not
#     in the stacks: stacks sharing an account and region would overwrite each other's value, and deleting the
#     setting's resource (pulumi-aws 7) resets it for every API of the region.
# It prints the GitHub settings to create afterwards. Re-running it is safe: what exists is kept; re-run it after
# adding an environment in a new region.
#
# usage: tools/bootstrap.sh <owner>/<repo> <state-region> [env ...]   (default envs: dev staging prod)
#   <state-region>: where the state bucket and the KMS key live; the API Gateway logging role is set in every
#   region the given environments deploy to, read from their stack files.
set -euo pipefail

usage="usage: tools/bootstrap.sh <owner>/<repo> <state-region> [env ...]"
repo=${1:?$usage}
region=${2:?$usage}
shift 2
environments=("${@:-dev staging prod}")
read -r -a environments <<< "${environments[*]}"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

stack_region() {  # the aws:region of an environment's stack file
  local file="$root/environments/$1/Pulumi.$1.yaml" value
  if [ ! -f "$file" ]; then
    echo "error: no ${file#"$root"/}: write the environment's stack file first (its aws:region is needed)" >&2
    return 1
  fi
  value=$(sed -n -E "s/^[[:space:]]+aws:region:[[:space:]]*[\"']?([a-z0-9-]+)[\"']?[[:space:]]*(#.*)?$/\1/p" "$file")
  if [ -z "$value" ] || [[ "$value" == *$'\n'* ]]; then
    echo "error: ${file#"$root"/} must set aws:region once" >&2
    return 1
  fi
  echo "$value"
}

api_regions=()  # each environment's region, once
for env in "${environments[@]}"; do
  env_region=$(stack_region "$env")
  case " ${api_regions[*]:-} " in
    *" $env_region "*) ;;
    *) api_regions+=("$env_region") ;;
  esac
done

account=$(aws sts get-caller-identity --query Account --output text)
bucket="ml-edge-pulumi-state-${account}"
alias="alias/ml-edge-pulumi"
oidc="arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "state bucket s3://${bucket} (${region})"
if ! aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then
  if [ "$region" = "us-east-1" ]; then
    aws s3api create-bucket --bucket "$bucket" --region "$region" >/dev/null
  else
    aws s3api create-bucket --bucket "$bucket" --region "$region" \
      --create-bucket-configuration "LocationConstraint=${region}" >/dev/null
  fi
fi
aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
aws s3api put-public-access-block --bucket "$bucket" --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true

echo "KMS key ${alias}"
if ! aws kms describe-key --key-id "$alias" --region "$region" >/dev/null 2>&1; then
  key=$(aws kms create-key --region "$region" --description "ml-edge Pulumi stack secrets" \
    --query KeyMetadata.KeyId --output text)
  aws kms create-alias --region "$region" --alias-name "$alias" --target-key-id "$key"
fi
key_arn=$(aws kms describe-key --key-id "$alias" --region "$region" --query KeyMetadata.Arn --output text)
aws s3api put-bucket-encryption --bucket "$bucket" --server-side-encryption-configuration \
  "{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"${key_arn}\"}}]}"

echo "GitHub OIDC provider"
if ! aws iam get-open-id-connect-provider --open-id-connect-provider-arn "$oidc" >/dev/null 2>&1; then
  aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com \
    --client-id-list sts.amazonaws.com >/dev/null
fi

trust() {  # the GitHub environment allowed to assume the role
  cat > "$work/trust.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "${oidc}"},
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                 "token.actions.githubusercontent.com:sub": "repo:${repo}:environment:$1"}}}]}
JSON
}

state_access() {  # read and write the state (previews take locks), use the key
  cat > "$work/state.json" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": "arn:aws:s3:::${bucket}"},
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
   "Resource": "arn:aws:s3:::${bucket}/*"},
  {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
   "Resource": "${key_arn}"}]}
JSON
}

deploy_access() {  # what the program manages (cloudfront:* includes the deploy's invalidation), IAM limited to
                  # the environment's own roles, Route 53 to the A/AAAA alias records of a custom domain
  cat > "$work/deploy.json" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["apigateway:*", "cloudfront:*", "wafv2:*", "lambda:*", "logs:*", "xray:*",
                                 "sagemaker:DescribeEndpoint", "acm:DescribeCertificate", "acm:ListCertificates"],
   "Resource": "*"},
  {"Effect": "Allow", "Action": "route53:ChangeResourceRecordSets", "Resource": "arn:aws:route53:::hostedzone/*",
   "Condition": {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA"]}}},
  {"Effect": "Allow", "Action": ["route53:GetHostedZone", "route53:ListResourceRecordSets"],
   "Resource": "arn:aws:route53:::hostedzone/*"},
  {"Effect": "Allow", "Action": "route53:GetChange", "Resource": "arn:aws:route53:::change/*"},
  {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::${account}:role/ml-edge-$1-*"},
  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::${account}:role/ml-edge-$1-*"},
  {"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRoles", "iam:GetPolicy", "iam:GetPolicyVersion"],
   "Resource": "*"}]}
JSON
}

role() {  # name, GitHub environment
  trust "$2"
  if aws iam get-role --role-name "$1" >/dev/null 2>&1; then
    aws iam update-assume-role-policy --role-name "$1" --policy-document "file://$work/trust.json"
  else
    aws iam create-role --role-name "$1" --assume-role-policy-document "file://$work/trust.json" \
      --description "ml-edge GitHub Actions (${2})" >/dev/null
  fi
  state_access
  aws iam put-role-policy --role-name "$1" --policy-name pulumi-state --policy-document "file://$work/state.json"
}

for env in "${environments[@]}"; do
  echo "roles for ${env}"
  role "ml-edge-deploy-${env}" "$env"
  deploy_access "$env"
  aws iam put-role-policy --role-name "ml-edge-deploy-${env}" --policy-name deploy \
    --policy-document "file://$work/deploy.json"
  role "ml-edge-preview-${env}" "${env}-preview"
  aws iam attach-role-policy --role-name "ml-edge-preview-${env}" \
    --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess
done

push_logs="arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
logs_role="ml-edge-apigateway-cloudwatch"
echo "API Gateway CloudWatch Logs role ${logs_role}, set in ${api_regions[*]}"
cat > "$work/apigateway-trust.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
  "Action": "sts:AssumeRole"}]}
JSON
if aws iam get-role --role-name "$logs_role" >/dev/null 2>&1; then
  aws iam update-assume-role-policy --role-name "$logs_role" --policy-document "file://$work/apigateway-trust.json"
else
  aws iam create-role --role-name "$logs_role" --assume-role-policy-document "file://$work/apigateway-trust.json" \
    --description "API Gateway writes access and execution logs to CloudWatch Logs (account setting)" >/dev/null
fi
aws iam attach-role-policy --role-name "$logs_role" --policy-arn "$push_logs"
logs_role_arn=$(aws iam get-role --role-name "$logs_role" --query Role.Arn --output text)
for api_region in "${api_regions[@]}"; do
  before=$(aws apigateway get-account --region "$api_region" --query cloudwatchRoleArn --output text)
  if [ "$before" = "$logs_role_arn" ]; then
    echo "  ${api_region}: already set"
    continue
  fi
  echo "  ${api_region}: was ${before}"
  for attempt in $(seq 1 12); do  # a new role takes a moment to reach API Gateway (IAM is eventually consistent)
    if aws apigateway update-account --region "$api_region" \
         --patch-operations "op=replace,path=/cloudwatchRoleArn,value=${logs_role_arn}" >/dev/null 2>"$work/error"; then
      break
    fi
    if [ "$attempt" -eq 12 ] || ! grep -qiE "role ARN does not have required permissions|could not successfully write" \
         "$work/error"; then
      cat "$work/error" >&2
      exit 1
    fi
    echo "  ${api_region}: the new role is not usable yet, retrying in 10 s"
    sleep 10
  done
done

cat <<TEXT

Done. Now, in GitHub (Settings of ${repo}):
  Secrets (repository):  PULUMI_BACKEND_URL = s3://${bucket}?region=${region}
  Environments:          ${environments[*]} (prod: required reviewers; deployment branch main only)
                         and one <env>-preview environment each (no reviewers)
  Secrets (each env):    AWS_ROLE_ARN = arn:aws:iam::${account}:role/ml-edge-deploy-<env>   in <env>
                         AWS_ROLE_ARN = arn:aws:iam::${account}:role/ml-edge-preview-<env>  in <env>-preview
                         AWS_REGION   = ${region}                                            in both
Then create each stack once, with its secrets provider, and commit what it writes:
  pulumi login "s3://${bucket}?region=${region}"
  cd program && pulumi stack init <env> --secrets-provider "awskms://${alias}?region=${region}"
  # move the secretsprovider and encryptedkey lines of program/Pulumi.<env>.yaml to the top of
  # environments/<env>/Pulumi.<env>.yaml (outside config:), then delete program/Pulumi.<env>.yaml
TEXT
