"""Secrets in cloud output: every secret value of the stack (from recorded `pulumi stack export --show-secrets` and
`pulumi stack output` answers of a fake CLI) is masked in the log before the cloud runs, and replaced in the text
that becomes a pull-request comment or a drift issue; without them, nothing from the cloud is shown.

Every seeded secret of the recorded state starts with SEED; the recorded preview shows each of them as a careless
provider might: as is, JSON-escaped (and twice), in a character diff, line by line, inside a warning."""

import json
from pathlib import Path

import pytest
from fake_pulumi_cli import FakePulumi

from gitops.cli import drift, pr_preview
from gitops.pulumi import stack_secrets
from gitops.pulumi.stack_secrets import NotDecrypted, StackSecrets, export_secrets, output_secrets

DATA = Path(__file__).parent / "data"
EXPORT = (DATA / "pulumi_stack_export_dev.json").read_text()
OUTPUTS = (DATA / "pulumi_stack_output_dev.json").read_text()
SHOWN_OUTPUTS = (DATA / "pulumi_stack_output_dev_secrets.json").read_text()
LEAKY_PREVIEW = (DATA / "pulumi_preview_dev_leaky.txt").read_text()
SEEDED = {
    "origin a": "SEEDoriginA7Qm2Kx9Vb4Lp6Nt8Wc1Yd3Fh5Jg0HsRz4Tq8U",
    "origin b": "SEEDoriginB3Lp6Nt8Wc1Yd3Fh5Jg0HsRz4Tq8Ua7Qm2Kx9V",
    "smoke key": "SEEDsmokeKey5Jg0HsRz4Tq8Ua7Qm2Kx9Vb4Lp6Nt8",
    "restricted key": "SEEDrestrictedKey2Kx9Vb4Lp6Nt8Wc1Yd3Fh5",
    "backend token": 'SEED"backend\\token/9Vb4Lp6Nt8',
    "private key": ("-----BEGIN PRIVATE KEY-----\n"
                    "SEEDpemLine1MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
                    "SEEDpemLine2o4qne60TB3wolGXBqMfNxf8xWwkrZ9vQ5vJ2Y3fKrQnPz1yXkLm\n"
                    "-----END PRIVATE KEY-----\n"),
}


def recorded_stack(tmp_path, monkeypatch, export_status=0, preview_status=0) -> FakePulumi:
    monkeypatch.delenv("PULUMI_STACK_PREFIX", raising=False)
    return FakePulumi(tmp_path, export_secrets=(EXPORT, export_status), outputs=(OUTPUTS, 0),
                      outputs_secrets=(SHOWN_OUTPUTS, 0), preview=(LEAKY_PREVIEW, preview_status)
                      ).on_path(monkeypatch)


def test_every_secret_of_the_recorded_state_is_found_and_nothing_else():
    found = export_secrets(json.loads(EXPORT))
    assert set(SEEDED.values()) <= set(found)
    assert "https://models.internal" in found  # a leaf of a secret object is secret too
    for public in ("https://d111111abcdef8.cloudfront.net", "X-Origin-Verify", "internal: 10 req/s",
                   "AQICAHhQ0c2Fv3mNMm9oQ0p7eXh0c2l0ZQ==", "ml-edge-dev-sentiment"):
        assert public not in found


def test_an_export_made_without_show_secrets_is_refused():
    secret = {stack_secrets.SIG_KEY: stack_secrets.SECRET_SIG, "ciphertext": "AAABAGl2...=="}
    with pytest.raises(NotDecrypted):
        export_secrets({"deployment": {"resources": [{"outputs": {"value": secret}}]}})


def test_secret_outputs_are_the_ones_hidden_without_show_secrets():
    assert output_secrets(json.loads(OUTPUTS), json.loads(SHOWN_OUTPUTS)) == [SEEDED["smoke key"],
                                                                            SEEDED["restricted key"]]
    assert output_secrets({"certs": [{"pem": "[secret]", "slot": "a"}]},
                          {"certs": [{"pem": "a-private-pem-text", "slot": "a"}]}) == ["a-private-pem-text"]


def test_the_recorded_preview_keeps_no_secret_once_scrubbed(tmp_path, monkeypatch):
    fake = recorded_stack(tmp_path, monkeypatch)
    secrets = stack_secrets.read("dev")
    assert LEAKY_PREVIEW.count("SEED") == 10
    scrubbed = secrets.scrub(LEAKY_PREVIEW)
    assert "SEED" not in scrubbed
    # each way the recorded output shows a secret
    assert '~ searchString: "[secret]" => "[secret]"' in scrubbed  # a character diff of two values
    assert '~ description: "backend {\\"token\\": \\"[secret]\\"}" => "backend (rotated)"' in scrubbed  # twice
    assert "~ BACKEND_TOKEN: \"[secret]\" => [secret]" in scrubbed  # escaped once
    assert '- backendKey: "[secret]"' in scrubbed  # a multi-line value, escaped on one line
    assert "          - [secret]\n          + MIIEvAIBADANBgkq" in scrubbed  # ... and line by line
    assert "key [secret] is deprecated" in scrubbed
    # everything else stays
    for kept in ("~ defaultTtl: 300 => 600", '"previous" => "[secret]"', "Resources:\n    ~ 5 to update"):
        assert kept in scrubbed
    assert fake.calls == [["stack", "export", "--show-secrets", "--stack", "dev"],
                          ["stack", "output", "--json", "--stack", "dev"],
                          ["stack", "output", "--json", "--stack", "dev", "--show-secrets"]]


def test_each_secret_is_masked_in_the_log_a_multi_line_one_line_by_line(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    StackSecrets((SEEDED["private key"], "100%-sure-of-it")).mask_in_log()
    masks = capsys.readouterr().out.splitlines()
    assert all(line.startswith("::add-mask::") for line in masks)
    masked = {line.removeprefix("::add-mask::") for line in masks}
    assert {"-----BEGIN PRIVATE KEY-----", "SEEDpemLine1MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
            "SEEDpemLine2o4qne60TB3wolGXBqMfNxf8xWwkrZ9vQ5vJ2Y3fKrQnPz1yXkLm", "-----END PRIVATE KEY-----"} <= masked
    assert SEEDED["private key"].replace("\n", "\\n") in masked  # as pulumi prints it on one line
    assert "100%25-sure-of-it" in masked  # escaped: the runner turns %25 back into %


def test_outside_github_actions_nothing_is_printed(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    StackSecrets(("a-secret-value",)).mask_in_log()
    assert capsys.readouterr().out == ""


def test_overlapping_values_leave_no_piece_behind():
    # replacing one value after the other would leave "ijkl" (the rest of the second) in the text
    assert StackSecrets(("abcdefgh", "efghijkl")).scrub("xx abcdefghijkl yy") == "xx [secret] yy"


def test_strings_too_short_to_be_secrets_are_left_alone():
    secrets = StackSecrets(("true", "https", "a-real-secret-1"))
    assert secrets.scrub("enabled: true, protocol: https, key: a-real-secret-1") == \
        "enabled: true, protocol: https, key: [secret]"


def test_unreadable_secrets_are_none(tmp_path, monkeypatch):
    recorded_stack(tmp_path, monkeypatch, export_status=255)
    assert stack_secrets.read("dev") is None


def test_a_cloud_preview_comment_masks_the_log_first_and_shows_no_secret(tmp_path, monkeypatch, capsys):
    fake = recorded_stack(tmp_path, monkeypatch)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert pr_preview.main(["--env", "dev", "--out", str(tmp_path / "out"), "--cloud"]) == 0
    comment = (tmp_path / "out" / "dev.md").read_text()
    assert "**Changes:** 0 to create · 5 to update · 0 to replace · 0 to delete · 22 unchanged" in comment
    assert '~ searchString: "[secret]" => "[secret]"' in comment
    for text in (comment, (tmp_path / "summary.md").read_text()):
        assert "SEED" not in text
    log = capsys.readouterr().out
    preview_starts = log.index("$ ")
    for value in SEEDED.values():
        assert f"::add-mask::{value.splitlines()[-1]}" in log[:preview_starts]  # masked before pulumi runs
    assert "SEED" not in log[log.index("## "):]  # the printed comment
    assert ["preview", "--diff"] == fake.calls[-1][:2]


def test_without_the_stacks_secrets_the_cloud_preview_does_not_run(tmp_path, monkeypatch):
    fake = recorded_stack(tmp_path, monkeypatch, export_status=255)
    assert pr_preview.main(["--env", "dev", "--out", str(tmp_path), "--cloud"]) == 1
    comment = (tmp_path / "dev.md").read_text()
    assert "## ❌ `dev`: preview failed" in comment
    assert "`pulumi preview` did not run: the stack's secret values could not be read" in comment
    assert not any(call[0] == "preview" for call in fake.calls)


def test_a_drift_issue_shows_no_secret(tmp_path, monkeypatch, capsys):
    recorded_stack(tmp_path, monkeypatch, preview_status=7)  # changes where --expect-no-changes expected none
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert drift.main(["--env", "dev", "--details", str(tmp_path / "drift.md")]) == 1
    details = (tmp_path / "drift.md").read_text()
    assert details.startswith("In `dev`, the cloud differs from the code (5 to update).")
    assert "SEED" not in details and '"previous" => "[secret]"' in details
    log = capsys.readouterr().out
    assert log.index(f"::add-mask::{SEEDED['origin a']}") < log.index("$ ")


def test_without_the_stacks_secrets_the_drift_check_does_not_run(tmp_path, monkeypatch):
    fake = recorded_stack(tmp_path, monkeypatch, export_status=255)
    assert drift.main(["--env", "dev", "--details", str(tmp_path / "drift.md")]) == 1
    assert "the drift check did not run: the stack's secret values could not be read" in \
        (tmp_path / "drift.md").read_text()
    assert not any(call[0] == "preview" for call in fake.calls)


def test_a_long_value_is_replaced_where_pulumi_cuts_it_too():
    value = "SEEDlong" + "x7" * 100
    text = f'~ userData: "{value[:150]}..."'
    assert StackSecrets((value,)).scrub(text) == '~ userData: "[secret]..."'
