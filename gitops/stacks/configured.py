"""The configured environments, in deploy order (dev, staging, prod, then others alphabetically): the deploy
workflow's jobs and the smoke and drift matrices come from here, so adding an environment is adding its folder
and running its setup.

Prints them as JSON (["dev","staging","prod"]) and writes `environments=<json>` to $GITHUB_OUTPUT. An
environment folder is every folder under environments/; each must be complete, else nothing is listed:
- its stack file Pulumi.<env>.yaml and its guardrail limits policy.json;
- on a self-managed state backend (s3://…: the default; PULUMI_BACKEND_URL, else an http(s) URL there or
  PULUMI_ACCESS_TOKEN alone means Pulumi Cloud, whose own secrets provider needs no lines), the stack file's
  `secretsprovider` and `encryptedkey` lines: the bootstrap of the environment creates its GitHub environments
  (with AWS_ROLE_ARN and AWS_REGION), its roles and KMS key, and the stack, whose lines are then committed. A
  folder without them has not been set up, and GitHub would create its environment on the fly, with no
  variables or secrets.

Exit: 0 listed · 2 an environment folder is incomplete (each missing piece named, with what to do).
"""

from collections.abc import Mapping
from pathlib import Path

from . import preflight
from .changes import in_deploy_order
from .environments import ENVIRONMENTS_DIR

INCOMPLETE = 2  # the exit status of `python -m gitops.cli.environments_list` when one is incomplete


def environment_folders(environments_dir: Path = ENVIRONMENTS_DIR) -> list[str]:
    return in_deploy_order(p.name for p in environments_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def incomplete(env: str, environments_dir: Path, backend: str) -> list[preflight.Missing]:
    found = preflight.folder_problems(env, environments_dir)
    if not found and preflight.is_self_managed(backend):
        # a passphrase belongs to the job, not to the folder: each job's preflight checks it
        found = preflight.secrets_provider_problems(env, backend, None, environments_dir)
    return found


def assumed_backend(environ: Mapping[str, str]) -> str:
    """The state backend the jobs will use, as far as the job that lists the environments can tell."""
    url = environ.get("PULUMI_BACKEND_URL", "").strip()
    return url or (preflight.PULUMI_CLOUD if environ.get("PULUMI_ACCESS_TOKEN", "").strip() else
                   "s3://<state bucket>")


def configured_environments(environments_dir: Path,
                            environ: Mapping[str, str]) -> tuple[list[str], dict[str, list[preflight.Missing]]]:
    """Every environment folder in deploy order, and what each incomplete one lacks (empty when all are set up)."""
    backend = assumed_backend(environ)
    environments = environment_folders(environments_dir)
    problems = {env: found for env in environments if (found := incomplete(env, environments_dir, backend))}
    return environments, problems
