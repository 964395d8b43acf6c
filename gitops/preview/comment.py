"""The pull-request comment of one environment: what changes, which guardrails pass, the diff.

One comment per environment, found again by its hidden marker and updated in place. GitHub refuses comments
over 65,536 characters: the diff is trimmed to fit, everything else always fits. No secret: the offline plan
is masked by the renderer and again here; `pulumi preview` prints the secrets it knows as [secret] itself, and
gitops/preview/pull_request.py replaces every secret value of the stack in its output before it gets here
(stack_secrets).
"""

from ..github.comment_marker import GITHUB_LIMIT, marker, ready_heading
from ..planning.render import mask, render_plan
from ..policy.policy_check import PolicyOutcome
from ..pulumi.pulumi_cli import EXIT_CODES, CliRun
from .offline import BLOCKED, FAILED, INVALID_CONFIG, OfflineResult

LIMIT = GITHUB_LIMIT - 1_536  # room for the marker, footers and multi-byte characters
ORDER = {"BLOCKED": 0, "warn": 1, "pass": 2, "disabled": 3}
ICON = {"BLOCKED": "❌", "warn": "⚠️", "pass": "✅", "disabled": "⏸"}


def render_comment(offline: OfflineResult, cloud: CliRun | None, commit: str = "", run_url: str = "",
                   cloud_skipped_reason: str = "", rotation_basis: str = "") -> str:
    """rotation_basis: what the rotation order was checked against (what is deployed, or the base branch)."""
    env = offline.environment
    parts = [marker(env), _heading(offline, cloud), "", _changes(offline, cloud, cloud_skipped_reason), ""]
    checked = f" Checked against {rotation_basis}." if rotation_basis else ""
    if offline.plan is not None:
        parts += [_origin_secret_phase(offline) + ("" if offline.rotation_problem else checked), ""]
    if offline.rotation_problem:
        parts += ["### ❌ Origin-secret rotation order", "", offline.rotation_problem + checked, ""]
    if offline.report is not None:
        parts += _guardrails(offline), [""]
    elif offline.error:
        parts += ["### ⚠️ The offline preview could not run", "", "```text", offline.error.strip()[-3000:], "```", ""]
    footer = "<sub>" + " · ".join(p for p in (f"commit {commit[:7]}" if commit else "",
                                               f"[workflow run]({run_url})" if run_url else "",
                                               "ml-edge preview") if p) + "</sub>"
    head = _secret_free("\n".join(_flatten(parts)), offline)
    plan = f"```text\n{render_plan(offline.plan)}\n```" if offline.plan is not None else ""
    room = LIMIT - len(head) - len(footer)
    folded = []
    if cloud is not None and cloud.output.strip():
        diff, room = _fit(_secret_free(cloud.output.rstrip(), offline), room - 200)
        folded.append(_details("Full diff (<code>pulumi preview --diff</code>)", f"```diff\n{diff}\n```"))
    if plan:
        text, room = _fit(_secret_free(plan, offline), room - 200)
        folded.append(_details("Offline plan (what the program would create from scratch)", text))
    return "\n".join([head, *folded, "", footer]) + "\n"


def _flatten(parts: list) -> list[str]:
    flat: list[str] = []
    for part in parts:
        flat.extend(part if isinstance(part, list) else [part])
    return flat


def _heading(offline: OfflineResult, cloud: CliRun | None) -> str:
    env = offline.environment
    if offline.status == INVALID_CONFIG:
        return f"## ❌ `{env}`: invalid configuration"
    if offline.status == FAILED or (cloud is not None and cloud.status != 0):
        return f"## ❌ `{env}`: preview failed"
    if offline.status == BLOCKED and offline.rotation_problem and not (offline.report and offline.report.blocked):
        return f"## ❌ `{env}`: blocked: the origin secret would be rotated in the wrong order"
    if offline.status == BLOCKED:
        return f"## ❌ `{env}`: blocked by a mandatory guardrail"
    return ready_heading(env)


def _changes(offline: OfflineResult, cloud: CliRun | None, skipped: str) -> str:
    if cloud is not None:
        if cloud.status in EXIT_CODES and cloud.status != 0:
            return (f"**Changes:** unknown: `pulumi preview` failed (exit {cloud.status}: {EXIT_CODES[cloud.status]}; "
                    f"its output is below).")
        if cloud.status != 0:
            return "**Changes:** unknown: `pulumi preview` did not run (why is below)."
        if cloud.changes == 0:
            return f"**No changes:** the deployed stack already matches this change " \
                   f"({cloud.summary.get('unchanged', 0)} resources unchanged)."
        counts = [f"{cloud.summary.get(k, 0)} to {k}" for k in ("create", "update", "replace", "delete")]
        unchanged = cloud.summary.get("unchanged")
        return "**Changes:** " + " · ".join(counts) + (f" · {unchanged} unchanged" if unchanged is not None else "")
    if offline.plan is not None:
        resources = sum(r.custom for r in offline.plan.resources)
        reason = skipped or "no cloud credentials in this run"
        return (f"**Changes:** not compared with the deployed stack ({reason}); the offline plan has "
                f"{resources} resources.")
    return "**Changes:** unknown."


def _origin_secret_phase(offline: OfflineResult) -> str:
    secret = offline.plan.config.origin_secret
    if secret.phase == "rotating":
        return (f"**Origin secret:** 🔄 rotation step 1 of 2: the API accepts {' and '.join(secret.accept)}, "
                f"CloudFront switches to {secret.send}. Next pull request: accept only {secret.send}.")
    return f"**Origin secret:** steady: CloudFront sends {secret.send}, the API accepts only {secret.send}."


def _guardrails(offline: OfflineResult) -> list[str]:
    report = offline.report
    outcomes = sorted(report.outcomes, key=lambda o: (ORDER.get(o.result, 9), o.level != "mandatory", o.name))
    verdict = (f"{report.mandatory_violations} mandatory violation(s), {report.advisory_violations} advisory "
               f"warning(s)")
    lines = [f"### Guardrails · `{report.pack}` · `environments/{offline.environment}/policy.json` · {verdict}", "",
             "| policy | level | result |", "| --- | --- | --- |"]
    lines += [f"| `{o.name}` | {o.level} | {ICON.get(o.result, '')} {_result(o)} |" for o in outcomes]
    for outcome in outcomes:
        if outcome.violations:
            lines += ["", f"#### {ICON[outcome.result]} `{outcome.name}` ({outcome.level})", outcome.description, ""]
            lines += [f"- {_inline(message)}" for message in outcome.violations]
            lines += ["", f"**Fix:** {outcome.remediation}"]
    return lines


def _result(outcome: PolicyOutcome) -> str:
    count = len(outcome.violations)
    return outcome.result if not count else f"{outcome.result} ({count} violation{'s' * (count != 1)})"


def _inline(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def _fit(text: str, room: int) -> tuple[str, int]:
    """Keep the text whole if it fits, else its first lines and a note; return what is left of the room."""
    if len(text) <= room:
        return text, room - len(text)
    lines, kept, size = text.splitlines(), [], 0
    for line in lines:
        if size + len(line) + 1 > max(room - 200, 0):
            break
        kept.append(line)
        size += len(line) + 1
    note = f"… {len(lines) - len(kept)} more lines trimmed to fit GitHub's comment limit; the full output is in " \
           "the workflow run's log."
    fence = "```" if text.startswith("```") and not "\n".join(kept).endswith("```") else ""
    trimmed = "\n".join(kept) + (f"\n{fence}" if fence else "") + f"\n{note}"
    return trimmed, max(room - len(trimmed), 0)


def _secret_free(text: str, offline: OfflineResult) -> str:
    return mask(text, offline.plan) if offline.plan is not None else text
