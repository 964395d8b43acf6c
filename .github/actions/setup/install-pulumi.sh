#!/usr/bin/env bash
# The Pulumi CLI from its release archive, installed only when the archive's SHA-256 is the one pinned in
# pulumi-cli.sha256 (never `curl | sh`); then the resource plugins at exactly the versions of the pulumi-* SDKs in
# the virtualenv (the plugins the program asks for), and no plugin download after that.
# Runs before any credential is configured. Tests override PULUMI_RELEASES, PULUMI_CLI_PIN and PULUMI_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pin="${PULUMI_CLI_PIN:-$here/pulumi-cli.sha256}"
releases="${PULUMI_RELEASES:-https://github.com/pulumi/pulumi/releases/download}"
python="${VENV_PYTHON:-.venv/bin/python}"
bin="${PULUMI_HOME:-$HOME/.pulumi}/bin"

read -r sha256 archive < <(grep -Ev '^[[:space:]]*(#|$)' "$pin")
if [[ ! "${sha256:-}" =~ ^[0-9a-f]{64}$ ]]; then
  echo "::error::no SHA-256 in $pin: fill in the checksum of the pinned Pulumi CLI archive before deploying" >&2
  exit 1
fi
if [[ ! "${archive:-}" =~ ^pulumi-v([0-9]+\.[0-9]+\.[0-9]+)-linux-x64\.tar\.gz$ ]]; then
  echo "::error::$pin must name the archive as pulumi-v<version>-linux-x64.tar.gz" >&2
  exit 1
fi
version="${BASH_REMATCH[1]}"

download="$(mktemp -d)"
trap 'rm -rf "$download"' EXIT
curl --fail --silent --show-error --location --proto-redir '=https' --retry 3 \
  --output "$download/$archive" "$releases/v$version/$archive"
if ! (cd "$download" && echo "$sha256  $archive" | sha256sum --check --strict --quiet); then
  echo "::error::$archive does not have the pinned SHA-256 ($sha256): not installed" >&2
  exit 1
fi
mkdir "$download/unpacked"
tar -xzf "$download/$archive" -C "$download/unpacked"
mkdir -p "$bin"
cp -R "$download/unpacked/pulumi/." "$bin/"
"$bin/pulumi" version

# name, version and (for third-party providers) download server of every resource plugin an installed SDK declares
"$python" - <<'PY' > "$download/plugins"
import json
from importlib import metadata

for distribution in metadata.distributions():
    for file in distribution.files or []:
        if file.name == "pulumi-plugin.json":
            plugin = json.loads(file.read_text())
            if plugin.get("resource"):
                print(plugin["name"], plugin["version"], plugin.get("server", ""))
PY
while read -r name plugin_version server; do
  "$bin/pulumi" plugin install resource "$name" "$plugin_version" --exact ${server:+--server "$server"}
done < "$download/plugins"

if [ -n "${GITHUB_ENV:-}" ]; then
  {
    echo "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true" # no unpinned plugin download while credentials are held
    echo "PULUMI_SKIP_UPDATE_CHECK=true"
  } >> "$GITHUB_ENV"
fi
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$bin" >> "$GITHUB_PATH"
fi
