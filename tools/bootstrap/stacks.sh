# shellcheck shell=bash disable=SC2154  # the globals are set by tools/bootstrap.sh
# The stacks of tools/bootstrap.sh (sourced), through the Pulumi CLI: each environment's stack exists in the state
# backend, encrypts its secrets with the environment's key, and its stack file carries the two lines that say so.
#
# Why the bootstrap writes those lines: the workflows run `pulumi --config-file environments/<env>/Pulumi.<env>.yaml`,
# and the CLI takes the secrets provider from that file only (pulumi 3.259.0, pkg/cmd/pulumi/stack/io.go
# LoadProjectStack): without `secretsprovider:` it falls back to the passphrase provider on an s3:// backend and fails
# without PULUMI_CONFIG_PASSPHRASE; without `encryptedkey:` it would make a new data key, which needs kms:Encrypt, which
# no pipeline role has. `pulumi stack init` and `stack change-secrets-provider` take no --config-file: they read and
# rewrite Pulumi.<env>.yaml next to the project's Pulumi.yaml (workspace.DetectProjectStackPath), re-marshalled, its
# comments dropped. So they run in a scratch project (a copy of program/Pulumi.yaml, which names the project and so
# the state's objects), on a copy of the stack file, and only their two lines are carried back into the real file,
# the rest of which stays byte for byte. The backend comes from PULUMI_BACKEND_URL, so the administrator's own
# `pulumi login` is left as it was.
# Needs: root, work, region (the state region), backend_url.

stacks_preflight() {  # before anything changes: the CLI is there
  command -v pulumi >/dev/null 2>&1 || die "the Pulumi CLI is not on PATH; it creates each environment's stack" \
    "(install the version .github/actions/setup pins, https://www.pulumi.com/docs/install/)"
}

stacks_project() {  # the scratch project the stack commands run in
  mkdir -p "$work/pulumi"
  cp "$root/program/Pulumi.yaml" "$work/pulumi/Pulumi.yaml"
  echo "Pulumi CLI $(pulumi_cli version)"
}

# pulumi_cli ARGS...: the CLI in the scratch project, against the state backend, never prompting; an administrator's
# PULUMI_CLOUD_SECRET_OVERRIDE would replace the secrets provider the stack file records, so it is left out
pulumi_cli() {
  (cd "$work/pulumi" && env -u PULUMI_CLOUD_SECRET_OVERRIDE PULUMI_BACKEND_URL="$backend_url" \
     PULUMI_SKIP_UPDATE_CHECK=true pulumi --non-interactive "$@")
}

secrets_provider() {  # the secrets provider of an environment's stack: its own key, in the state region
  echo "awskms://alias/ml-edge-$1?region=$region"
}

# top_level_value FILE KEY: the value of a top-level `KEY: value` line (quotes removed), empty when absent
top_level_value() {
  sed -n -E "s/^$2:[[:space:]]*[\"']?([^\"']*)[\"']?[[:space:]]*$/\1/p" "$1" | head -n 1
}

# stack_exists ENV: the CLI answers "no stack" with exit code 6 (3.226 and later) or, before, with this message
stack_exists() {
  local status=0
  pulumi_cli stack tag ls --stack "$1" >/dev/null 2>"$work/error" || status=$?
  [ "$status" -ne 0 ] || return 0
  if [ "$status" -eq 6 ] || grep -q "no stack named '$1' found" "$work/error"; then
    return 1
  fi
  cat "$work/error" >&2
  die "could not tell whether the stack $1 exists in $backend_url (pulumi exit code $status)"
}

# carry_secrets_lines ENV: the `secretsprovider:` and `encryptedkey:` lines the CLI wrote into the scratch copy go
# into the stack file at the top level: in place of the ones there (and of a passphrase provider's
# `encryptionsalt:`), or else just before `config:`. Every other byte of the file stays as it was.
carry_secrets_lines() {
  local env=$1 file copy="$work/pulumi/Pulumi.$1.yaml" provider_line key_line provider key
  file=$(stack_file "$env")
  provider_line=$(grep -E '^secretsprovider:' "$copy" || true)
  key_line=$(grep -E '^encryptedkey:' "$copy" || true)
  provider=$(top_level_value "$copy" secretsprovider)
  key=$(top_level_value "$copy" encryptedkey)
  if [[ $provider_line == *$'\n'* || $key_line == *$'\n'* || $provider != "$(secrets_provider "$env")" ]] ||
     ! [[ $key =~ ^[A-Za-z0-9+/]+=*$ ]]; then
    die "pulumi did not record the secrets provider $(secrets_provider "$env") and one encrypted key for $env" \
      "(it wrote: ${provider_line:-no secretsprovider line}; ${key_line:-no encryptedkey line}); nothing was written" \
      "to ${file#"$root"/}"
  fi
  PROVIDER_LINE=$provider_line KEY_LINE=$key_line awk '
    /^(secretsprovider|encryptedkey|encryptionsalt):/ {
      if (!done) { print ENVIRON["PROVIDER_LINE"]; print ENVIRON["KEY_LINE"]; done = 1 }
      next
    }
    /^config:/ && !done { print ENVIRON["PROVIDER_LINE"]; print ENVIRON["KEY_LINE"]; done = 1 }
    { print }
    END { if (!done) exit 3 }
  ' "$file" > "$work/stack-file" || die "${file#"$root"/}: no top-level config: line to put the secrets provider before"
  if ! cmp -s "$work/stack-file" "$file"; then
    cat "$work/stack-file" > "$file"  # in place: the file keeps its mode
    changed_stack_files+=("${file#"$root"/}")
  fi
}

# environment_stack ENV: the stack exists, encrypts with alias/ml-edge-<env>, its file says so, and it is tagged
# environment=<env> (every preview and update reads the stack's tags object; S3 answers a role that may not list the
# whole bucket "access denied", not "not found", for a missing one)
environment_stack() {
  local env=$1 file provider
  file=$(stack_file "$env")
  provider=$(secrets_provider "$env")
  cp "$file" "$work/pulumi/Pulumi.$env.yaml"
  if ! stack_exists "$env"; then
    echo "  stack $env: creating it, its secrets encrypted with alias/ml-edge-$env"
    pulumi_cli stack init "$env" --secrets-provider "$provider" --no-select ||
      die "pulumi stack init $env failed (above); nothing was written to ${file#"$root"/}"
    carry_secrets_lines "$env"
  elif [ "$(top_level_value "$file" secretsprovider)" != "$provider" ] ||
       [ -z "$(top_level_value "$file" encryptedkey)" ]; then
    # earlier bootstraps: the state key alias/ml-edge-pulumi, which the pipeline roles may use only through S3, or the
    # lines left in program/Pulumi.<env>.yaml; this also re-encrypts the secrets in the stack's state
    echo "  stack $env: exists; moving its secrets to alias/ml-edge-$env"
    pulumi_cli stack change-secrets-provider --stack "$env" "$provider" ||
      die "pulumi stack change-secrets-provider of $env failed (above); nothing was written to ${file#"$root"/}"
    carry_secrets_lines "$env"
  else
    echo "  stack $env: exists, its secrets encrypted with alias/ml-edge-$env"
  fi
  pulumi_cli stack tag set environment "$env" --stack "$env" >/dev/null ||
    die "pulumi stack tag set of $env failed (above)"
}
