"""`make smoke ENV=<env>`: run the edge smoke suite against a deployed environment.

The URLs come from `pulumi stack output --json` when the Pulumi CLI is available, from EDGE_URL and ORIGIN_URLS /
ORIGIN_URL otherwise: every region's origin (the stack output `originUrls`, exported with more than one region, or
ORIGIN_URLS, space-separated region=URL) goes to the suite as `--origin-url region=URL`, each checked on its own;
with one region, `originUrl` (ORIGIN_URL) as a plain `--origin-url URL`. So do the smoke consumer's key and the
restricted smoke key with its models (SMOKE_API_KEY, SMOKE_RESTRICTED_API_KEY and SMOKE_RESTRICTED_MODELS
otherwise), handed to the suite in its environment, never on a command line; latency budgets from
environments/<env>/smoke.json. Exit status is the suite's (2 when no URLs; 78 when the stack would be read but a
setup step is missing and EDGE_URL / ORIGIN_URL(S) are not given instead).

The stack's `models` output goes to the suite as the deployed models (SMOKE_EXPECTED_MODELS, unless that is set):
every deployed model is tested whatever the edge's cached catalog lists, and the catalog is compared with it.
With --heartbeat, the run then publishes the SmokeHeartbeat metric (gitops/smoke_run/heartbeat.py: 1 passed, 0 failed)
in the stack's region (`aws:region` of its stack file); a failure to publish is reported, the exit status stays the
suite's.

Before the stack is read (with the CLI found), gitops/stacks/preflight.py checks the environment is set up; when it is
not, the stack is not read: EDGE_URL / ORIGIN_URL(S) are used if given, else the run stops naming the missing step.

A failing check must not put a key in an artefact: pytest prints short tracebacks (no test's arguments), and
before this exits every key value it handed over is replaced by [secret] in every file the suite wrote (the JUnit
report, the results file, the step summary), since ::add-mask:: covers the log only.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..pulumi import pulumi_cli
from ..pulumi.pulumi_cli import stack_name, stack_outputs
from ..pulumi.stack_secrets import StackSecrets
from ..stacks import preflight
from ..stacks.environments import ENVIRONMENTS_DIR, ROOT, EnvironmentNotFound, read_stack_config
from . import heartbeat

NO_URLS = 2
KEY_VARIABLES = ("SMOKE_API_KEY", "SMOKE_RESTRICTED_API_KEY")
KEY_OPTIONS = ("--api-key", "--restricted-api-key")
WRITTEN_FILE_OPTIONS = ("--junitxml", "--junit-xml", "--results-file")


@dataclass(frozen=True)
class StackKey:
    """A secret key output of the stack and the public output that goes with it, as the suite's variables."""
    what: str
    key_output: str
    key_variable: str
    companion_output: str
    companion_variable: str


STACK_KEYS = (
    StackKey("the smoke consumer's key", "smokeApiKey", "SMOKE_API_KEY", "smokeKeyPlan", "SMOKE_KEY_PLAN"),
    StackKey("the restricted smoke key", "smokeRestrictedApiKey", "SMOKE_RESTRICTED_API_KEY",
             "smokeRestrictedModels", "SMOKE_RESTRICTED_MODELS"),
)


class NoUrls(LookupError):
    pass


class Target(NamedTuple):
    edge: str
    origins: tuple[str, ...]  # what the suite's --origin-url takes: one URL, or region=URL once per region
    source: str
    outputs: dict  # the stack's public outputs ({} when the URLs came from the environment)


def stack_origins(outputs: dict) -> tuple[str, ...]:
    """Every region's invoke URL (`originUrls`: only with more than one region), else the one `originUrl`."""
    by_region = outputs.get("originUrls")
    if isinstance(by_region, dict) and len(by_region) > 1:
        return tuple(f"{region}={url}" for region, url in by_region.items())
    return (outputs["originUrl"],)


def stack_target(stack: str) -> Target | None:
    """edgeUrl and the origins of a stack (with its other outputs), or None when the Pulumi CLI is missing or
    cannot tell."""
    outputs = stack_outputs(stack)
    if outputs is None:
        return None
    if outputs.get("edgeUrl") and outputs.get("originUrl"):
        return Target(outputs["edgeUrl"], stack_origins(outputs), f"pulumi stack output of {stack}", outputs)
    print(f"stack {stack} has no edgeUrl/originUrl outputs (not deployed yet?)", file=sys.stderr)
    return None


def environment_origins() -> tuple[tuple[str, ...], str]:
    """The origins EDGE_URL goes with: ORIGIN_URLS (space-separated region=URL), else ORIGIN_URL; and their name."""
    several = (os.environ.get("ORIGIN_URLS") or "").split()
    if several:
        return tuple(several), "ORIGIN_URLS"
    one = os.environ.get("ORIGIN_URL")
    return ((one,) if one else ()), "ORIGIN_URL"


def urls_in_environment() -> bool:
    return bool(os.environ.get("EDGE_URL") and environment_origins()[0])


def stack_keys(stack: str, wanted: list[StackKey]) -> dict[str, str]:
    """The suite's variables for the wanted keys the stack exports (each with its companion output: the plan, the
    model list); every key is masked in GitHub Actions logs at once. One `pulumi stack output --show-secrets`."""
    if not wanted:
        return {}
    outputs = stack_outputs(stack, show_secrets=True) or {}
    variables = {}
    for key in wanted:
        value = outputs.get(key.key_output)
        if not value:
            continue
        StackSecrets((value,)).mask_in_log()
        variables[key.key_variable] = value
        variables[key.companion_variable] = as_text(outputs.get(key.companion_output))
        print(f"using {key.what} from the stack", file=sys.stderr)
    return variables


def as_text(value) -> str:
    """A stack output as a variable: a list (the restricted key's models) comma-separated."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return "" if value is None else str(value)


def resolve_urls(env: str, stack: str, read_stack: bool = True) -> Target:
    found = stack_target(stack) if read_stack else None
    if found:
        return found
    edge = os.environ.get("EDGE_URL")
    origins, variable = environment_origins()
    if edge and origins:
        return Target(edge, origins, f"EDGE_URL and {variable}", {})
    raise NoUrls(f"no URLs to test for {env}: the Pulumi CLI is not available or has no outputs for stack "
                 f"{stack}, and EDGE_URL / ORIGIN_URL are not both set. Either log in to Pulumi "
                 f"(pulumi login; the stack must be deployed) or run: EDGE_URL=https://… ORIGIN_URL=https://… "
                 f"make smoke ENV={env} (several regions: ORIGIN_URLS=\"us-east-1=https://… eu-west-1=https://…\" "
                 "instead of ORIGIN_URL)")


def deployed_models(outputs: dict) -> dict[str, str]:
    """SMOKE_EXPECTED_MODELS from the stack's `models` output, when it has one."""
    models = outputs.get("models")
    if not isinstance(models, list) or not models:
        return {}
    print(f"deployed models (the stack's `models` output): {', '.join(map(str, models))}", file=sys.stderr)
    return {"SMOKE_EXPECTED_MODELS": as_text(models)}


def heartbeat_region(env: str, environments_dir: Path = ENVIRONMENTS_DIR) -> str | None:
    """Where the SmokeHeartbeat alarm lives: the stack's `aws:region` (its stack file), else AWS_REGION."""
    try:
        region = read_stack_config(env, environments_dir).values.get("aws:region")
    except EnvironmentNotFound:
        region = None
    return region or os.environ.get("AWS_REGION") or None


def publish_heartbeat(env: str, passed: bool) -> None:
    region = heartbeat_region(env)
    if region is None:
        print(f"error: the smoke heartbeat was not published: no aws:region in {env}'s stack file and no AWS_REGION",
              file=sys.stderr)
        return
    heartbeat.publish(env, region, passed)


def smoke_command(env: str, edge: str, origins: tuple[str, ...] | str, extra: list[str],
                  environments_dir: Path = ENVIRONMENTS_DIR) -> list[str]:
    """`origins`: one URL, or region=URL per region (each becomes an --origin-url)."""
    origins = (origins,) if isinstance(origins, str) else origins
    command = [sys.executable, "-m", "pytest", "smoke", f"--edge-url={edge}",
               *(f"--origin-url={origin}" for origin in origins)]
    budgets = environments_dir / env / "smoke.json"
    if budgets.is_file():
        command.append(f"--budgets={budgets}")
    # last, so it wins: a long traceback prints every function's arguments
    return command + extra + ["--tb=short"]


def option_values(arguments: list[str], names: tuple[str, ...]) -> list[str]:
    """The values of the named options on a pytest command line (`--name=value` or `--name value`)."""
    values = []
    for index, argument in enumerate(arguments):
        name, equals, value = argument.partition("=")
        if name in names:
            if equals:
                values.append(value)
            elif index + 1 < len(arguments):
                values.append(arguments[index + 1])
    return values


def written_files(extra: list[str], environment: dict[str, str]) -> list[Path]:
    """The files the suite writes: its JUnit report and results file (relative to where it runs), the summary."""
    files = [ROOT / value for value in option_values(extra, WRITTEN_FILE_OPTIONS)]
    if environment.get("GITHUB_STEP_SUMMARY"):
        files.append(Path(environment["GITHUB_STEP_SUMMARY"]))
    return files


def handed_keys(extra: list[str], environment: dict[str, str]) -> tuple[str, ...]:
    keys = [environment.get(name, "") for name in KEY_VARIABLES] + option_values(extra, KEY_OPTIONS)
    return tuple(dict.fromkeys(k for k in (*keys, *(k.strip() for k in keys)) if k))


def scrub_files(files: list[Path], keys: StackSecrets) -> None:
    for file in files:
        if not file.is_file():
            continue
        text = file.read_text(encoding="utf-8", errors="surrogateescape")
        clean = keys.scrub(text)
        if clean != text:
            file.write_text(clean, encoding="utf-8", errors="surrogateescape")
            print(f"a key was replaced by [secret] in {file}", file=sys.stderr)


def run_suite(env: str, stack: str | None = None, extra: list[str] | None = None,
              publish_heartbeat_after: bool = False) -> int:
    """The smoke suite against the environment (its stack: `stack`, by default the environment's), with pytest's
    extra arguments; with publish_heartbeat_after, the SmokeHeartbeat metric after it. Exit status (see above)."""
    stack = stack or stack_name(env)
    extra = extra or []
    reads_stack = pulumi_cli.find_pulumi() is not None
    refusal = preflight.refused(env, "the smoke suite", f"{env}-observe",
                                runs_the_program=False) if reads_stack else None
    if refusal and not urls_in_environment():
        preflight.report(refusal)
        return preflight.REFUSED
    if refusal:
        print(f"not reading the stack ({refusal.splitlines()[0]}): using EDGE_URL and {environment_origins()[1]}",
              file=sys.stderr)
    try:
        target = resolve_urls(env, stack, read_stack=not refusal)
    except NoUrls as error:
        print(f"error: {error}", file=sys.stderr)
        return NO_URLS
    origins = f"origin {target.origins[0]}" if len(target.origins) == 1 else \
        f"origins {', '.join(target.origins)}"
    print(f"smoke-testing {env}: edge {target.edge}, {origins} (from {target.source})", file=sys.stderr)
    environment = dict(os.environ)
    if target.outputs:  # a value given in the environment wins over the stack's
        if not environment.get("SMOKE_EXPECTED_MODELS"):
            environment.update(deployed_models(target.outputs))
        wanted = [key for key in STACK_KEYS if not environment.get(key.key_variable)]
        environment.update(stack_keys(stack, wanted))
    keys = StackSecrets(handed_keys(extra, environment))
    try:
        status = subprocess.run(smoke_command(env, target.edge, target.origins, extra), cwd=ROOT,
                                env=environment).returncode
    finally:
        scrub_files(written_files(extra, environment), keys)
    if publish_heartbeat_after:
        publish_heartbeat(env, passed=status == 0)
    return status

