"""Issue 18, item 6: the hourly smoke run never overlaps a deploy of its environment, and never delays or displaces
one: it skips with a notice while a deploy is under way, and a failure of a run a deploy overlapped is a notice."""

import pytest
from fake_github import FakeGitHub

from gitops.cli import deploy_under_way
from gitops.github.github_api import GitHub


def github_with(*deployments) -> GitHub:
    fake = FakeGitHub()
    fake.deployments = [{"id": i + 1, **d} for i, d in enumerate(deployments)]
    return GitHub("acme/ml-edge", token="t", api="https://api.github.test", session=fake.session())


def run(github: GitHub, tmp_path, monkeypatch, *argv) -> tuple[dict, str]:
    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert deploy_under_way.main(["--env", "prod", *argv], github=github) == 0
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return values, output.read_text()


@pytest.mark.parametrize("state", ["queued", "pending", "in_progress"])
def test_a_deploy_under_way_skips_the_smoke_run_with_a_notice(state, tmp_path, monkeypatch, capsys):
    github = github_with({"environment": "prod", "created_at": "2026-11-27T10:00:00Z", "states": ["waiting", state]},
                         {"environment": "staging", "created_at": "2026-11-27T09:00:00Z", "states": ["success"]})
    values, _ = run(github, tmp_path, monkeypatch)
    assert values["under-way"] == "true"
    assert f"::notice title=Smoke of prod skipped::a deploy of prod is {state} (deployment 1" in capsys.readouterr().out


@pytest.mark.parametrize("states", [["waiting"], ["queued", "in_progress", "success"], ["failure"], []])
def test_a_finished_deploy_or_one_waiting_for_its_reviewer_lets_the_smoke_run(states, tmp_path, monkeypatch, capsys):
    github = github_with({"environment": "prod", "created_at": "2026-11-27T10:00:00Z", "states": states},
                         {"environment": "staging", "created_at": "2026-11-27T11:00:00Z", "states": ["in_progress"]})
    values, _ = run(github, tmp_path, monkeypatch)
    assert values["under-way"] == "false" and values["started"].endswith("Z")
    assert "::notice" not in capsys.readouterr().out


def test_a_deploy_that_began_during_a_failing_run_makes_its_failure_a_notice(tmp_path, monkeypatch, capsys):
    github = github_with({"environment": "prod", "created_at": "2026-11-27T10:05:00Z", "states": ["success"]})
    values, _ = run(github, tmp_path, monkeypatch, "--since", "2026-11-27T10:00:00Z")
    assert values["under-way"] == "true"
    assert "a deploy of prod began during this smoke run" in capsys.readouterr().out
    values, _ = run(github, tmp_path, monkeypatch, "--since", "2026-11-27T10:06:00Z")
    assert values["under-way"] == "false"


def test_when_github_cannot_tell_the_smoke_runs(tmp_path, monkeypatch, capsys):
    github = GitHub("acme/ml-edge", token="t", api="https://api.github.test", session=FakeGitHub().session())
    monkeypatch.setattr(github, "deployments", lambda environment: (_ for _ in ()).throw(RuntimeError("403")))
    values, _ = run(github, tmp_path, monkeypatch)
    assert values["under-way"] == "false"
    assert "::warning title=Deploys not checked::" in capsys.readouterr().out


def test_a_deploy_created_during_a_failing_run_but_still_waiting_for_its_reviewer_excuses_nothing(
        tmp_path, monkeypatch, capsys):
    """GitHub gives an Actions deployment the status `waiting` while its environment's reviewers have not approved
    it, `queued` once they have: a prod deploy created during the smoke run and still waiting has changed nothing in
    prod, so the run's failure is a real one (module docstring: "one waiting for its reviewer changes nothing yet")."""
    github = github_with({"environment": "prod", "created_at": "2026-11-27T10:05:00Z", "states": ["waiting"]})
    values, _ = run(github, tmp_path, monkeypatch, "--since", "2026-11-27T10:00:00Z")
    assert values["under-way"] == "false"
    assert "::notice" not in capsys.readouterr().out
