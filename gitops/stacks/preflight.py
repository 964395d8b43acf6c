"""Is an environment set up for a cloud run? Checked before any credential is used, so that a missing step of the
first deploy (README: first deploy) is named instead of surfacing as a Pulumi or AWS error halfway through.

In order, the first missing one named first:
1. the environment folder: environments/<env>/Pulumi.<env>.yaml (a YAML mapping) and policy.json;
2. the state backend: PULUMI_BACKEND_URL, the project's `backend.url`, or the CLI's login (credentials.json
   `current`), as the CLI picks it (pulumi/pulumi pkg/workspace/creds.go GetCurrentCloudURLWithSource); without
   any, PULUMI_ACCESS_TOKEN means Pulumi Cloud. Pulumi Cloud needs PULUMI_ACCESS_TOKEN (or a stored token) in a
   non-interactive run;
3. on a self-managed backend (s3://, file://, …), for a command that runs the program (preview, up; not the
   smoke run's `stack output`, which decrypts with the provider the state records): the stack file's
   `secretsprovider` and `encryptedkey` lines,
   outside `config:`, as `pulumi stack init --secrets-provider awskms://…` writes them. The CLI reads them from the
   stack file (sdk/go/common/workspace/project.go ProjectStack); without them it falls back to the passphrase
   provider, which stops a non-interactive run for want of PULUMI_CONFIG_PASSPHRASE (pkg/secrets/passphrase), and
   a KMS provider without `encryptedkey` mints a new data key (pkg/secrets/cloud/manager.go): neither may happen
   in a workflow. A passphrase stack (`encryptionsalt`) needs PULUMI_CONFIG_PASSPHRASE or _FILE;
4. the GitHub environment's variables AWS_ROLE_ARN and AWS_REGION: needed in GitHub Actions (unless the AWS
   credentials are configured already), and wherever a workflow sets them but the environment left them empty.

`python -m gitops.cli.preflight --env <env> [--github-environment <name>]` runs the same check as a workflow step.
Exit: 0 ready · 78 (REFUSED, sysexits' EX_CONFIG) a step is missing: the message names it and how to do it.
"""

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from .environments import ENVIRONMENTS_DIR, PROGRAM_DIR, policy_config_file, stack_file, stack_file_in_repo

REFUSED = 78
PULUMI_CLOUD = "https://api.pulumi.com"
KMS_PROVIDERS = ("awskms", "azurekeyvault", "gcpkms", "hashivault")  # pkg/cmd/pulumi/stack/secrets.go
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
FIRST_DEPLOY = "README.md, \"First deploy\""


@dataclass(frozen=True)
class Missing:
    what: str  # the missing step, one sentence
    fix: str  # how to do it


def folder_problems(env: str, environments_dir: Path = ENVIRONMENTS_DIR) -> list[Missing]:
    """What the environment folder lacks (the files the workflows read), or why its stack file cannot be read."""
    folder = environments_dir / env
    if not folder.is_dir():
        return [Missing(f"there is no environment folder environments/{env}",
                        f"create it with {stack_file(env).name} and policy.json (copy dev's and edit them)")]
    found = []
    stack = stack_file(env, environments_dir)
    if not stack.is_file():
        found.append(Missing(f"environments/{env} has no stack file {stack.name}",
                             f"add it (copy {stack_file_in_repo('dev')} and set this environment's values)"))
    elif not isinstance(stack_document(stack), dict):
        found.append(Missing(f"{stack_file_in_repo(env)} is not a YAML mapping",
                             "fix the file: the CLI cannot read it either"))
    if not policy_config_file(env, environments_dir).is_file():
        found.append(Missing(f"environments/{env} has no policy.json (the guardrails' limits)",
                             "add it (copy environments/dev/policy.json and set this environment's limits)"))
    return found


def stack_document(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def pulumi_home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("PULUMI_HOME") or Path.home() / ".pulumi")


def stored_credentials(environ: Mapping[str, str]) -> dict:
    """The CLI's credentials.json (PULUMI_CREDENTIALS_PATH, else PULUMI_HOME, else ~/.pulumi), {} without one."""
    folder = Path(environ["PULUMI_CREDENTIALS_PATH"]) if environ.get("PULUMI_CREDENTIALS_PATH") else \
        pulumi_home(environ)
    try:
        credentials = json.loads((folder / "credentials.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return credentials if isinstance(credentials, dict) else {}


def backend_url(environ: Mapping[str, str], project_file: Path = PROGRAM_DIR / "Pulumi.yaml") -> str:
    """The state backend the CLI would use, as it picks it; "" when it has none."""
    if environ.get("PULUMI_BACKEND_URL", "").strip():
        return environ["PULUMI_BACKEND_URL"].strip()
    project = stack_document(project_file) if project_file.is_file() else None
    backend = project.get("backend") if isinstance(project, dict) else None
    if isinstance(backend, dict) and isinstance(backend.get("url"), str) and backend["url"].strip():
        return backend["url"].strip()
    current = stored_credentials(environ).get("current")
    if isinstance(current, str) and current:
        return current
    return PULUMI_CLOUD if environ.get("PULUMI_ACCESS_TOKEN", "").strip() else ""


def is_self_managed(url: str) -> bool:
    return not url.startswith(("https://", "http://"))


def backend_problems(environ: Mapping[str, str], project_file: Path) -> tuple[str, list[Missing]]:
    url = backend_url(environ, project_file)
    if not url:
        return url, [Missing(
            "no state backend: neither PULUMI_BACKEND_URL nor PULUMI_ACCESS_TOKEN is set, and the CLI is not logged in",
            "run the bootstrap (tools/bootstrap.sh): it makes the state bucket and sets PULUMI_BACKEND_URL "
            "(s3://…) in each GitHub environment; a workflow hands it to `pulumi login`. By hand: "
            "`pulumi login s3://<bucket>`. For Pulumi Cloud instead: PULUMI_ACCESS_TOKEN")]
    if not is_self_managed(url):
        tokens = stored_credentials(environ).get("accessTokens")
        stored = isinstance(tokens, dict) and bool(tokens.get(url))
        if not (environ.get("PULUMI_ACCESS_TOKEN", "").strip() or stored):
            return url, [Missing(f"the state lives in Pulumi Cloud ({url}), but PULUMI_ACCESS_TOKEN is not set "
                                 "(a non-interactive CLI cannot log in: it exits 3)",
                                 "set the secret PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL for a self-managed "
                                 "backend")]
    return url, []


def secrets_provider_problems(env: str, url: str, environ: Mapping[str, str] | None,
                              environments_dir: Path = ENVIRONMENTS_DIR) -> list[Missing]:
    """On a self-managed backend, what the stack file lacks for its secrets provider (read as the CLI reads it:
    pkg/cmd/pulumi/stack/secrets.go GetSecretsManager); with `environ`, also the passphrase a passphrase stack
    needs in the run."""
    document = stack_document(stack_file(env, environments_dir))
    if not isinstance(document, dict):
        return []  # named by folder_problems
    name = stack_file_in_repo(env)
    provider = str(document.get("secretsprovider") or "").strip()
    key = str(document.get("encryptedkey") or "").strip()
    salt = str(document.get("encryptionsalt") or "").strip()
    run_it = (f"create the stack with its own KMS key and copy the two lines the CLI writes into {name}, outside "
              f"`config:` (the bootstrap prints the commands: `pulumi login {url}`, then in program/: `pulumi stack "
              f"init {env} --secrets-provider \"awskms://alias/ml-edge-{env}?region=<state region>\"`), and commit")
    if provider not in ("", "default", "passphrase"):
        kind = provider.split(":", 1)[0]
        if kind not in KMS_PROVIDERS:
            return [Missing(f"{name}: secretsprovider {provider!r} is not one the CLI knows "
                            f"({', '.join(KMS_PROVIDERS)}, passphrase)", run_it)]
        if not key:
            return [Missing(f"{name} has `secretsprovider: {provider}` but no `encryptedkey`: the CLI would make a "
                            "new data key in this run, and the stack's secrets could not be read with it", run_it)]
        return []
    if salt or provider == "passphrase":
        if not salt:
            return [Missing(f"{name} says `secretsprovider: passphrase` but has no `encryptionsalt`", run_it)]
        if environ is not None and not (environ.get("PULUMI_CONFIG_PASSPHRASE") or
                                        environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
            return [Missing(f"{name} uses the passphrase provider (`encryptionsalt`), but neither "
                            "PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set",
                            "set one (a secret of the GitHub environment), or move the stack to its KMS key: "
                            f"`pulumi stack change-secrets-provider --stack {env} "
                            f"\"awskms://alias/ml-edge-{env}?region=<state region>\"`")]
        return []
    return [Missing(f"{name} has no `secretsprovider`/`encryptedkey` lines: on the self-managed backend {url} the "
                    "CLI would fall back to the passphrase provider and stop for want of PULUMI_CONFIG_PASSPHRASE",
                    run_it)]


def aws_problems(env: str, github_environment: str, environ: Mapping[str, str]) -> list[Missing]:
    """A variable a workflow sets from an environment that lacks it is there but empty; in GitHub Actions an unset one
    is missing too (outside, the AWS CLI's own configuration may hold them)."""
    in_actions = environ.get("GITHUB_ACTIONS") == "true"
    settings = f"Settings → Environments → {github_environment} → Environment variables"
    found = []
    role = environ.get("AWS_ROLE_ARN")
    configured = bool(environ.get("AWS_ACCESS_KEY_ID"))  # configure-aws-credentials ran: the role was given
    if (role is None and in_actions and not configured) or (role is not None and not role.strip()):
        found.append(Missing(f"AWS_ROLE_ARN is empty: the GitHub environment {github_environment} has no variable "
                             "AWS_ROLE_ARN", f"the bootstrap sets it; by hand: {settings}, or `gh variable set "
                             f"AWS_ROLE_ARN --env {github_environment} --body arn:aws:iam::<account>:role/<role>`"))
    elif role and not ROLE_ARN.match(role.strip()):
        found.append(Missing(f"AWS_ROLE_ARN of {github_environment} is not an IAM role ARN: {role.strip()!r}",
                             f"set it to arn:aws:iam::<account>:role/<name> ({settings})"))
    region = environ.get("AWS_REGION", environ.get("AWS_DEFAULT_REGION"))
    if (region is None and in_actions) or (region is not None and not region.strip()):
        found.append(Missing(f"AWS_REGION is empty: the GitHub environment {github_environment} has no variable "
                             "AWS_REGION", f"the bootstrap sets it; by hand: {settings}, or `gh variable set "
                             f"AWS_REGION --env {github_environment} --body <region>`"))
    elif region and not REGION.match(region.strip()):
        found.append(Missing(f"AWS_REGION of {github_environment} is not an AWS region: {region.strip()!r}",
                             f"set it to the stack's region, e.g. eu-west-1 ({settings})"))
    return found


def missing_steps(env: str, github_environment: str | None = None, environ: Mapping[str, str] | None = None,
                  environments_dir: Path = ENVIRONMENTS_DIR, project_file: Path = PROGRAM_DIR / "Pulumi.yaml",
                  runs_the_program: bool = True) -> list[Missing]:
    """Every missing step, the first one first (the order of the first deploy). Without runs_the_program (only
    `pulumi stack output`, which decrypts with the provider recorded in the state), the stack file's secrets
    provider lines are not needed."""
    environ = os.environ if environ is None else environ
    found = folder_problems(env, environments_dir)
    url, backend = backend_problems(environ, project_file)
    found += backend
    if url and is_self_managed(url) and runs_the_program:
        found += secrets_provider_problems(env, url, environ, environments_dir)
    return found + aws_problems(env, github_environment or env, environ)


def refusal(env: str, what: str, steps: list[Missing]) -> str:
    first, rest = steps[0], steps[1:]
    text = f"not running {what} for {env}: {first.what}.\n  To do: {first.fix}.\n  ({FIRST_DEPLOY} lists the steps.)"
    if rest:
        text += "\n  Also missing:" + "".join(f"\n  - {step.what}" for step in rest)
    return text


def refused(env: str, what: str, github_environment: str | None = None, **options) -> str | None:
    """The refusal to print, or None when the environment is ready. Prints nothing itself."""
    steps = missing_steps(env, github_environment, **options)
    return refusal(env, what, steps) if steps else None


def report(message: str) -> None:
    """On stderr, and as an error annotation of the run when in GitHub Actions."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::error title=setup missing::{message.splitlines()[0]}", flush=True)
    print(f"error: {message}", file=sys.stderr, flush=True)
