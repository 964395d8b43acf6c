# shellcheck shell=bash disable=SC2154  # the globals are set by tools/bootstrap.sh
# AWS side of tools/bootstrap.sh (sourced): the state bucket and its key, GitHub's OIDC provider, API Gateway's
# service-linked role, one KMS key and three roles per environment (deploy, observe, preview), the permissions
# boundary of the roles the program creates, and API Gateway's CloudWatch Logs role. Every call is idempotent:
# re-running converges.
# Needs: account, region (the state region), work (a scratch folder), templates (tools/bootstrap/policies).

# kms_key ALIAS DESCRIPTION: prints the key's ARN; created once, with yearly rotation
kms_key() {
  local key
  if ! aws kms describe-key --key-id "$1" --region "$region" >/dev/null 2>&1; then
    key=$(aws kms create-key --region "$region" --description "$2" --query KeyMetadata.KeyId --output text)
    aws kms create-alias --region "$region" --alias-name "$1" --target-key-id "$key" >/dev/null
  fi
  key=$(aws kms describe-key --key-id "$1" --region "$region" --query KeyMetadata.Arn --output text)
  aws kms enable-key-rotation --key-id "$key" --region "$region" >/dev/null
  echo "$key"
}

# key_policy KEY_ARN FILE: KMS refuses a policy naming a role it cannot see yet, and a new role takes a moment to
# reach it (IAM is eventually consistent), so that refusal is retried
key_policy() {
  local attempt
  for attempt in $(seq 1 12); do
    if aws kms put-key-policy --key-id "$1" --region "$region" --policy-name default --policy "file://$2" \
         >/dev/null 2>"$work/error"; then
      return 0
    fi
    if [ "$attempt" -eq 12 ] || ! grep -qi "invalid principals" "$work/error"; then
      cat "$work/error" >&2
      exit 1
    fi
    echo "  the key policy names roles KMS does not see yet, retrying in 5 s"
    sleep 5
  done
}

# state_bucket BUCKET STATE_KEY_ARN: private, versioned, encrypted with the state key (no S3 Bucket Key, so each
# object's KMS encryption context is its own ARN and the roles' policies can name their stack's objects), TLS only.
# Every call names the expected owner, so a same-named bucket of another account is never configured or used.
state_bucket() {
  local bucket=$1 owner=(--expected-bucket-owner "$account")
  if ! aws s3api head-bucket --bucket "$bucket" "${owner[@]}" >/dev/null 2>&1; then
    if [ "$region" = "us-east-1" ]; then
      aws s3api create-bucket --bucket "$bucket" --region "$region" >/dev/null
    else
      aws s3api create-bucket --bucket "$bucket" --region "$region" \
        --create-bucket-configuration "LocationConstraint=${region}" >/dev/null
    fi
  fi
  aws s3api put-bucket-ownership-controls --bucket "$bucket" "${owner[@]}" \
    --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'
  aws s3api put-public-access-block --bucket "$bucket" "${owner[@]}" --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  aws s3api put-bucket-versioning --bucket "$bucket" "${owner[@]}" --versioning-configuration Status=Enabled
  aws s3api put-bucket-encryption --bucket "$bucket" "${owner[@]}" --server-side-encryption-configuration \
    "{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"$2\"},\"BucketKeyEnabled\":false}]}"
  render "$templates/bucket-policy.json" "$work/bucket-policy.json" "BUCKET=$bucket"
  aws s3api put-bucket-policy --bucket "$bucket" "${owner[@]}" --policy "file://$work/bucket-policy.json"
}

oidc_provider() {  # GitHub's token issuer, audience sts.amazonaws.com
  if ! aws iam get-open-id-connect-provider --open-id-connect-provider-arn "$1" >/dev/null 2>&1; then
    aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com \
      --client-id-list sts.amazonaws.com >/dev/null
  fi
}

# api_gateway_service_linked_role: AWSServiceRoleForAPIGateway, created once when the account has none. API Gateway
# creates it itself on first need, as its caller, who then needs iam:CreateServiceLinkedRole: for a new API, a custom
# domain name (each region's name of an environment with several regions) and active X-Ray tracing on a stage (the
# config's default) (API Gateway Developer Guide, "Using service-linked roles for API Gateway" and "Set up AWS X-Ray
# with API Gateway REST APIs"). Otherwise a new account's first deploy stops at "Caller does not have permissions to
# create a Service Linked Role", and the deploy roles get no IAM rights beyond their environment's own roles.
api_gateway_service_linked_role() {
  local name=AWSServiceRoleForAPIGateway service=ops.apigateway.amazonaws.com
  echo "API Gateway's service-linked role ${name} (${service})"
  if aws iam get-role --role-name "$name" >/dev/null 2>"$work/error"; then
    echo "  exists"
    return 0
  fi
  grep -q NoSuchEntity "$work/error" || { cat "$work/error" >&2; die "could not tell whether the role $name exists"; }
  if aws iam create-service-linked-role --aws-service-name "$service" >/dev/null 2>"$work/error"; then
    echo "  created"
  elif grep -q "has been taken" "$work/error"; then  # API Gateway made it in the meantime (a deploy under way)
    echo "  exists (created in the meantime)"
  else
    cat "$work/error" >&2
    die "could not create API Gateway's service-linked role (above); an administrator of the account creates it" \
      "once with: aws iam create-service-linked-role --aws-service-name $service"
  fi
}

words() {  # the words of a CLI text answer ("None" is the CLI's empty answer)
  [ "$1" = "None" ] || echo "$1"
}

# managed_policy NAME FILE: a customer managed policy whose default version is FILE (older versions are deleted,
# IAM keeps five at most)
managed_policy() {
  local arn="arn:aws:iam::${account}:policy/$1" version
  if aws iam get-policy --policy-arn "$arn" >/dev/null 2>&1; then
    for version in $(words "$(aws iam list-policy-versions --policy-arn "$arn" \
                                --query 'Versions[?!IsDefaultVersion].VersionId' --output text)"); do
      aws iam delete-policy-version --policy-arn "$arn" --version-id "$version"
    done
    aws iam create-policy-version --policy-arn "$arn" --policy-document "file://$2" --set-as-default >/dev/null
  else
    aws iam create-policy --policy-name "$1" --policy-document "file://$2" >/dev/null
  fi
}

role() {  # name, trust policy file, description
  if aws iam get-role --role-name "$1" >/dev/null 2>&1; then
    aws iam update-assume-role-policy --role-name "$1" --policy-document "file://$2"
  else
    aws iam create-role --role-name "$1" --assume-role-policy-document "file://$2" --description "$3" >/dev/null
  fi
}

inline_policy() {  # role, policy name, file
  aws iam put-role-policy --role-name "$1" --policy-name "$2" --policy-document "file://$3"
}

attach_policy() {  # role, policy ARN
  aws iam attach-role-policy --role-name "$1" --policy-arn "$2"
}

# prune_role ROLE "INLINE NAMES" "MANAGED ARNS": removes every other policy of the role (earlier bootstraps gave
# the preview roles ReadOnlyAccess and every role a state policy over all stacks)
prune_role() {
  local name arn
  for name in $(words "$(aws iam list-role-policies --role-name "$1" --query PolicyNames --output text)"); do
    case " $2 " in
      *" $name "*) ;;
      *) aws iam delete-role-policy --role-name "$1" --policy-name "$name" ;;
    esac
  done
  for arn in $(words "$(aws iam list-attached-role-policies --role-name "$1" \
                          --query 'AttachedPolicies[].PolicyArn' --output text)"); do
    case " $3 " in
      *" $arn "*) ;;
      *) aws iam detach-role-policy --role-name "$1" --policy-arn "$arn" ;;
    esac
  done
}

delete_role() {  # a role the design no longer has (prod's preview role): its policies, then the role
  aws iam get-role --role-name "$1" >/dev/null 2>&1 || return 0
  echo "  deleting role $1 (no longer part of the design)"
  prune_role "$1" "" ""
  aws iam delete-role --role-name "$1"
}

# quoted_list WORD...: the words as the items of a JSON list, `"a", "b"` (a template puts the brackets)
quoted_list() {
  local item list=""
  for item in "$@"; do
    list="${list:+$list, }\"$item\""
  done
  echo "$list"
}

# sagemaker_invoke_statement ENDPOINTS: the boundary's statement that lets the program's roles invoke these SageMaker
# endpoints (`<region> <name>` lines, the stack file's, each model in each region; ARNs name endpoints in lowercase),
# as a JSON fragment following another statement; empty without endpoints (IAM refuses a statement without resources).
sagemaker_invoke_statement() {
  local arns
  arns=$(awk -v account="$account" 'NF == 2 { print "arn:aws:sagemaker:" $1 ":" account ":endpoint/" tolower($2) }' \
           <<< "$1" | sort -u)
  [ -n "$arns" ] || return 0
  # shellcheck disable=SC2086  # one ARN a word
  arns=$(quoted_list $arns)
  printf ',\n    {\n      "Sid": "InvokeTheEnvironmentsSageMakerEndpoints",\n      "Effect": "Allow",\n'
  printf '      "Action": "sagemaker:InvokeEndpoint",\n      "Resource": [%s]\n    }' "$arns"
}

# environment_roles ENV: the environment's KMS key, the boundary of the program's roles, and the pipeline roles with
# their policies, covering every region of its ml-edge:regions (read_stack_inputs); prints nothing but progress.
environment_roles() {
  local env=$1 env_key prefix="ml-edge-$1" boundary fill d regions zone domain origin origin_zone endpoints
  local deploy="ml-edge-deploy-$1" observe="ml-edge-observe-$1" preview="ml-edge-preview-$1" api edge origin_policy
  local arns template managed log_groups="" r reads
  regions=$(stack_input "$env" regions)
  zone=$(stack_input "$env" custom-zone)
  domain=$(stack_input "$env" custom-domain)
  origin=$(stack_input "$env" origin-domain)
  origin_zone=$(stack_input "$env" origin-zone)
  endpoints=$(stack_input "$env" endpoint)
  # Regional grants name region-wildcard ARNs and list the regions in aws:RequestedRegion, the region a request is
  # made to, which every request carries (IAM User Guide, "AWS global condition context keys"): one list per
  # statement keeps deploy-api.json within IAM's 6,144 characters for up to 5 regions (bootstrap_inputs.py
  # MAX_REGIONS), where its 17 regional ARNs repeated per region would add some 1,000 characters a region
  for r in $regions; do  # the program's functions write their logs in their own region
    log_groups="${log_groups:+$log_groups, }\"arn:aws:logs:$r:${account}:log-group:/ml-edge/$env/*\""
  done
  env_key=$(kms_key "alias/ml-edge-$env" "ml-edge $env: Pulumi stack secrets")
  boundary="arn:aws:iam::${account}:policy/$prefix-boundary"
  # shellcheck disable=SC2086  # one region, one ARN a word
  fill=("ACCOUNT=$account" "ENV=$env" "PREFIX=$prefix" "API_REGIONS=$(quoted_list $regions)"
        "ENVIRONMENT_LOG_GROUPS=$log_groups" "STATE_REGION=$region" "BUCKET=$bucket" "PROJECT=$project"
        "ENV_KEY_ARN=$env_key" "STATE_KEY_ARN=$state_key"
        "BOUNDARY_ARN=$boundary" "REPOSITORY_ID=$repository_id" "REPO=$repo" "OIDC_PROVIDER_ARN=$oidc"
        "HOSTED_ZONE_ID=$zone" "DOMAIN_NAME=$domain" "ORIGIN_NAME=$origin" "ORIGIN_ZONE_ID=$origin_zone"
        "SAGEMAKER_INVOKE_STATEMENT=$(sagemaker_invoke_statement "$endpoints")")
  d="$work/$env"
  mkdir -p "$d"
  for template in "$templates"/*.json; do
    case ${template##*/} in
      *route53*) [ -n "$zone" ] || continue ;;
      *origin*) [ -n "$origin_zone" ] || continue ;;
      env-key-policy.json) continue ;;  # needs the roles' ARNs, below
      bucket-policy.json | state-key-policy.json | trust-apigateway.json) continue ;;  # one per account
    esac
    render "$template" "$d/${template##*/}" "${fill[@]}"
  done

  echo "  permissions boundary of the program's roles: $boundary"
  endpoints=$(awk 'NF == 2 && !seen[$2]++ { print $2 }' <<< "$endpoints")
  endpoints=${endpoints:-none}
  echo "    regions: $regions"
  echo "    SageMaker endpoints they may invoke (the stack file's; re-run after changing them): ${endpoints//$'\n'/ }"
  managed_policy "$prefix-boundary" "$d/boundary.json"

  echo "  $deploy: pulumi up of $env (deploy.yml -> deploy-environment.yml on main, environment $env)"
  role "$deploy" "$d/trust-deploy.json" "ml-edge GitHub Actions: deploy $env"
  managed_policy "$prefix-deploy-api" "$d/deploy-api.json"
  managed_policy "$prefix-deploy-edge-iam" "$d/deploy-edge-iam.json"
  api="arn:aws:iam::${account}:policy/$prefix-deploy-api"
  edge="arn:aws:iam::${account}:policy/$prefix-deploy-edge-iam"
  attach_policy "$deploy" "$api"
  attach_policy "$deploy" "$edge"
  managed="$api $edge"
  # The latency-routed origin of several regions: certificates, custom domains, records and health checks. ACM's
  # RequestCertificate and Route 53's CreateHealthCheck have no resource-level permissions, and Route 53 no tag
  # condition keys (Service Authorization Reference, "Actions, resources, and condition keys for AWS Certificate
  # Manager" and "… for Amazon Route 53"): deploy-origin.json pins a certificate request by acm:DomainNames, DNS
  # validation and the environment tag, and is attached only to an environment with an originDomain.
  if [ -n "$origin_zone" ]; then
    origin_policy="arn:aws:iam::${account}:policy/$prefix-deploy-origin"
    managed_policy "$prefix-deploy-origin" "$d/deploy-origin.json"
    attach_policy "$deploy" "$origin_policy"
    managed="$managed $origin_policy"
  fi
  inline_policy "$deploy" state "$d/state-write.json"
  inline_policy "$deploy" guard "$d/guard-deploy.json"
  if [ -n "$zone" ]; then inline_policy "$deploy" route53 "$d/deploy-route53.json"; fi
  prune_role "$deploy" "state guard${zone:+ route53}" "$managed"
  arns="\"arn:aws:iam::${account}:role/$deploy\""

  echo "  $observe: plan, smoke and drift of $env (environment $env-observe, main only)"
  role "$observe" "$d/trust-observe.json" "ml-edge GitHub Actions: plan, smoke and drift of $env (read only)"
  # managed, like the deploy role's: a role's inline policies share one 10,240-character limit, and the reads
  # name every region
  managed_policy "$prefix-observe" "$d/observe.json"
  reads="arn:aws:iam::${account}:policy/$prefix-observe"
  attach_policy "$observe" "$reads"
  inline_policy "$observe" state "$d/state-read.json"
  inline_policy "$observe" guard "$d/guard-observe.json"
  if [ -n "$zone" ]; then inline_policy "$observe" route53 "$d/observe-route53.json"; fi
  if [ -n "$origin_zone" ]; then inline_policy "$observe" origin "$d/observe-origin.json"; fi
  prune_role "$observe" "state guard${zone:+ route53}${origin_zone:+ origin}" "$reads"
  arns="$arns, \"arn:aws:iam::${account}:role/$observe\""

  if [ "$env" = "$protected" ]; then
    delete_role "$preview"  # whoever previews a stack reads its secrets: no cloud preview of prod
  else
    echo "  $preview: cloud preview of pull requests (environment $env-preview)"
    role "$preview" "$d/trust-preview.json" "ml-edge GitHub Actions: cloud preview of $env (state only)"
    inline_policy "$preview" state "$d/state-read.json"
    inline_policy "$preview" guard "$d/guard-preview.json"
    prune_role "$preview" "state guard" ""
    arns="$arns, \"arn:aws:iam::${account}:role/$preview\""
  fi

  echo "  KMS key alias/ml-edge-$env: decrypted by the roles above only"
  render "$templates/env-key-policy.json" "$d/env-key-policy.json" "${fill[@]}" "PIPELINE_ROLE_ARNS=$arns"
  key_policy "$env_key" "$d/env-key-policy.json"
}

# api_gateway_logging_role REGION...: the account's CloudWatch Logs role of API Gateway, set in each region. It is
# not in the stacks: stacks sharing an account and region would overwrite each other's value, and deleting the
# setting's resource (pulumi-aws 7) resets it for every API of the region.
api_gateway_logging_role() {
  local logs_role="ml-edge-apigateway-cloudwatch" logs_role_arn before attempt api_region
  echo "API Gateway CloudWatch Logs role ${logs_role}, set in $*"
  role "$logs_role" "$templates/trust-apigateway.json" \
    "API Gateway writes access and execution logs to CloudWatch Logs (account setting)"
  attach_policy "$logs_role" arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs
  logs_role_arn=$(aws iam get-role --role-name "$logs_role" --query Role.Arn --output text)
  for api_region in "$@"; do
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
}
