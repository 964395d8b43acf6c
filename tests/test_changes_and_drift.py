"""Which environments a change touches, and the drift report."""

import json
from pathlib import Path

import pytest
from git_repo import GitRepo

from gitops.cli import changes as changes_cli
from gitops.pulumi.drift import drift_report
from gitops.pulumi.pulumi_cli import CliRun, change_summary
from gitops.stacks import changes

KNOWN = ["dev", "prod", "staging"]


@pytest.mark.parametrize(("paths", "expected"), [
    (["environments/dev/Pulumi.dev.yaml"], ["dev"]),
    (["environments/prod/policy.json", "environments/dev/smoke.json"], ["dev", "prod"]),
    (["program/ml_edge/edge.py"], ["dev", "staging", "prod"]),
    (["policies/guardrails/cloudfront_ttl_limits.py"], ["dev", "staging", "prod"]),
    (["requirements.txt"], ["dev", "staging", "prod"]),
    (["requirements-deploy.lock"], ["dev", "staging", "prod"]),
    (["gitops/pulumi/pulumi_cli.py"], ["dev", "staging", "prod"]),
    (["Makefile"], ["dev", "staging", "prod"]),
    ([".github/actions/setup/action.yml"], ["dev", "staging", "prod"]),
    ([".github/workflows/deploy-environment.yml"], ["dev", "staging", "prod"]),
    (["README.md", "docs/architecture.md"], []),
    ([".github/workflows/smoke.yml", "tests/test_x.py", "smoke/test_edge.py", "tools/bootstrap.sh"], []),
    (["environments/qa/Pulumi.qa.yaml"], ["qa"]),
    (["environments/README.md"], []),
    ([], []),
])
def test_touched_environments(paths, expected):
    assert changes.touched_environments(paths, KNOWN) == expected


def test_a_new_branch_or_a_manual_run_means_every_environment(tmp_path, monkeypatch, capsys):
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert changes_cli.main(["--base", changes.NO_COMMIT]) == 0
    assert json.loads(capsys.readouterr().out) == ["dev", "staging", "prod"]
    assert output.read_text() == ('environments=["dev", "staging", "prod"]\nany=true\n'
                                  'cloud-environments=["dev", "staging"]\n')  # never prod: see CLOUD_PREVIEW_…


def test_the_diff_comes_from_git(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(changes, "changed_paths", lambda base, head: ["README.md"])
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    changes_cli.main(["--base", "abc", "--head", "def"])
    assert (tmp_path / "out").read_text() == "environments=[]\nany=false\ncloud-environments=[]\n"


def test_changed_paths_reads_git(tmp_path):
    assert isinstance(changes.changed_paths("HEAD", "HEAD"), list)


UNUSUAL_NAMES = ["environments/prod/notes\nwith a newline.txt", 'environments/staging/"quoted".json',
                 "environments/dev/réglages ü.yaml", "program/ml_edge/tab\there.py", "docs/naïve.md"]


@pytest.mark.parametrize("name", UNUSUAL_NAMES)
def test_a_file_name_with_unusual_characters_is_read_as_it_is(tmp_path, name):
    """Without -z, git quotes such names ("environments/prod/notes\nwith…", octal escapes for non-ASCII): the
    prefix rules would skip them and the environment would not be deployed."""
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("base", {"README.md": "x"})
    head = repo.commit("unusual", {name: "x"})
    assert changes.changed_paths(base, head, repo.path) == [name]
    assert changes.changed_since(base, head, repo.path) == [name]


def test_unusual_names_touch_their_environments(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("base", {"README.md": "x"})
    head = repo.commit("unusual", {name: "x" for name in UNUSUAL_NAMES if not name.startswith("program/")})
    assert changes.touched_environments(changes.changed_since(base, head, repo.path), KNOWN) == [
        "dev", "staging", "prod"]


def test_a_rename_touches_both_sides(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("base", {"environments/prod/extra.json": "{}"})
    head = repo.commit("move", {"environments/prod/extra.json": None, "environments/staging/extra.json": "{}"})
    assert changes.touched_environments(changes.changed_since(base, head, repo.path), KNOWN) == ["staging", "prod"]


def test_changed_since_compares_trees_also_with_a_commit_that_is_not_an_ancestor(tmp_path):
    """A stack deployed by hand from a branch: what runs is that branch's tree, so its difference with main counts
    (a merge-base diff, `deployed...head`, would see nothing)."""
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("base", {"README.md": "x"})
    repo.git("checkout", "--quiet", "-b", "experiment")
    branch = repo.commit("tweak prod", {"environments/prod/Pulumi.prod.yaml": "config: {}"})
    repo.git("checkout", "--quiet", "main")
    assert base == repo.git("rev-parse", "HEAD")
    assert changes.changed_since(branch, "HEAD", repo.path) == ["environments/prod/Pulumi.prod.yaml"]
    assert changes.changed_paths(branch, "HEAD", repo.path) == []


def test_an_unknown_commit_is_an_error_not_an_empty_diff(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.commit("base", {"README.md": "x"})
    with pytest.raises(changes.GitDiffFailed, match="git diff 0123456789abcdef0123456789abcdef01234567..HEAD failed"):
        changes.changed_since("0123456789abcdef0123456789abcdef01234567", "HEAD", repo.path)


DATA = Path(__file__).parent / "data"


def recorded(name: str, status: int) -> CliRun:
    output = (DATA / name).read_text()
    return CliRun(status, output, change_summary(output))


def test_drift_is_the_clis_exit_7_and_the_report_keeps_the_diff():
    text = drift_report("dev", recorded("pulumi_drift_dev.txt", 7))
    assert text.startswith("In `dev`, the cloud differs from the code (1 to update).")
    assert "~ throttlingRateLimit: 50 => 10" in text
    assert "error: no changes were expected for preview but changes were proposed" in text
    assert drift_report("dev", CliRun(0, "Resources:\n    20 unchanged\n", {})).startswith("No drift")


@pytest.mark.parametrize(("name", "status", "meaning"), [
    ("pulumi_drift_dev.txt", 1, "exit 1: an error (the program, a resource, a mandatory policy or the state backend"),
    ("pulumi_drift_dev.txt", 255, "exit 255: an internal error of the Pulumi CLI"),
    ("pulumi_error_no_stack.txt", 6, "exit 6: the stack does not exist (create it: the bootstrap, or `pulumi stack"),
    ("pulumi_error_access_token.txt", 3, "exit 3: no access to Pulumi Cloud (log in: PULUMI_ACCESS_TOKEN)"),
    ("pulumi_error_passphrase.txt", 1, "exit 1: an error"),
], ids=["a failure whose output has counts", "internal error", "no stack", "no token", "no passphrase"])
def test_any_other_exit_code_is_a_failed_check_not_drift(name, status, meaning):
    """The counts of the output are not the decision: a preview that failed halfway (a provider error after some
    diffs) still prints them."""
    text = drift_report("dev", recorded(name, status))
    assert text.startswith(f"The drift check of `dev` failed ({meaning}")
    assert "whether the cloud drifted is unknown" in text and "differs from the code" not in text
    assert (DATA / name).read_text().strip() in text
