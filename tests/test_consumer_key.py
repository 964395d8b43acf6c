"""`make consumer-key`: one consumer's key from the stack and API Gateway, printed alone, never in CI."""

import os
import stat
from pathlib import Path

import pytest
from test_smoke_run import fake_pulumi

from gitops.cli import consumer_key

KEY = "k3y-0f-acme-web-abcdefghijklmnopqrstuvwxyz"


def fake_aws(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "aws"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/aws-args\necho {KEY}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def tools(tmp_path, monkeypatch):
    bin_dir = fake_pulumi(tmp_path, {"consumerKeyIds": {"acme-web": "a1b2c3d4e5", "smoke": "f6g7h8i9j0"}})
    fake_aws(tmp_path)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def test_the_key_alone_goes_to_stdout(tools, capsys):
    assert consumer_key.main(["--env", "prod", "--consumer", "acme-web"]) == 0
    assert capsys.readouterr().out == f"{KEY}\n"
    assert (tools / "aws-args").read_text().split() == [
        "apigateway", "get-api-key", "--api-key", "a1b2c3d4e5", "--include-value", "--query", "value", "--output",
        "text", "--region", "us-east-1"]


def test_an_unknown_consumer_is_named_with_the_known_ones(tools, capsys):
    assert consumer_key.main(["--env", "prod", "--consumer", "acme"]) == 2
    assert "no consumer 'acme' in prod; consumers: acme-web, smoke" in capsys.readouterr().err


@pytest.mark.parametrize("variable", ["CI", "GITHUB_ACTIONS"])
def test_it_refuses_to_run_in_ci(tools, monkeypatch, capsys, variable):
    monkeypatch.setenv(variable, "true")
    assert consumer_key.main(["--env", "prod", "--consumer", "acme-web"]) == 2
    captured = capsys.readouterr()
    assert KEY not in captured.out + captured.err and "refusing to print a consumer key in CI" in captured.err
