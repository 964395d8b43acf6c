# shellcheck shell=bash disable=SC2154  # the globals are set by tools/bootstrap.sh
# Helpers of tools/bootstrap.sh (sourced): errors, policy templates, what the stack files say.
# Works with bash 3.2 (macOS): no associative arrays.

die() {
  echo "error: $*" >&2
  exit 1
}

# render TEMPLATE OUTPUT KEY=VALUE...: the template with each {{KEY}} replaced by VALUE (JSON fragments allowed);
# a placeholder left unfilled stops the bootstrap, so a document is never applied half-rendered.
render() {
  local template=$1 output=$2 text pair key value
  shift 2
  text=$(<"$template")
  for pair in "$@"; do
    key=${pair%%=*}
    value=${pair#*=}
    text=${text//"{{$key}}"/$value}  # values are ids, names and ARNs: no `&` or `\` (special in bash 5.2 here)
  done
  if [[ $text == *"{{"* ]]; then
    die "${template##*/}: unfilled placeholder $(grep -o '{{[A-Z_]*}}' <<< "$text" | head -n 1)"
  fi
  printf '%s\n' "$text" > "$output"
}

# configured_environments: every folder of environments/, one a line (the default when none is named); an incomplete
# folder is then refused by check_environment_folder rather than skipped
configured_environments() {
  local folder
  for folder in "$root"/environments/*/; do
    [ -d "$folder" ] && basename "$folder"
  done
  return 0
}

# check_environment_folder ENV: what the bootstrap and the workflows read from environments/<env>/ is there, else it
# stops, naming every missing file and the steps of adding an environment
check_environment_folder() {
  local env=$1 folder="$root/environments/$1" missing=""
  if [ ! -f "$folder/Pulumi.$env.yaml" ]; then
    missing="Pulumi.$env.yaml (the stack file: aws:region, aws:defaultTags with environment: $env, models, consumers)"
  fi
  if [ ! -f "$folder/policy.json" ]; then
    missing="${missing:+$missing and }policy.json (the guardrails' config every preview and deploy passes)"
  fi
  [ -z "$missing" ] && return 0
  die "environment '$env' is not set up: environments/$env/ lacks $missing. To add an environment: copy another" \
    "environment's folder to environments/$env/, rename its stack file, set its values (make preview ENV=$env checks" \
    "them), then run this bootstrap for it"
}

stack_file() {  # the stack file of an environment (it must exist)
  local file="$root/environments/$1/Pulumi.$1.yaml"
  [ -f "$file" ] || die "no ${file#"$root"/}: write the environment's stack file first (its aws:region is needed)"
  echo "$file"
}

# stack_value ENV KEY PATTERN: the value of `KEY: value` in the environment's stack file (block style, optionally
# quoted, optionally followed by a comment), empty when the key is absent; a value not matching PATTERN, or a key
# given twice, stops the bootstrap.
stack_value() {
  local file value key=$2 pattern=$3
  file=$(stack_file "$1")
  grep -qE "(^|[[:space:]{,])${key}:" "$file" || return 0
  value=$(sed -n -E "s/^[[:space:]]+${key}:[[:space:]]*[\"']?(${pattern})[\"']?[[:space:]]*(#.*)?$/\1/p" "$file")
  if [ -z "$value" ] || [[ "$value" == *$'\n'* ]]; then
    die "${file#"$root"/} must set ${key} once, in block style (${key}: value)"
  fi
  echo "$value"
}

# stack_values ENV KEY PATTERN: every value of `KEY: value` in the environment's stack file, one a line (block style,
# also as a list item's first key, `- KEY: value`); a value not matching PATTERN, or the key written any other way
# (flow style), stops the bootstrap rather than being missed.
stack_values() {
  local file values mentions key=$2 pattern=$3
  file=$(stack_file "$1")
  mentions=$(grep -vE '^[[:space:]]*#' "$file" | grep -cE "(^|[[:space:]{,])${key}:" || true)
  values=$(sed -n -E "s/^[[:space:]]*(-[[:space:]]+)?${key}:[[:space:]]*[\"']?(${pattern})[\"']?[[:space:]]*(#.*)?$/\2/p" "$file")
  if [ "$(grep -c . <<< "$values" || true)" != "$mentions" ]; then
    die "${file#"$root"/}: write each ${key} in block style (${key}: value), matching ${pattern}"
  fi
  [ -z "$values" ] || echo "$values"
}

project_name() {  # the Pulumi project (it names the state objects)
  local name
  name=$(sed -n -E 's/^name:[[:space:]]*([A-Za-z0-9_.-]+)[[:space:]]*$/\1/p' "$root/program/Pulumi.yaml")
  [ -n "$name" ] || die "program/Pulumi.yaml must set the project name"
  echo "$name"
}

# Environment names become IAM, Lambda, WAF and log-group name prefixes (ml-edge-<env>-*): a name that is a word
# of the bootstrap's own roles, or whose prefix covers another environment, would let one role manage the other's.
check_environment_name() {
  local env=$1 other
  [[ $env =~ ^[a-z][a-z0-9-]{0,19}$ ]] || die "environment '$env': lowercase letters, digits and '-', 1-20 characters"
  case $env in
    deploy | observe | preview | apigateway | pulumi) die "environment '$env': the name is reserved (ml-edge-$env-* names the bootstrap's own roles)" ;;
    deploy-* | observe-* | preview-* | apigateway-* | pulumi-*) die "environment '$env': a name starting ${env%%-*}- would cover the bootstrap's own roles (ml-edge-${env%%-*}-*)" ;;
  esac
  for other in "$root"/environments/*/; do
    other=$(basename "$other")
    if [[ $other == "$env"-* ]]; then
      die "environment '$env': ml-edge-$env-* would also cover the resources of environment '$other'; rename one of them"
    fi
    if [[ $env == "$other"-* ]]; then
      die "environment '$env': ml-edge-$other-* (environment '$other') would also cover its resources; rename one of them"
    fi
  done
}
