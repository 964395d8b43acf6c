"""The files GitHub Actions gives a step (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, …): appended to when the variable is
set, ignored outside a workflow."""

import os


def append(variable: str, text: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
