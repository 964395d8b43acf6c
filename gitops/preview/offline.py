"""The offline preview as one call: plan the environment under mocks, evaluate the guardrails, never raise.

Used by `make preview` (which prints it) and by the pull-request check (which turns it into a comment).
"""

import traceback
from dataclasses import dataclass
from pathlib import Path

from ..planning.plan import InvalidStackConfig, Plan, plan_environment
from ..planning.render import mask
from ..policy.policy_check import PolicyConfigError, PolicyPackProcess, PolicyReport, evaluate
from ..stacks.environments import ENVIRONMENTS_DIR, EnvironmentNotFound, policy_config_file, stack_file

OK, BLOCKED, INVALID_CONFIG, FAILED = 0, 1, 2, 3


@dataclass
class OfflineResult:
    environment: str
    status: int
    plan: Plan | None = None
    report: PolicyReport | None = None
    error: str = ""  # why there is no plan or no report (secrets masked)
    rotation_problem: str | None = None  # set by the pull-request check, which knows what is deployed


def run_offline_preview(env: str, environments_dir: Path = ENVIRONMENTS_DIR) -> OfflineResult:
    plan = None
    with PolicyPackProcess() as pack:  # starts now, so it loads while the program plans
        try:
            plan = plan_environment(env, environments_dir)
            report = evaluate(plan, policy_config_file(env, environments_dir), pack)
        except InvalidStackConfig as error:
            return OfflineResult(env, INVALID_CONFIG, error=f"{stack_file(env, environments_dir)}: {error}")
        except (EnvironmentNotFound, PolicyConfigError) as error:
            return OfflineResult(env, INVALID_CONFIG, plan, error=str(error))
        except Exception:  # noqa: BLE001 - a bug is reported as such, never as a config or policy result
            details = traceback.format_exc()
            return OfflineResult(env, FAILED, plan, error=mask(details, plan) if plan else details)
    return OfflineResult(env, BLOCKED if report.blocked else OK, plan, report)
