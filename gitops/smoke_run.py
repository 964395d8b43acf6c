"""`make smoke ENV=<env>`: run the edge smoke suite against a deployed environment.

The URLs come from `pulumi stack output --json` when the Pulumi CLI is available, from EDGE_URL / ORIGIN_URL
otherwise; so does the smoke consumer's key (SMOKE_API_KEY otherwise); latency budgets from
environments/<env>/smoke.json. Exit status is the suite's (2 when no URLs).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from .environments import ENVIRONMENTS_DIR, PROGRAM_DIR, ROOT
from .pulumi_cli import find_pulumi, stack_name

NO_URLS = 2


class NoUrls(LookupError):
    pass


def stack_outputs(stack: str, show_secrets: bool = False) -> dict | None:
    """The stack's outputs, or None when the Pulumi CLI is missing or cannot tell. Secrets stay in memory."""
    pulumi = find_pulumi()
    if pulumi is None:
        return None
    command = [pulumi, "stack", "output", "--json", "--stack", stack] + (["--show-secrets"] if show_secrets else [])
    result = subprocess.run(command, cwd=PROGRAM_DIR, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        print(f"pulumi stack output --stack {stack} failed: {result.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return json.loads(result.stdout or "{}")


def stack_urls(stack: str) -> tuple[str, str] | None:
    """edgeUrl and originUrl of a stack, or None when the Pulumi CLI is missing or cannot tell."""
    outputs = stack_outputs(stack)
    if outputs is None:
        return None
    if outputs.get("edgeUrl") and outputs.get("originUrl"):
        return outputs["edgeUrl"], outputs["originUrl"]
    print(f"stack {stack} has no edgeUrl/originUrl outputs (not deployed yet?)", file=sys.stderr)
    return None


def smoke_key(stack: str) -> tuple[str, str] | None:
    """The smoke consumer's key and plan from the stack; the key is masked in GitHub Actions logs at once."""
    outputs = stack_outputs(stack, show_secrets=True) or {}
    key, plan = outputs.get("smokeApiKey"), outputs.get("smokeKeyPlan", "")
    if not key:
        return None
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::add-mask::{key}", flush=True)
    return key, plan


def resolve_urls(env: str, stack: str) -> tuple[str, str, str]:
    found = stack_urls(stack)
    if found:
        return (*found, f"pulumi stack output of {stack}")
    edge, origin = os.environ.get("EDGE_URL"), os.environ.get("ORIGIN_URL")
    if edge and origin:
        return edge, origin, "EDGE_URL and ORIGIN_URL"
    raise NoUrls(f"no URLs to test for {env}: the Pulumi CLI is not available or has no outputs for stack "
                 f"{stack}, and EDGE_URL / ORIGIN_URL are not both set. Either log in to Pulumi "
                 f"(pulumi login; the stack must be deployed) or run: EDGE_URL=https://… ORIGIN_URL=https://… "
                 f"make smoke ENV={env}")


def smoke_command(env: str, edge: str, origin: str, extra: list[str],
                  environments_dir: Path = ENVIRONMENTS_DIR) -> list[str]:
    command = [sys.executable, "-m", "pytest", "smoke", f"--edge-url={edge}", f"--origin-url={origin}"]
    budgets = environments_dir / env / "smoke.json"
    if budgets.is_file():
        command.append(f"--budgets={budgets}")
    return command + extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make smoke", description=__doc__)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--stack", help="Pulumi stack name (default: PULUMI_STACK_PREFIX + the environment name)")
    args, extra = parser.parse_known_args(argv)
    try:
        edge, origin, source = resolve_urls(args.env, args.stack or stack_name(args.env))
    except NoUrls as error:
        print(f"error: {error}", file=sys.stderr)
        return NO_URLS
    print(f"smoke-testing {args.env}: edge {edge}, origin {origin} (from {source})", file=sys.stderr)
    environment = dict(os.environ)
    if not environment.get("SMOKE_API_KEY") and source.startswith("pulumi"):
        found = smoke_key(args.stack or stack_name(args.env))
        if found:  # handed over in the environment, never on a command line
            environment["SMOKE_API_KEY"], environment["SMOKE_KEY_PLAN"] = found
            print("using the smoke consumer's key from the stack", file=sys.stderr)
    return subprocess.run(smoke_command(args.env, edge, origin, extra), cwd=ROOT, env=environment).returncode


if __name__ == "__main__":
    sys.exit(main())
