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

# read_stack_inputs ENV: what the bootstrap needs from the environment's stack file, kept as `key value…` lines in
# $work/inputs-ENV (gitops/stacks/bootstrap_inputs.py reads the file, in the environments/ this bootstrap checked, as
# the Pulumi CLI does, with the repository's Python, and checks each value's shape: aws:region, ml-edge:regions,
# ml-edge:customDomain, ml-edge:originDomain and the SageMaker endpointNames); a value it cannot use stops the
# bootstrap, naming the key and the file.
read_stack_inputs() {
  local python="$root/.venv/bin/python"
  [ -x "$python" ] || die "the bootstrap reads the stack files with the repository's Python ($python), which" \
    "make creates: run \`make preview ENV=$1\` once (step 3 of the first deploy)"
  (cd "$root" && "$python" -m gitops.cli.bootstrap_inputs --env "$1" --environments-dir "$root/environments") \
    > "$work/inputs-$1" 2>"$work/error" || die "$(cat "$work/error")"
}

# stack_input ENV KEY: the value(s) read_stack_inputs found for KEY (region, regions, custom-domain, custom-zone,
# origin-domain, origin-zone; endpoint: `<region> <name>`, one a line), empty when absent
stack_input() {
  sed -n "s/^$2 //p" "$work/inputs-$1"
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
