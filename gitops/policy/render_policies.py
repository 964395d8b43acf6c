"""The guardrail results as text: one line per policy, then each violation with its remediation."""

from .policy_check import PolicyReport


def render_policies(report: PolicyReport) -> str:
    width = max(len(o.name) for o in report.outcomes)
    lines = [f"Guardrails · {report.pack} · config {report.config_file.parent.name}/{report.config_file.name}",
             f"  {'policy':<{width}}  {'level':<9}  result"]
    for outcome in report.outcomes:
        count = len(outcome.violations)
        result = outcome.result if not count else f"{outcome.result} ({count} violation{'s' * (count != 1)})"
        lines.append(f"  {outcome.name:<{width}}  {outcome.level:<9}  {result}")
    for outcome in report.outcomes:
        if outcome.violations:
            lines += ["", f"{outcome.result} · {outcome.name} ({outcome.level}): {outcome.description}"]
            lines += [f"  - {message}" for message in outcome.violations]
            lines.append(f"  fix: {outcome.remediation}")
    lines += ["", _verdict(report)]
    return "\n".join(lines)


def _verdict(report: PolicyReport) -> str:
    warnings = f"{report.advisory_violations} advisory warning{'s' * (report.advisory_violations != 1)}"
    if report.blocked:
        count = report.mandatory_violations
        return f"BLOCKED: {count} mandatory violation{'s' * (count != 1)}, {warnings}"
    return f"passed: no mandatory violation, {warnings}"
