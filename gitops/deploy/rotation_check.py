"""Before `pulumi up` (and before a plan is saved): is the new origin-secret config safe from every state the
distribution may be in now? The stack tells what runs, so a push's `before`, a dispatch, a rejected, failed or
cancelled deploy cannot fool the check.

What CloudFront may be sending now:
- what the last deploy recorded: the stack output originSecretRotation; for a stack last deployed before that
  output existed, the config at the commit of its last successful update;
- for every update attempted after the last success that did not succeed (failed, cancelled), the config at its
  commit: it may have switched CloudFront before it stopped (and may have written the output too, so then the
  config of the last success counts as well).
The new config must be safe from each. When one of them cannot be read, the deploy is refused: a wrong order is a
403 for every request, while a refused deploy only waits for a person.
"""

from dataclasses import dataclass
from pathlib import Path

from ..pulumi.deployed import ROTATION_OUTPUT, Update, read_record
from ..pulumi.pulumi_cli import stack_outputs
from ..stacks import rotation
from ..stacks.environments import ROOT

# isort: split

from ml_edge.origin_secret import HEADER


class DeployedUnknown(Exception):
    """What CloudFront sends today cannot be told."""


@dataclass(frozen=True)
class DeployedSettings:
    source: str  # where the settings were read, for the error message
    settings: dict


def _short(commit: str) -> str:
    return commit[:12]


def _config_of(update: Update, what: str, env: str, repo: Path) -> DeployedSettings:
    if not update.commit:
        raise DeployedUnknown(f"{what} recorded no git commit")
    if update.dirty:
        raise DeployedUnknown(f"{what} ({_short(update.commit)}) ran from a work tree with uncommitted changes")
    settings = rotation.config_at(update.commit, env, repo)
    if settings is None:
        raise DeployedUnknown(f"the config of {what} ({_short(update.commit)}) is not in this clone")
    return DeployedSettings(f"the config of {what} ({_short(update.commit)})", settings)


def deployed_settings(env: str, outputs: dict | None, entries: list[dict] | None,
                      repo: Path = ROOT) -> list[DeployedSettings]:
    """Every rotation state the distribution may be in (empty: nothing deployed); DeployedUnknown otherwise."""
    if outputs is None:
        raise DeployedUnknown("the stack's outputs could not be read")
    if entries is None:
        raise DeployedUnknown("the stack's history could not be read")
    record = read_record(entries)
    found = []
    output = outputs.get(ROTATION_OUTPUT)
    if output is not None:
        found.append(DeployedSettings(f"the stack output {ROTATION_OUTPUT}", output))
    for attempt in record.attempts_since:
        found.append(_config_of(attempt, f"the deploy that did not succeed ({attempt.result or 'no result'})",
                                env, repo))
    if record.last_success is not None and (output is None or record.attempts_since):
        found.append(_config_of(record.last_success, "the last successful deploy", env, repo))
    return found


def problem(env: str, stack: str, after: dict | None, entries: list[dict] | None, repo: Path = ROOT) -> str | None:
    """Why deploying `after` (the raw originSecret config) could drop requests, or None."""
    try:
        states = deployed_settings(env, stack_outputs(stack), entries, repo)
    except DeployedUnknown as unknown:
        return (f"what CloudFront sends today cannot be told ({unknown}), and deploying an origin-secret change in "
                f"the wrong order makes every request fail (403). Make the stack readable and re-run; for a stack "
                f"changed outside this pipeline, check which value the distribution sends (its origin's "
                f"{HEADER} header) against {rotation.KEY}.accept and run `pulumi up` by hand once: the "
                f"stack output {ROTATION_OUTPUT} then records it.")
    for state in states:
        reason = rotation.transition_problem(state.settings, after)
        if reason:
            return f"from {state.source}: {reason}"
    return None
