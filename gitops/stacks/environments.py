"""The environment folders, read the way the Pulumi CLI reads a stack config file."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS_DIR = ROOT / "environments"
PROGRAM_DIR = ROOT / "program"
POLICIES_DIR = ROOT / "policies"  # the pack: `pulumi preview --policy-pack <this>`
SECURE_PLACEHOLDER = "offline-preview-cannot-decrypt-secure-values"


class EnvironmentNotFound(LookupError):
    """The environment folder or its stack file is missing or unreadable."""


@dataclass(frozen=True)
class StackConfig:
    environment: str
    values: dict[str, str]  # as the engine hands them to the program: scalars as text, objects as JSON
    secret_keys: frozenset[str]


def environment_names() -> list[str]:
    return sorted(p.name for p in ENVIRONMENTS_DIR.iterdir() if stack_file(p.name).is_file())


def stack_file(environment: str, environments_dir: Path = ENVIRONMENTS_DIR) -> Path:
    return environments_dir / environment / f"Pulumi.{environment}.yaml"


def stack_file_in_repo(environment: str) -> str:
    """The stack file's path in the repository, as git and the messages name it."""
    return stack_file(environment).relative_to(ROOT).as_posix()


def policy_config_file(environment: str, environments_dir: Path = ENVIRONMENTS_DIR) -> Path:
    """The policy pack config: `pulumi preview --policy-pack policies --policy-pack-config <this file>`."""
    return environments_dir / environment / "policy.json"


def read_stack_config(environment: str, environments_dir: Path = ENVIRONMENTS_DIR) -> StackConfig:
    path = stack_file(environment, environments_dir)
    if not path.is_file():
        known = ", ".join(environment_names()) if environments_dir == ENVIRONMENTS_DIR else "?"
        raise EnvironmentNotFound(f"no stack config at {path} (known environments: {known})")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise EnvironmentNotFound(f"{path}: not valid YAML: {error}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise EnvironmentNotFound(f"{path}: expected a top-level 'config:' mapping")
    values: dict[str, str] = {}
    secrets: set[str] = set()
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            # only the stack's secrets provider can decrypt these; the offline preview plans with a placeholder
            values[key] = SECURE_PLACEHOLDER
            secrets.add(key)
        else:
            values[key] = _engine_text(value)
    return StackConfig(environment, values, frozenset(secrets))


def _engine_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
