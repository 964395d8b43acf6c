"""Is a change of `ml-edge:originSecret` safe to deploy from what is deployed now? The rules; what is deployed
comes from the stack (gitops/deploy/rotation_check.py), or for the offline pull-request check from the base branch.

During one `pulumi up` the API's guard is updated first and CloudFront then switches over for minutes, so:
- the value CloudFront sends now must still be accepted afterwards (else a direct switch from a to b: 403s);
- the value CloudFront sends now must not be regenerated (its new generation would replace it in the guard).
"""

import json
import subprocess
from pathlib import Path

import yaml

from . import program_path  # noqa: F401  (makes the program's ml_edge package importable)
from .environments import ROOT, read_stack_config, stack_file_in_repo

# isort: split

from ml_edge.config import NAMESPACE, EnvConfig, OriginSecretConfig

KEY = f"{NAMESPACE}:{EnvConfig.model_fields['origin_secret'].alias}"
DEFAULT = OriginSecretConfig().model_dump(by_alias=True)  # the program's defaults: {send, accept, generation}


def settings(raw: dict | None) -> dict:
    raw = raw or {}
    return {"send": raw.get("send", DEFAULT["send"]), "accept": list(raw.get("accept", DEFAULT["accept"])),
            "generation": {**DEFAULT["generation"], **(raw.get("generation") or {})}}


def transition_problem(before: dict | None, after: dict | None) -> str | None:
    """Why going from `before` to `after` (raw originSecret config values) would drop requests, or None."""
    old, new = settings(before), settings(after)
    sending = old["send"]
    if sending not in new["accept"]:
        return (f"CloudFront sends {sending} today, but after this change the API accepts only "
                f"{' and '.join(new['accept'])}: requests fail until CloudFront has switched. Rotate in two pull "
                f"requests: first {{send: {new['send']}, accept: [{sending}, {new['send']}]}}, then "
                f"{{send: {new['send']}, accept: [{new['send']}]}}.")
    if old["generation"][sending] != new["generation"][sending]:
        return (f"this change regenerates {sending}, the value CloudFront sends today: the API would refuse it "
                f"before CloudFront has a new one. Regenerate only a value nobody sends.")
    return None


def config_at(revision: str, env: str, repo: Path = ROOT) -> dict | None:
    """The environment's originSecret config on another revision ({} when the key is absent there: the defaults;
    None when the revision or the file is not in this clone)."""
    result = subprocess.run(["git", "show", f"{revision}:{stack_file_in_repo(env)}"], cwd=repo, capture_output=True,
                            text=True)
    if result.returncode != 0:
        return None
    document = yaml.safe_load(result.stdout) or {}
    return (document.get("config") or {}).get(KEY) or {}


def proposed(env: str) -> dict:
    """The environment's originSecret config in this checkout (raw; {} when the key is absent: the defaults): what a
    pull request or a deploy would change it to."""
    values = read_stack_config(env).values
    return json.loads(values[KEY]) if KEY in values else {}
