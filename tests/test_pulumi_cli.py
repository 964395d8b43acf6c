"""The CLI the glue runs and how it reads it: the pinned install wins over any other `pulumi` on PATH, every command
whose output is kept runs with --suppress-progress (and no `stack` command gets the flag it does not have), and the
drift check decides from the exit code."""

import json
import os
import stat
from pathlib import Path

import pytest
from fake_pulumi_cli import FakePulumi

from gitops.cli import drift
from gitops.pulumi import deploy_plan, pulumi_cli
from gitops.pulumi.pulumi_cli import NO_PROGRESS, change_summary, find_pulumi

DATA = Path(__file__).parent / "data"


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def image_pulumi(tmp_path, monkeypatch) -> Path:
    """The `pulumi` GitHub's Ubuntu image ships in /usr/local/bin, first on PATH."""
    found = executable(tmp_path / "usr-local-bin" / "pulumi")
    monkeypatch.setenv("PATH", f"{found.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PULUMI_HOME", raising=False)
    return found


def test_the_pinned_install_wins_over_the_one_on_path(tmp_path, monkeypatch, image_pulumi):
    pinned = executable(tmp_path / "home" / ".pulumi" / "bin" / "pulumi")  # install-pulumi.sh's default
    assert find_pulumi() == str(pinned)
    elsewhere = executable(tmp_path / "pulumi-home" / "bin" / "pulumi")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))  # install-pulumi.sh honours it too
    assert find_pulumi() == str(elsewhere)


def test_without_the_pinned_install_the_one_on_path_is_used(tmp_path, image_pulumi):
    assert find_pulumi() == str(image_pulumi)
    (tmp_path / "home" / ".pulumi" / "bin").mkdir(parents=True)
    (tmp_path / "home" / ".pulumi" / "bin" / "pulumi").write_text("not executable")
    assert find_pulumi() == str(image_pulumi)


def test_every_command_whose_output_is_kept_suppresses_the_progress_dots(tmp_path):
    """Without a terminal the CLI prints "@ previewing update...." and a dot every 20 s the engine is quiet: in a
    pull-request comment, a drift issue or the approver's summary."""
    plan = tmp_path / "plan.json"
    for command in (pulumi_cli.preview_command("dev"), pulumi_cli.up_command("dev"), pulumi_cli.drift_command("dev"),
                    deploy_plan.save_plan_command("prod", plan), deploy_plan.apply_plan_command("prod", plan)):
        assert command.count(NO_PROGRESS) == 1, command


def test_only_preview_and_up_get_the_flag(tmp_path, monkeypatch):
    """The `stack` commands have no --suppress-progress in 3.259.0 (only preview, up, refresh, destroy, import): an
    unknown flag would fail them."""
    export = (DATA / "pulumi_stack_export_dev.json").read_text()
    outputs = (DATA / "pulumi_stack_output_dev.json").read_text()
    fake = FakePulumi(tmp_path, export_secrets=(export, 0), outputs=(outputs, 0),
                      outputs_secrets=((DATA / "pulumi_stack_output_dev_secrets.json").read_text(), 0),
                      preview=("Resources:\n    20 unchanged\n", 0)).on_path(monkeypatch)
    assert drift.main(["--env", "dev", "--details", str(tmp_path / "drift.md")]) == 0
    kinds = {tuple(call[:2]) if call[0] == "stack" else (call[0],): NO_PROGRESS in call for call in fake.calls}
    assert kinds == {("stack", "export"): False, ("stack", "output"): False, ("preview",): True}


def recorded_drift(tmp_path, monkeypatch, preview: tuple[str, int], export_status: int = 0) -> FakePulumi:
    export = (DATA / "pulumi_stack_export_dev.json").read_text()
    return FakePulumi(tmp_path, export_secrets=(export if not export_status else preview[0], export_status),
                      outputs=((DATA / "pulumi_stack_output_dev.json").read_text(), 0),
                      outputs_secrets=((DATA / "pulumi_stack_output_dev_secrets.json").read_text(), 0),
                      preview=preview).on_path(monkeypatch)


@pytest.mark.parametrize(("status", "exit_status", "starts"), [
    (0, 0, "No drift in `dev`"),
    (7, 1, "In `dev`, the cloud differs from the code (1 to update)."),
    (1, 1, "The drift check of `dev` failed (exit 1: "),
    (255, 1, "The drift check of `dev` failed (exit 255: an internal error of the Pulumi CLI)"),
], ids=["no changes", "changes expected to be none", "an error after the diff", "internal error"])
def test_the_drift_check_decides_from_the_exit_code(tmp_path, monkeypatch, status, exit_status, starts):
    """The same output (one update in the diff and in the counts) is drift only when the CLI says so: exit 7."""
    recorded_drift(tmp_path, monkeypatch, ((DATA / "pulumi_drift_dev.txt").read_text(), status))
    assert drift.main(["--env", "dev", "--details", str(tmp_path / "drift.md")]) == exit_status
    assert (tmp_path / "drift.md").read_text().startswith(starts)


def test_a_stack_that_does_not_exist_is_named_not_called_drift(tmp_path, monkeypatch):
    """The first command of the check (`stack export`) already exits 6: its status is kept, the preview not run."""
    fake = recorded_drift(tmp_path, monkeypatch, ((DATA / "pulumi_error_no_stack.txt").read_text(), 6),
                          export_status=6)
    assert drift.main(["--env", "dev", "--details", str(tmp_path / "drift.md")]) == 1
    details = (tmp_path / "drift.md").read_text()
    assert details.startswith("The drift check of `dev` failed (exit 6: the stack does not exist (create it: the "
                              "bootstrap, or `pulumi stack init`))")
    assert "`pulumi stack export` exited 6: error: no stack named 'dev' found" in details
    assert not any(call[0] == "preview" for call in fake.calls)


def test_the_summary_counts_read_every_prefix_the_cli_prints():
    assert change_summary((DATA / "pulumi_preview_prod.txt").read_text()) == {"create": 1, "update": 2,
                                                                               "unchanged": 25}
    assert change_summary("Resources:\n    = 2 to import\n    - 1 to delete\n    3 changes. 4 unchanged\n\n"
                          "Policy Packs run:\n    Name  Version\n") == {"import": 2, "delete": 1, "unchanged": 4}


def test_the_exit_codes_are_pulumis():
    """pkg/cmd/pulumi/cmd/exit_codes.go of 3.259.0 (a contract: "stable once released")."""
    assert (pulumi_cli.EXPECTED_NO_CHANGES, pulumi_cli.STACK_NOT_FOUND) == (7, 6)
    assert json.dumps(sorted(pulumi_cli.EXIT_CODES)) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255]"
