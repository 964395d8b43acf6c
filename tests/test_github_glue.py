"""What the workflows call on GitHub: one comment per environment kept up to date, fork-safe posting, and one
issue per environment for a failing smoke run or drift."""

import json

import pytest
from fake_github import FakeGitHub

from gitops.comment import marker
from gitops.github_api import GitHub
from gitops.post_comments import Refused, post, validated
from gitops.track_issue import report

SHA = "3f2c9a1b7d4e5f60718293a4b5c6d7e8f9012345"


@pytest.fixture
def fake():
    return FakeGitHub(pulls={7: SHA})


@pytest.fixture
def github(fake):
    return GitHub("acme/ml-edge", token="t", api="https://api.github.test", session=fake.session())


def test_the_comment_is_created_once_then_updated_in_place(github, fake):
    assert github.upsert_comment(7, marker("dev"), f"{marker('dev')}\nfirst") == "created"
    assert github.upsert_comment(7, marker("prod"), f"{marker('prod')}\nprod") == "created"
    assert github.upsert_comment(7, marker("dev"), f"{marker('dev')}\nsecond") == "updated"
    assert [c["body"].splitlines()[-1] for c in fake.comments[7]] == ["second", "prod"]


def test_a_humans_comment_quoting_the_marker_is_left_alone(github, fake):
    fake.comments[7] = [{"id": 1, "body": f"look: {marker('dev')}", "user": {"login": "alice"}}]
    assert github.upsert_comment(7, marker("dev"), f"{marker('dev')}\nbot") == "created"
    assert fake.comments[7][0]["body"] == f"look: {marker('dev')}"


def test_the_marker_is_found_beyond_the_first_page(github, fake):
    fake.comments[7] = [{"id": i, "body": "chatter", "user": {"login": "bob"}} for i in range(150)]
    github.upsert_comment(7, marker("dev"), f"{marker('dev')}\nv1")
    assert github.upsert_comment(7, marker("dev"), f"{marker('dev')}\nv2") == "updated"
    assert len(fake.comments[7]) == 151


def write_artifact(folder, env="dev", pr=7, commit=SHA, body=None):
    folder.mkdir(exist_ok=True)
    (folder / f"{env}.json").write_text(json.dumps({"environment": env, "pull_request": pr, "commit": commit}))
    (folder / f"{env}.md").write_text(body if body is not None else f"{marker(env)}\n## ✅ `{env}`: ready\n")


def test_validated_artifacts_are_posted(tmp_path, github, fake):
    write_artifact(tmp_path / "a", "dev")
    write_artifact(tmp_path / "a", "prod")
    comments = validated(tmp_path / "a", SHA, ["dev", "staging", "prod"])
    assert post(github, comments, SHA) == ["#7 dev: created", "#7 prod: created"]


@pytest.mark.parametrize(("change", "problem"), [
    (dict(env="prod;rm"), "'prod;rm' is not an environment name"),
    (dict(env="Prod Env"), "'Prod Env' is not an environment name"),
    (dict(pr="7; rm -rf /"), "is not a positive integer"),
    (dict(commit="0" * 40), "rendered for commit"),
    (dict(body="x" * 70_000), "over GitHub's 65536"),
])
def test_a_tampered_artifact_is_refused(tmp_path, change, problem):
    write_artifact(tmp_path, **change)
    with pytest.raises(Refused, match=problem):
        validated(tmp_path, SHA, ["dev", "staging", "prod"])


def test_a_pull_request_that_moved_on_is_not_commented(tmp_path, github, fake):
    fake.pulls[7] = "9" * 40
    write_artifact(tmp_path)
    with pytest.raises(Refused, match="not at the previewed commit"):
        post(github, validated(tmp_path, SHA, ["dev"]), SHA)
    assert not fake.comments


def test_a_spoofed_marker_cannot_hijack_another_environments_comment(tmp_path):
    write_artifact(tmp_path, "dev", body=f"{marker('prod')}\nI am prod now")
    ((_, env, body),) = validated(tmp_path, SHA, ["dev", "prod"])
    assert body.startswith(marker("dev")) and marker("prod") not in body


def test_a_failing_smoke_run_opens_one_issue_then_adds_to_it_and_a_success_closes_it(github, fake):
    assert report(github, "smoke", "prod", True, "| check | result |", "https://run/1") == "opened #1"
    assert report(github, "smoke", "prod", True, "| check | result |", "https://run/2") == "updated #1"
    assert report(github, "smoke", "dev", True, "table", "") == "opened #2"
    assert [i["title"] for i in fake.issues] == ["Edge smoke failing: prod", "Edge smoke failing: dev"]
    assert report(github, "smoke", "prod", False, "", "https://run/3") == "closed #1"
    assert fake.issues[0]["state"] == "closed" and fake.issues[1]["state"] == "open"
    assert report(github, "smoke", "prod", False, "", "") == "nothing open"


def test_drift_has_its_own_issue(github, fake):
    assert report(github, "drift", "dev", True, "```diff\n~ 1 to update\n```", "") == "opened #1"
    assert fake.issues[0]["labels"] == ["ml-edge:drift"]
    assert fake.issues[0]["title"] == "Drift between code and cloud: dev"


def test_a_pull_request_that_adds_an_environment_gets_its_comment(tmp_path):
    write_artifact(tmp_path, "qa")
    ((number, env, _),) = validated(tmp_path, SHA, ["dev", "staging", "prod"])
    assert (number, env) == (7, "qa")


@pytest.mark.parametrize("outcome", ["cancelled", "skipped"])
def test_a_cancelled_or_skipped_check_neither_opens_nor_closes_an_issue(outcome, monkeypatch, capsys):
    from gitops import track_issue
    monkeypatch.setattr(track_issue, "GitHub", lambda repo: pytest.fail("GitHub must not be called"))
    assert track_issue.main(["--kind", "smoke", "--env", "prod", "--outcome", outcome]) == 0
    assert capsys.readouterr().out == f"the smoke check of prod was {outcome}: no issue opened or closed\n"
