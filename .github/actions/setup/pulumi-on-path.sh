#!/usr/bin/env bash
# The Pulumi CLI every later step runs is the pinned one. GitHub's Ubuntu image ships its own `pulumi` in
# /usr/local/bin; install-pulumi.sh puts the checked CLI first on PATH through GITHUB_PATH, which takes effect from
# the next step on (this one). So: `pulumi` on PATH must be that binary and report the pinned version; then
# `pulumi version` is printed for the job's log. Tests override PULUMI_CLI_PIN and PULUMI_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pin="${PULUMI_CLI_PIN:-$here/pulumi-cli.sha256}"
bin="${PULUMI_HOME:-$HOME/.pulumi}/bin"

read -r _ archive < <(grep -Ev '^[[:space:]]*(#|$)' "$pin")
if [[ ! "${archive:-}" =~ ^pulumi-v([0-9]+\.[0-9]+\.[0-9]+)-linux-x64\.tar\.gz$ ]]; then
  echo "::error::$pin must name the archive as pulumi-v<version>-linux-x64.tar.gz" >&2
  exit 1
fi
pinned="v${BASH_REMATCH[1]}"

found="$(command -v pulumi || true)"
if [ "$found" != "$bin/pulumi" ]; then
  echo "::error::the pulumi on PATH is ${found:-missing}, not the pinned CLI $bin/pulumi (install-pulumi.sh adds $bin to GITHUB_PATH)" >&2
  exit 1
fi
version="$(pulumi version)"
echo "pulumi version: $version ($found)"
if [ "$version" != "$pinned" ]; then
  echo "::error::$found reports $version, not the pinned $pinned" >&2
  exit 1
fi
