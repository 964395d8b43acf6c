"""Which environments a change touches, and the drift report."""

import json
from pathlib import Path

import pytest

from gitops import changes
from gitops.drift import drift_report
from gitops.pulumi_cli import CliRun, change_summary

KNOWN = ["dev", "prod", "staging"]


@pytest.mark.parametrize(("paths", "expected"), [
    (["environments/dev/Pulumi.dev.yaml"], ["dev"]),
    (["environments/prod/policy.json", "environments/dev/smoke.json"], ["dev", "prod"]),
    (["program/ml_edge/edge.py"], ["dev", "staging", "prod"]),
    (["policies/guardrails/ttl_limits.py"], ["dev", "staging", "prod"]),
    (["requirements.txt"], ["dev", "staging", "prod"]),
    (["README.md", "docs/architecture.md"], []),
    ([".github/workflows/deploy.yml", "tests/test_x.py", "smoke/test_edge.py", "gitops/comment.py"], []),
    (["environments/qa/Pulumi.qa.yaml"], ["qa"]),
    (["environments/README.md"], []),
    ([], []),
])
def test_touched_environments(paths, expected):
    assert changes.touched_environments(paths, KNOWN) == expected


def test_a_new_branch_or_a_manual_run_means_every_environment(tmp_path, monkeypatch, capsys):
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert changes.main(["--base", changes.NO_COMMIT]) == 0
    assert json.loads(capsys.readouterr().out) == ["dev", "staging", "prod"]
    assert output.read_text() == 'environments=["dev", "staging", "prod"]\nany=true\n'


def test_the_diff_comes_from_git(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(changes, "changed_paths", lambda base, head: ["README.md"])
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    changes.main(["--base", "abc", "--head", "def"])
    assert (tmp_path / "out").read_text() == "environments=[]\nany=false\n"


def test_changed_paths_reads_git(tmp_path):
    assert isinstance(changes.changed_paths("HEAD", "HEAD"), list)


def test_drift_report_names_the_counts_and_keeps_the_diff():
    output = (Path(__file__).parent / "data" / "pulumi_drift_dev.txt").read_text()
    text = drift_report("dev", CliRun(255, output, change_summary(output)))
    assert text.startswith("In `dev`, the cloud differs from the code (1 to update).")
    assert "throttlingRateLimit: 50 => 10" in text
    assert drift_report("dev", CliRun(0, "Resources:\n    20 unchanged\n", {})).startswith("No drift")
