"""Keep one issue per environment and kind of trouble: a failing scheduled smoke run, or drift.

A failure opens the issue (or adds the new failure to it); a later success closes it. A cancelled or skipped
check (GitHub's step outcomes) proves nothing either way: it neither opens nor closes an issue, and says so.
"""

from pathlib import Path

from .github_api import GitHub

TITLES = {"smoke": "Edge smoke failing: {env}", "drift": "Drift between code and cloud: {env}"}
LABELS = {"smoke": "ml-edge:smoke", "drift": "ml-edge:drift"}
DETAIL_LIMIT = 60_000
OUTCOMES = ("success", "failure", "cancelled", "skipped")  # a step's outcome in GitHub Actions


def report(github: GitHub, kind: str, env: str, failed: bool, details: str, run_url: str) -> str:
    title, label = TITLES[kind].format(env=env), LABELS[kind]
    link = f" ([run]({run_url}))" if run_url else ""
    if failed:
        body = f"**{title}**{link}\n\n{details.strip()[:DETAIL_LIMIT] or '(no details captured)'}\n"
        return github.report_failure(title, label, body)
    return github.report_recovery(title, label, f"Passed again{link}; closing.")


def track(repo: str, kind: str, env: str, outcome: str, details: Path | None, run_url: str) -> str:
    """Open, add to or close the issue for a check's outcome; what was done, to print."""
    if outcome not in ("success", "failure"):
        return f"the {kind} check of {env} was {outcome}: no issue opened or closed"
    text = details.read_text(encoding="utf-8") if details and details.is_file() else ""
    return report(GitHub(repo), kind, env, outcome == "failure", text, run_url)
