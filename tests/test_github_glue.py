"""What the workflows call on GitHub: one comment per environment kept up to date, fork-safe posting, and one
issue per environment for a failing smoke run or drift."""

import json
import re
from pathlib import Path

import pytest
from fake_github import FakeGitHub

from gitops.cli import post_comments
from gitops.github import poster
from gitops.github.comment_marker import ready_heading
from gitops.github.github_api import GitHub
from gitops.github.issues import report
from gitops.github.poster import MAX_COMMENT_BYTES, MAX_FOLDERS, Refused, TriggeringRun, post, validated
from gitops.preview.comment import marker

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


RUN = TriggeringRun(id=99, head_sha=SHA, head_branch="feature", head_repository="acme/ml-edge",
                    repository="acme/ml-edge")
FORK_RUN = TriggeringRun(id=99, head_sha=SHA, head_branch="main", head_repository="mallory/ml-edge",
                         repository="acme/ml-edge")


def write_artifact(artifacts, env="dev", pr=7, commit=SHA, body=None, kind="offline", cloud=None):
    folder = artifacts / f"comment-{kind}-{env}"
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"environment": env, "pull_request": pr, "commit": commit,
            "cloud": kind == "cloud" if cloud is None else cloud, "status": "passed"}
    (folder / f"{env}.json").write_text(json.dumps(meta))
    (folder / f"{env}.md").write_text(body if body is not None else f"{marker(env)}\n## ✅ `{env}`: ready\n")
    return folder


def only_body(artifacts, run=RUN) -> str:
    (comment,) = validated(artifacts, run)
    return comment.body


def test_validated_artifacts_are_posted(tmp_path, github, fake):
    write_artifact(tmp_path, "dev")
    write_artifact(tmp_path, "prod")
    assert post(github, validated(tmp_path, RUN), RUN) == ["#7 dev: created", "#7 prod: created"]
    assert fake.comments[7][0]["body"] == f"{marker('dev')}\n## ✅ `dev`: ready\n"


def test_a_cloud_preview_wins_over_the_offline_one(tmp_path):
    write_artifact(tmp_path, "dev", body="offline")
    write_artifact(tmp_path, "dev", body="the cloud diff", kind="cloud")
    assert only_body(tmp_path).endswith("the cloud diff\n")


@pytest.mark.parametrize(("change", "problem"), [
    (dict(pr="7; rm -rf /"), "is not a positive integer"),
    (dict(pr=True), "is not a positive integer"),
    (dict(commit="0" * 40), "rendered for commit"),
    (dict(body="x" * 70_000), "over GitHub's 65536"),
])
def test_a_tampered_artifact_is_refused(tmp_path, change, problem):
    write_artifact(tmp_path, **change)
    with pytest.raises(Refused, match=problem):
        validated(tmp_path, RUN)


@pytest.mark.parametrize("folder", ["comment-offline-prod;rm", "comment-offline-Prod Env", "comment-other-dev",
                                    "notes"])
def test_a_folder_that_is_not_a_comment_folder_is_refused(tmp_path, folder):
    (tmp_path / folder).mkdir()
    with pytest.raises(Refused, match="is not a comment folder"):
        validated(tmp_path, RUN)


def test_metadata_for_another_environment_is_refused(tmp_path):
    folder = write_artifact(tmp_path, "dev")
    (folder / "dev.json").write_text(json.dumps({"environment": "prod", "pull_request": 7, "commit": SHA}))
    with pytest.raises(Refused, match="not for the environment 'dev'"):
        validated(tmp_path, RUN)


def test_a_nested_marker_cannot_survive(tmp_path):
    """A single-pass strip of markers turned this into prod's marker; every `<!--` is escaped instead."""
    write_artifact(tmp_path, "dev", body="<!-- ml-edge-<!-- ml-edge-preview env=x -->preview env=prod -->\nhi")
    body = only_body(tmp_path)
    assert body.count("<!--") == 1 and body.startswith(f"{marker('dev')}\n")
    assert marker("prod") not in body and "env=prod" in body  # shown as text, hiding nothing


def test_a_spoofed_marker_cannot_hijack_another_environments_comment(tmp_path):
    write_artifact(tmp_path, "dev", body=f"{marker('prod')}\nI am prod now")
    body = only_body(tmp_path)
    assert body.startswith(marker("dev")) and marker("prod") not in body


def test_a_comment_pings_nobody(tmp_path, github, fake):
    write_artifact(tmp_path, "dev", body=f"{marker('dev')}\ncc @alice, @acme/platform-team and mail@example.com")
    post(github, validated(tmp_path, RUN), RUN)
    posted = fake.comments[7][0]["body"]
    assert re.findall(r"@\w", posted) == []
    assert "cc @\u200balice, @\u200bacme/platform-team" in posted  # still reads the same


def test_a_fork_run_cannot_bring_a_cloud_preview(tmp_path):
    write_artifact(tmp_path, "dev", body="**No changes:** the deployed stack already matches", kind="cloud")
    with pytest.raises(Refused, match="a pull request from a fork .mallory/ml-edge. cannot have a cloud preview"):
        validated(tmp_path, FORK_RUN)


@pytest.mark.parametrize(("kind", "cloud"), [("offline", True), ("cloud", False), ("offline", "yes")])
def test_metadata_that_lies_about_the_cloud_is_refused(tmp_path, kind, cloud):
    write_artifact(tmp_path, "dev", kind=kind, cloud=cloud)
    with pytest.raises(Refused, match="says cloud="):
        validated(tmp_path, RUN)


def test_a_fork_runs_comment_says_where_it_comes_from(tmp_path):
    write_artifact(tmp_path, "dev", body=f"{marker('dev')}\n## ✅ `dev`: ready, deployed stack unchanged")
    body = only_body(tmp_path, FORK_RUN)
    assert body.startswith(f"{marker('dev')}\n> From a fork (mallory/ml-edge, branch main): the offline preview only.")


def test_the_number_of_folders_is_capped_before_anything_is_read(tmp_path):
    for index in range(MAX_FOLDERS + 1):
        folder = tmp_path / f"comment-offline-env{index}"
        folder.mkdir()
        (folder / f"env{index}.json").write_text("{not json")  # reading it would fail otherwise
    with pytest.raises(Refused, match=f"holds more than {MAX_FOLDERS} entries"):
        validated(tmp_path, RUN)


def test_the_files_of_a_folder_are_capped(tmp_path):
    folder = write_artifact(tmp_path, "dev")
    (folder / "extra.md").write_text("more")
    with pytest.raises(Refused, match="holds more than 2 entries"):
        validated(tmp_path, RUN)


def test_an_oversized_file_is_refused_by_its_size_before_it_is_read(tmp_path):
    folder = write_artifact(tmp_path, "dev")
    with open(folder / "dev.md", "wb") as handle:
        handle.truncate(MAX_COMMENT_BYTES + 1)  # sparse: a gigabyte would cost nothing more
    # the size in the message is the file's size as listed: the refusal comes before the read
    with pytest.raises(Refused, match=f"dev.md: {MAX_COMMENT_BYTES + 1} bytes, over the {MAX_COMMENT_BYTES}"):
        validated(tmp_path, RUN)


@pytest.mark.parametrize("name", ["dev.md", "dev.json"])
def test_a_symlink_is_not_followed(tmp_path, name):
    folder = write_artifact(tmp_path / "artifacts", "dev")
    secret = tmp_path / "runner-secret"
    secret.write_text('{"token": "ghs_not-for-a-comment"}')
    (folder / name).unlink()
    (folder / name).symlink_to(secret)
    with pytest.raises(Refused, match=f"comment-offline-dev/{name} is not a regular file"):
        validated(tmp_path / "artifacts", RUN)


def test_a_symlinked_folder_is_refused(tmp_path):
    real = write_artifact(tmp_path / "elsewhere", "dev")
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "comment-offline-dev").symlink_to(real, target_is_directory=True)
    with pytest.raises(Refused, match="is not a comment folder"):
        validated(tmp_path / "artifacts", RUN)


def test_comments_for_two_pull_requests_are_refused(tmp_path):
    write_artifact(tmp_path, "dev", pr=7)
    write_artifact(tmp_path, "prod", pr=8)
    with pytest.raises(Refused, match=r"several pull requests: \[7, 8\]"):
        validated(tmp_path, RUN)


@pytest.mark.parametrize(("pull", "problem"), [
    (dict(sha=SHA, repo="mallory/ml-edge"), "its head repository is 'mallory/ml-edge', the run's was 'acme/ml-edge'"),
    (dict(sha=SHA, repo=None), "its head repository is None"),
    (dict(sha=SHA, ref="other-branch"), "its head branch is 'other-branch', the run's was 'feature'"),
    (dict(sha="9" * 40, ref="other-branch", state="closed"), "its head branch is 'other-branch'"),
], ids=["another head repository", "deleted fork", "another branch", "closed, and another branch"])
def test_a_pull_request_that_is_not_the_runs_is_not_commented(tmp_path, github, fake, pull, problem):
    fake.pulls[7] = pull
    write_artifact(tmp_path)
    with pytest.raises(Refused, match=problem):
        post(github, validated(tmp_path, RUN), RUN)
    assert not fake.comments


@pytest.mark.parametrize(("pull", "why"), [
    (dict(sha="9" * 40), "it has moved on to '999999999999' since the previewed commit '3f2c9a1b7d4e' (the "
                          "newer commit's run comments)"),
    (dict(sha=SHA, state="closed"), "it is 'closed', not open"),
], ids=["moved on", "closed"])
def test_a_stale_pull_request_is_skipped_with_a_notice_and_the_others_are_posted(tmp_path, github, fake, pull, why):
    """A newer push (or a merge) while the run was going: the old run must not overwrite the newer comments, and
    it is no reason to refuse the comments of a pull request that is still at the run's commit."""
    fake.pulls[7], fake.pulls[8] = pull, SHA
    comments = [poster.Comment(7, "dev", "stale"), poster.Comment(8, "dev", "current")]
    assert post(github, comments, RUN) == [
        f"::notice title=preview comments::pull request #7 gets no comment from run 99: {why}", "#8 dev: created"]
    assert 7 not in fake.comments and fake.comments[8][0]["body"] == "current"


def run_poster(tmp_path, fake, monkeypatch, **event_changes) -> int:
    monkeypatch.setattr(poster, "GitHub", lambda repo: GitHub(repo, token="t", api="https://api.github.test",
                                                                      session=fake.session()))
    event = workflow_run_event(tmp_path, **event_changes)
    return post_comments.main(["--dir", str(tmp_path / "artifacts"), "--event", str(event), "--repo", "acme/ml-edge"])


@pytest.mark.parametrize("artifacts", ["none downloaded", "an empty folder"])
def test_a_run_without_comment_artifacts_is_a_notice(tmp_path, fake, monkeypatch, capsys, artifacts):
    """A docs-only pull request previews no environment, so its run uploads no comment: download-artifact with a
    pattern that matches nothing leaves no folder (or an empty one)."""
    if artifacts == "an empty folder":
        (tmp_path / "artifacts").mkdir()
    assert run_poster(tmp_path, fake, monkeypatch) == 0
    assert capsys.readouterr().out == ("::notice title=preview comments::run 99 left no preview comments to post "
                                       "(nothing to preview: no environment touched, e.g. a docs-only pull request)\n")
    assert fake.calls == []


@pytest.mark.parametrize("conclusion", ["cancelled", "skipped", "stale"])
def test_a_cancelled_or_superseded_run_is_skipped_with_a_notice(tmp_path, fake, monkeypatch, capsys, conclusion):
    write_artifact(tmp_path / "artifacts", "dev")  # partial: the run did not finish
    assert run_poster(tmp_path, fake, monkeypatch, conclusion=conclusion) == 0
    assert capsys.readouterr().out == (f"::notice title=preview comments::run 99 of {SHA[:12]} was {conclusion}: "
                                       "nothing posted (a newer run of the pull request, if any, posts its comments)\n")
    assert fake.calls == [] and not fake.comments


@pytest.mark.parametrize("conclusion", ["success", "failure"])
def test_a_finished_run_is_posted_whether_or_not_a_check_failed(tmp_path, fake, monkeypatch, capsys, conclusion):
    write_artifact(tmp_path / "artifacts", "dev")
    assert run_poster(tmp_path, fake, monkeypatch, conclusion=conclusion) == 0
    assert capsys.readouterr().out == "#7 dev: created\n"


@pytest.mark.parametrize(("conclusion", "heading"), [
    ("success", "## ✅ `dev`: ready to merge"),
    ("failure", "## ❌ `dev`: not ready: this preview passed, but another check of the pull request failed (run 99)"),
    ("timed_out", "## ❌ `dev`: not ready: this preview passed, but another check of the pull request failed (run 99)"),
])
def test_a_comment_never_says_ready_to_merge_while_a_check_is_red(tmp_path, fake, monkeypatch, conclusion, heading):
    """The preview job renders its comment before make test (or a Dependabot run's other jobs) end: the poster,
    which knows how the run ended, withdraws "ready to merge" from a failed run's comments."""
    write_artifact(tmp_path / "artifacts", "dev", body=f"{marker('dev')}\n{ready_heading('dev')}\n\nall good\n")
    assert run_poster(tmp_path, fake, monkeypatch, conclusion=conclusion) == 0
    assert fake.comments[7][0]["body"].splitlines()[1] == heading


def test_a_fork_pull_request_is_cross_checked_with_the_fork(tmp_path, github, fake):
    fake.pulls[7] = {"sha": SHA, "repo": "mallory/ml-edge", "ref": "main"}
    write_artifact(tmp_path)
    assert post(github, validated(tmp_path, FORK_RUN), FORK_RUN) == ["#7 dev: created"]


def workflow_run_event(tmp_path, **changes) -> Path:
    run = {"id": 99, "event": "pull_request", "head_sha": SHA, "head_branch": "feature",
           "head_repository": {"full_name": "acme/ml-edge"}, "repository": {"full_name": "acme/ml-edge"},
           "pull_requests": [], **changes}
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"action": "completed", "workflow_run": run}))
    return path


def test_the_poster_reads_the_run_from_the_event_and_posts(tmp_path, fake, monkeypatch, capsys):
    monkeypatch.setattr(poster, "GitHub", lambda repo: GitHub(repo, token="t", api="https://api.github.test",
                                                                      session=fake.session()))
    write_artifact(tmp_path / "artifacts", "dev")
    event = workflow_run_event(tmp_path)
    assert post_comments.main(["--dir", str(tmp_path / "artifacts"), "--event", str(event),
                               "--repo", "acme/ml-edge"]) == 0
    assert capsys.readouterr().out == "#7 dev: created\n"


@pytest.mark.parametrize(("changes", "problem"), [
    (dict(event="push"), "the triggering run was a 'push' run"),
    (dict(head_sha=None), "lacks the run's head commit"),
    (dict(repository={"full_name": "other/repo"}), "the run is of 'other/repo'"),
])
def test_an_unexpected_triggering_run_is_refused(tmp_path, fake, monkeypatch, capsys, changes, problem):
    monkeypatch.setattr(poster, "GitHub", lambda repo: pytest.fail("GitHub must not be called"))
    write_artifact(tmp_path / "artifacts", "dev")
    event = workflow_run_event(tmp_path, **changes)
    assert post_comments.main(["--dir", str(tmp_path / "artifacts"), "--event", str(event),
                               "--repo", "acme/ml-edge"]) == 1
    assert problem in capsys.readouterr().err


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
    (comment,) = validated(tmp_path, RUN)
    assert (comment.pull_request, comment.environment) == (7, "qa")


@pytest.mark.parametrize("outcome", ["cancelled", "skipped"])
def test_a_cancelled_or_skipped_check_neither_opens_nor_closes_an_issue(outcome, monkeypatch, capsys):
    from gitops.cli import track_issue
    from gitops.github import issues
    monkeypatch.setattr(issues, "GitHub", lambda repo: pytest.fail("GitHub must not be called"))
    assert track_issue.main(["--kind", "smoke", "--env", "prod", "--outcome", outcome]) == 0
    assert capsys.readouterr().out == f"the smoke check of prod was {outcome}: no issue opened or closed\n"


def test_a_cloud_comment_for_an_environment_without_a_cloud_preview_is_refused(tmp_path):
    """Only dev and staging have preview roles: a 'cloud' comment for prod was not made by the check (a writer's
    own workflow could write one)."""
    write_artifact(tmp_path, "prod", kind="cloud", body="## ✅ `prod`: ready to merge\n")
    with pytest.raises(Refused, match="prod has no cloud preview"):
        validated(tmp_path, RUN)
