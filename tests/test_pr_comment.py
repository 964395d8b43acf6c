"""The pull-request comment: golden files from real plans and CLI output fixtures, the size limit, the no-change
case, and secrets that never appear."""

import copy
from pathlib import Path

import pytest
from golden_files import golden
from plan_views import distribution

from gitops.planning.plan_mocks import Secret
from gitops.preview.comment import GITHUB_LIMIT, marker, render_comment
from gitops.preview.offline import BLOCKED, INVALID_CONFIG, OfflineResult, run_offline_preview
from gitops.pulumi import pulumi_cli
from gitops.pulumi.pulumi_cli import CliRun, change_summary

DATA = Path(__file__).parent / "data"
COMMIT = "3f2c9a1b7d4e5f60718293a4b5c6d7e8f9012345"
RUN_URL = "https://github.com/acme/ml-edge/actions/runs/123456789"


def cli_run(fixture: str, status: int = 0) -> CliRun:
    output = (DATA / fixture).read_text()
    return CliRun(status, output, change_summary(output))


@pytest.fixture(scope="module")
def offline_dev():
    return run_offline_preview("dev")


@pytest.fixture(scope="module")
def offline_prod():
    return run_offline_preview("prod")


def test_change_summary_is_read_from_the_cli_output():
    assert change_summary((DATA / "pulumi_preview_prod.txt").read_text()) == {"create": 1, "update": 2,
                                                                               "unchanged": 25}
    assert change_summary((DATA / "pulumi_preview_no_changes.txt").read_text()) == {"unchanged": 25}
    assert change_summary("Resources:\n    +-1 to replace\n    - 2 to delete\n    3 changes. 4 unchanged\n") == {
        "replace": 1, "delete": 2, "unchanged": 4}


def test_golden_prod_comment_with_the_cloud_diff(offline_prod):
    golden("comment_prod_cloud.md", render_comment(offline_prod, cli_run("pulumi_preview_prod.txt"), COMMIT,
                                                   RUN_URL))


def test_golden_dev_comment_of_a_fork_pull_request(offline_dev):
    golden("comment_dev_offline.md", render_comment(offline_dev, None, COMMIT, RUN_URL,
                                                    "a pull request from a fork: the offline check only"))


def test_golden_no_change_comment(plans):
    offline = run_offline_preview("staging")
    text = render_comment(offline, cli_run("pulumi_preview_no_changes.txt"), COMMIT, RUN_URL)
    assert "**No changes:** the deployed stack already matches this change (25 resources unchanged)." in text
    golden("comment_staging_no_changes.md", text)


def test_golden_blocked_comment_puts_the_violation_first(tmp_path):
    import json
    import shutil

    from gitops.stacks.environments import ENVIRONMENTS_DIR
    shutil.copytree(ENVIRONMENTS_DIR / "dev", tmp_path / "dev")
    (tmp_path / "dev" / "policy.json").write_text(json.dumps({"cloudfront-ttl-limits": {"maxTtl": 30}}))
    offline = run_offline_preview("dev", tmp_path)
    assert offline.status == BLOCKED
    text = render_comment(offline, None, COMMIT, RUN_URL, "a pull request from a fork: the offline check only")
    assert text.index("| `cloudfront-ttl-limits` | mandatory | ❌ BLOCKED (1 violation) |") < text.index("| `cloudf"
                                                                                                          "ront-waf")
    assert "**Fix:** Lower the TTLs in ml-edge:cache" in text
    golden("comment_dev_blocked.md", text)


def test_an_invalid_config_comment_names_the_key(tmp_path):
    import shutil

    from gitops.stacks.environments import ENVIRONMENTS_DIR
    shutil.copytree(ENVIRONMENTS_DIR / "dev", tmp_path / "dev")
    stack = tmp_path / "dev" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("backend: reference", "backend: lambda"))
    offline = run_offline_preview("dev", tmp_path)
    assert offline.status == INVALID_CONFIG
    text = render_comment(offline, None, COMMIT, RUN_URL)
    assert text.startswith(f"{marker('dev')}\n## ❌ `dev`: invalid configuration")
    assert "ml-edge:models[0].backend: unknown backend 'lambda'" in text


def test_a_failed_cloud_preview_fails_the_comment(offline_dev):
    text = render_comment(offline_dev, CliRun(255, "error: failed to load checkpoint\n"), COMMIT, RUN_URL)
    assert "## ❌ `dev`: preview failed" in text and "failed to load checkpoint" in text
    assert "`pulumi preview` failed (exit 255: an internal error of the Pulumi CLI; its output is below)" in text


def test_the_comment_says_what_the_clis_exit_code_means(offline_dev):
    output = (DATA / "pulumi_error_no_stack.txt").read_text()
    text = render_comment(offline_dev, CliRun(6, output), COMMIT, RUN_URL)
    assert ("**Changes:** unknown: `pulumi preview` failed (exit 6: the stack does not exist (create it: the "
            "bootstrap, or `pulumi stack init`); its output is below).") in text
    assert "error: no stack named 'dev' found" in text


def test_a_huge_diff_is_trimmed_under_githubs_limit(offline_prod):
    lines = [f"    ~ aws:lambda/function:Function: (update) line {i} " + "x" * 80 for i in range(20_000)]
    output = "\n".join(lines) + "\nResources:\n    ~ 20000 to update\n    5 unchanged\n"
    text = render_comment(offline_prod, CliRun(0, output, change_summary(output)), COMMIT, RUN_URL)
    assert len(text) <= GITHUB_LIMIT
    assert "more lines trimmed to fit GitHub's comment limit" in text
    assert "| `cloudfront-waf-attached` | mandatory | ✅ pass |" in text  # the guardrails are never trimmed
    assert "**Changes:** 0 to create · 20000 to update · 0 to replace · 0 to delete · 5 unchanged" in text


def test_a_seeded_secret_never_appears(plans, pack):
    from gitops.policy.policy_check import evaluate
    seeded = "seeded-secret-Zr7Qm2Kx9Vb4Lp6Nt8Wc1Yd3Fh5Jg0Hs"
    plan = copy.deepcopy(plans["dev"])
    distribution(plan)["origins"][0]["customHeaders"][0]["value"] = Secret(seeded)
    from gitops.stacks.environments import policy_config_file
    offline = OfflineResult("dev", 0, plan, evaluate(plan, policy_config_file("dev"), pack))
    leaky_cli = CliRun(0, f"  ~ value: {seeded}\nResources:\n    ~ 1 to update\n", {"update": 1})
    text = render_comment(offline, leaky_cli, COMMIT, RUN_URL)
    assert seeded not in text


def test_the_comment_commands_are_the_documented_ones():
    assert pulumi_cli.preview_command("prod")[1:3] == ["preview", "--diff"]
    command = " ".join(pulumi_cli.preview_command("prod"))
    for part in ("--stack prod", "environments/prod/Pulumi.prod.yaml", "--policy-pack",
                 "environments/prod/policy.json"):
        assert part in command


STEADY_B = {"send": "b", "accept": ["b"], "generation": {"a": 1, "b": 1}}  # dev's config sends a


@pytest.fixture
def no_cloud_preview(monkeypatch, tmp_path):
    from fake_pulumi import ready_for_the_cloud

    from gitops.cli import pr_preview
    from gitops.preview import pull_request
    ready_for_the_cloud(monkeypatch, tmp_path / "pulumi-home")
    monkeypatch.setattr(pull_request, "masked_cloud_preview", lambda env: CliRun(0, "Resources:\n    25 unchanged\n",
                                                                               {"unchanged": 25}))
    return pr_preview


def test_with_cloud_access_the_rotation_order_is_checked_against_what_is_deployed(tmp_path, monkeypatch,
                                                                                   no_cloud_preview):
    from gitops.pulumi import deployed
    from gitops.stacks import rotation
    monkeypatch.setattr(deployed, "deployed_rotation", lambda stack: STEADY_B)
    monkeypatch.setattr(rotation, "config_at", lambda revision, env: pytest.fail("the base branch is not deployed"))
    assert no_cloud_preview.main(["--env", "dev", "--out", str(tmp_path), "--cloud", "--base", "abc1234def"]) == 1
    comment = (tmp_path / "dev.md").read_text()
    assert "CloudFront sends b today, but after this change the API accepts only a" in comment
    assert "Checked against what is deployed (the stack's `originSecretRotation` output)." in comment


def test_when_what_is_deployed_is_unknown_the_base_branch_is_used_and_the_comment_says_so(tmp_path, monkeypatch,
                                                                                          no_cloud_preview):
    from gitops.pulumi import deployed
    from gitops.stacks import rotation
    monkeypatch.setattr(deployed, "deployed_rotation", lambda stack: None)
    monkeypatch.setattr(rotation, "config_at", lambda revision, env: {"send": "a", "accept": ["a"]})
    assert no_cloud_preview.main(["--env", "dev", "--out", str(tmp_path), "--cloud", "--base", "abc1234def"]) == 0
    assert "Checked against the base branch (`abc1234`; what is deployed could not be read)." in \
        (tmp_path / "dev.md").read_text()


def test_offline_the_rotation_order_is_checked_against_the_base_branch_and_the_comment_says_so(tmp_path,
                                                                                               monkeypatch):
    from gitops.cli import pr_preview
    from gitops.pulumi import deployed
    from gitops.stacks import rotation
    monkeypatch.setattr(deployed, "deployed_rotation", lambda stack: pytest.fail("no credentials offline"))
    monkeypatch.setattr(rotation, "config_at", lambda revision, env: STEADY_B)
    assert pr_preview.main(["--env", "dev", "--out", str(tmp_path), "--base", "abc1234def"]) == 1
    comment = (tmp_path / "dev.md").read_text()
    assert "CloudFront sends b today" in comment
    assert "Checked against the base branch (`abc1234`; no cloud credentials to read what is deployed)." in comment
