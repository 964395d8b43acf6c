"""`make smoke ENV=<env>`: URLs from `pulumi stack output --json`, else from EDGE_URL / ORIGIN_URL, else a clear
error; per-environment latency budgets."""

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from fake_pulumi import READY
from standin import StandIn

from gitops.cli import smoke as smoke_cli
from gitops.pulumi import pulumi_cli
from gitops.smoke_run import run as smoke_run
from gitops.stacks.environments import ENVIRONMENTS_DIR

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_pulumi(monkeypatch):
    monkeypatch.setattr(pulumi_cli, "find_pulumi", lambda: None)
    for name in ("EDGE_URL", "ORIGIN_URL", "ORIGIN_URLS"):
        monkeypatch.delenv(name, raising=False)


def fake_pulumi(tmp_path: Path, outputs: dict, status: int = 0, secrets: dict | None = None) -> Path:
    """A `pulumi` that answers `stack output --json` (with the secrets only for --show-secrets)."""
    script = tmp_path / "bin" / "pulumi"
    script.parent.mkdir(exist_ok=True)
    shown = json.dumps({**outputs, **(secrets or {})})
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path}/args\n"
                      f"case \"$*\" in *--show-secrets*) echo '{shown}';; *) echo '{json.dumps(outputs)}';; esac\n"
                      f"exit {status}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script.parent


def test_without_pulumi_or_urls_it_says_what_to_do(no_pulumi, capsys):
    assert smoke_cli.main(["--env", "staging"]) == 2
    err = capsys.readouterr().err
    assert "no URLs to test for staging" in err
    assert "EDGE_URL=https://… ORIGIN_URL=https://… make smoke ENV=staging" in err


def test_urls_come_from_the_environment_variables(no_pulumi, monkeypatch):
    monkeypatch.setenv("EDGE_URL", "https://d1.cloudfront.net")
    monkeypatch.setenv("ORIGIN_URL", "https://a.execute-api.eu-west-1.amazonaws.com/v1")
    assert smoke_run.resolve_urls("dev", "dev") == ("https://d1.cloudfront.net",
                                                    ("https://a.execute-api.eu-west-1.amazonaws.com/v1",),
                                                    "EDGE_URL and ORIGIN_URL", {})


def test_several_regions_origins_come_from_origin_urls_which_wins_over_origin_url(no_pulumi, monkeypatch):
    monkeypatch.setenv("EDGE_URL", "https://d1.cloudfront.net")
    monkeypatch.setenv("ORIGIN_URL", "https://a.execute-api.us-east-1.amazonaws.com/v1")
    monkeypatch.setenv("ORIGIN_URLS", "us-east-1=https://a.execute-api.us-east-1.amazonaws.com/v1 "
                                      " eu-west-1=https://b.execute-api.eu-west-1.amazonaws.com/v1")
    edge, origins, source, _ = smoke_run.resolve_urls("prod", "prod")
    assert origins == ("us-east-1=https://a.execute-api.us-east-1.amazonaws.com/v1",
                       "eu-west-1=https://b.execute-api.eu-west-1.amazonaws.com/v1")
    assert source == "EDGE_URL and ORIGIN_URLS"


def test_urls_come_from_the_stack_outputs_when_pulumi_is_there(tmp_path, monkeypatch):
    bin_dir = fake_pulumi(tmp_path, {"edgeUrl": "https://api.example.com", "originUrl": "https://o.example.com/v1"})
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    edge, origins, source, _ = smoke_run.resolve_urls("prod", "acme/prod")
    assert (edge, origins, source) == ("https://api.example.com", ("https://o.example.com/v1",),
                                       "pulumi stack output of acme/prod")
    assert (tmp_path / "args").read_text().split() == ["stack", "output", "--json", "--stack", "acme/prod"]


KEY_VARIABLES = ("SMOKE_API_KEY", "SMOKE_KEY_PLAN", "SMOKE_RESTRICTED_API_KEY", "SMOKE_RESTRICTED_MODELS")


def test_the_smoke_keys_come_from_the_stack_in_the_environment_never_on_a_command_line(tmp_path):
    """Also: a stack in two regions (`originUrls`) has each region's origin checked on its own row."""
    with StandIn() as standin:
        standin.write_ca_bundle(tmp_path / "ca.pem")
        bin_dir = fake_pulumi(tmp_path, {"edgeUrl": standin.edge_url, "originUrl": standin.origin_url,
                                         "regions": list(standin.origin_urls), "originUrls": standin.origin_urls,
                                         "smokeApiKey": "[secret]", "smokeKeyPlan": "internal: 10 req/s",
                                         "smokeRestrictedApiKey": "[secret]", "smokeRestrictedModels": ["iris"]},
                              secrets={"smokeApiKey": standin.api_key, "smokeRestrictedApiKey": standin.restricted_key})
        env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "REQUESTS_CA_BUNDLE": str(tmp_path / "ca.pem"),
               "GITHUB_ACTIONS": "true", "PULUMI_HOME": str(tmp_path / "pulumi-home"), **READY}
        for name in (*KEY_VARIABLES, "EDGE_URL", "ORIGIN_URL", "ORIGIN_URLS", "GITHUB_STEP_SUMMARY",
                     "PULUMI_BACKEND_URL"):
            env.pop(name, None)
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "gitops.cli.smoke", "--env", "dev",
                                 "-p", "no:cacheprovider", "--samples=2"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "| consumer key and its plan | ✅ pass | internal: 10 req/s |" in result.stdout
    assert "| restricted key on another model → 403 | ✅ pass | sentiment (the key may call iris) |" in result.stdout
    assert "| restricted key on its own model → 200 | ✅ pass | iris |" in result.stdout
    for region in standin.origin_urls:
        assert f"| origin guard {region}: no or a wrong secret → the WAF's 403 | ✅ pass |" in result.stdout
    for key in (standin.api_key, standin.restricted_key):
        assert result.stdout.count(key) == 1  # only inside the ::add-mask:: command GitHub consumes
        assert f"::add-mask::{key}" in result.stdout
        assert key not in result.stderr
    asked = (tmp_path / "args").read_text().splitlines()
    assert sum("--show-secrets" in line for line in asked) == 1  # one look at the secrets for both keys


@pytest.fixture
def stack_with_keys(monkeypatch):
    """A stack exporting both smoke keys (Pulumi itself faked), and the suite's command and environment captured
    instead of run."""
    public = {"edgeUrl": "https://e.example.com", "originUrl": "https://o.example.com/v1",
              "smokeApiKey": "[secret]", "smokeKeyPlan": "internal: 10 req/s",
              "smokeRestrictedApiKey": "[secret]", "smokeRestrictedModels": ["iris", "sentiment"]}
    shown = {**public, "smokeApiKey": "smoke-key-value", "smokeRestrictedApiKey": "restricted-key-value"}
    monkeypatch.setattr(smoke_run, "stack_outputs", lambda stack, show_secrets=False: shown if show_secrets else public)
    runs = []
    monkeypatch.setattr(smoke_run.subprocess, "run", lambda command, **kwargs: runs.append(
        (command, kwargs["env"])) or subprocess.CompletedProcess(command, 0))
    for name in (*KEY_VARIABLES, "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    return runs


def test_the_restricted_key_and_its_models_reach_the_suite_in_its_environment(stack_with_keys, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert smoke_cli.main(["--env", "dev"]) == 0
    [(command, env)] = stack_with_keys
    assert env["SMOKE_RESTRICTED_API_KEY"] == "restricted-key-value"
    assert env["SMOKE_RESTRICTED_MODELS"] == "iris,sentiment"
    assert env["SMOKE_API_KEY"] == "smoke-key-value" and env["SMOKE_KEY_PLAN"] == "internal: 10 req/s"
    assert not any("key-value" in part for part in command)
    out, err = capsys.readouterr()
    assert out.splitlines() == ["::add-mask::smoke-key-value", "::add-mask::restricted-key-value"]
    assert "using the restricted smoke key from the stack" in err and "key-value" not in err


def test_the_stacks_models_reach_the_suite_as_the_deployed_models(stack_with_keys, monkeypatch):
    outputs = {"edgeUrl": "https://e.example.com", "originUrl": "https://o.example.com/v1",
               "models": ["iris", "churn", "sentiment"]}
    monkeypatch.setattr(smoke_run, "stack_outputs", lambda stack, show_secrets=False: outputs)
    monkeypatch.delenv("SMOKE_EXPECTED_MODELS", raising=False)
    assert smoke_cli.main(["--env", "dev"]) == 0
    monkeypatch.setenv("SMOKE_EXPECTED_MODELS", "iris")  # given in the environment: it wins
    assert smoke_cli.main(["--env", "dev"]) == 0
    [(_, from_stack), (_, given)] = stack_with_keys
    assert from_stack["SMOKE_EXPECTED_MODELS"] == "iris,churn,sentiment"
    assert given["SMOKE_EXPECTED_MODELS"] == "iris"


def test_every_regions_origin_from_the_stack_reaches_the_suite(stack_with_keys, monkeypatch, capsys):
    """`originUrls` (only with more than one region): each region's URL as its own --origin-url region=URL;
    without it (one region), `originUrl` as before."""
    regional = {"us-east-1": "https://a.execute-api.us-east-1.amazonaws.com/v1",
                "eu-west-1": "https://b.execute-api.eu-west-1.amazonaws.com/v1",
                "ap-southeast-1": "https://c.execute-api.ap-southeast-1.amazonaws.com/v1"}
    outputs = {"edgeUrl": "https://e.example.com", "originUrl": regional["us-east-1"], "originUrls": regional}
    monkeypatch.setattr(smoke_run, "stack_outputs", lambda stack, show_secrets=False: outputs)
    assert smoke_cli.main(["--env", "prod"]) == 0
    del outputs["originUrls"]
    assert smoke_cli.main(["--env", "dev"]) == 0
    [(several, _), (one, _)] = stack_with_keys
    assert [part for part in several if part.startswith("--origin-url")] == [
        f"--origin-url={region}={url}" for region, url in regional.items()]
    assert [part for part in one if part.startswith("--origin-url")] == [f"--origin-url={regional['us-east-1']}"]
    assert (f"smoke-testing prod: edge https://e.example.com, origins us-east-1={regional['us-east-1']}, "
            f"eu-west-1={regional['eu-west-1']}, ap-southeast-1={regional['ap-southeast-1']} (from pulumi stack "
            "output of ") in capsys.readouterr().err


def test_without_the_stack_no_deployed_models_are_made_up(no_pulumi, monkeypatch):
    monkeypatch.setenv("EDGE_URL", "https://e.example.com")
    monkeypatch.setenv("ORIGIN_URL", "https://o.example.com/v1")
    monkeypatch.delenv("SMOKE_EXPECTED_MODELS", raising=False)
    runs = []
    monkeypatch.setattr(smoke_run.subprocess, "run", lambda command, **kwargs: runs.append(
        kwargs["env"]) or subprocess.CompletedProcess(command, 0))
    assert smoke_cli.main(["--env", "dev"]) == 0
    assert "SMOKE_EXPECTED_MODELS" not in runs[0]


def test_keys_given_in_the_environment_win_over_the_stacks(stack_with_keys, monkeypatch, capsys):
    monkeypatch.setenv("SMOKE_RESTRICTED_API_KEY", "my-restricted-key")
    monkeypatch.setenv("SMOKE_RESTRICTED_MODELS", "churn")
    assert smoke_cli.main(["--env", "dev"]) == 0
    [(_, env)] = stack_with_keys
    assert (env["SMOKE_RESTRICTED_API_KEY"], env["SMOKE_RESTRICTED_MODELS"]) == ("my-restricted-key", "churn")
    assert env["SMOKE_API_KEY"] == "smoke-key-value"  # the other key still from the stack
    assert "::add-mask::" not in capsys.readouterr().out  # outside GitHub Actions nothing to mask


def test_without_a_restricted_key_in_the_stack_its_variables_stay_unset(stack_with_keys, monkeypatch):
    outputs = {"edgeUrl": "https://e.example.com", "originUrl": "https://o.example.com/v1",
               "smokeApiKey": "smoke-key-value"}
    monkeypatch.setattr(smoke_run, "stack_outputs", lambda stack, show_secrets=False: outputs)
    assert smoke_cli.main(["--env", "dev"]) == 0
    [(_, env)] = stack_with_keys
    assert "SMOKE_RESTRICTED_API_KEY" not in env and "SMOKE_RESTRICTED_MODELS" not in env
    assert env["SMOKE_API_KEY"] == "smoke-key-value" and env["SMOKE_KEY_PLAN"] == ""


def test_a_failing_pulumi_falls_back_to_the_environment_variables(tmp_path, monkeypatch):
    bin_dir = fake_pulumi(tmp_path, {}, status=255)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("EDGE_URL", "https://e.example.com")
    monkeypatch.setenv("ORIGIN_URL", "https://o.example.com/v1")
    assert smoke_run.resolve_urls("dev", "dev")[2] == "EDGE_URL and ORIGIN_URL"


def test_each_environment_has_latency_budgets_and_prod_is_strictest():
    budgets = {env: json.loads((ENVIRONMENTS_DIR / env / "smoke.json").read_text())
               for env in ("dev", "staging", "prod")}
    for kind in ("catalog", "predict"):
        assert budgets["prod"][kind]["p95"] <= budgets["staging"][kind]["p95"] <= budgets["dev"][kind]["p95"]
    command = smoke_run.smoke_command("prod", "https://e", "https://o", ["--junitxml=x.xml"])
    assert command[-3:-1] == [f"--budgets={ENVIRONMENTS_DIR / 'prod' / 'smoke.json'}", "--junitxml=x.xml"]


def test_the_suite_prints_short_tracebacks_whatever_it_is_asked():
    # a long traceback prints the arguments of every function in it
    command = smoke_run.smoke_command("dev", "https://e", "https://o", ["--tb=long"])
    assert command[-1] == "--tb=short"


def test_make_smoke_runs_the_suite_against_the_urls(tmp_path):
    with StandIn() as standin:
        standin.write_ca_bundle(tmp_path / "ca.pem")
        env = {**os.environ, "EDGE_URL": standin.edge_url, "ORIGIN_URL": standin.origin_url,
               "SMOKE_API_KEY": standin.api_key, "REQUESTS_CA_BUNDLE": str(tmp_path / "ca.pem"),
               "PATH": "/usr/bin:/bin"}
        for name in ("GITHUB_STEP_SUMMARY", "SMOKE_RESTRICTED_API_KEY", "SMOKE_RESTRICTED_MODELS"):
            env.pop(name, None)
        result = subprocess.run(["make", "-s", "smoke", "ENV=dev", "SMOKE_ARGS=-p no:cacheprovider --samples=3"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"smoke-testing dev: edge {standin.edge_url}" in result.stderr
    # the key's plan is reported only when known; the restricted key's two checks need that key; the deployed
    # models are not known without the stack, and 3 samples are too few to judge a latency
    assert "✅ 13 checks passed, 7 skipped" in result.stdout
    # one origin (ORIGIN_URL, as before regions): one guard row, and the region the edge reached is reported
    assert "| origin guard: no or a wrong secret → the WAF's 403 | ✅ pass |" in result.stdout
    assert "| region that served predict | ✅ pass | eu-west-1 (X-ML-Edge-Region of POST " in result.stdout


# A key with the characters that escaping changes (XML, Python repr, a Markdown table cell): each file holds it in
# another form. Its two plain runs must not appear in any file, whatever the form.
ODD_KEY = "Ab3dE6gH9jWq&\"<>|'Kl2mN5pQ8rTz"
ODD_KEY_RUNS = ("Ab3dE6gH9jWq", "Kl2mN5pQ8rTz")
LEAK_CANARY = '''"""Puts both keys in every failure report, as a test that received a key did (pytest printed it)."""
import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        keys = (os.environ["SMOKE_API_KEY"], os.environ["SMOKE_RESTRICTED_API_KEY"])
        report.longrepr = f"api_key = {keys[0]!r} restricted_api_key = {keys[1]!r}\\n{report.longrepr}"


def pytest_runtest_call(item):
    """Record every test argument whose printed form holds a key."""
    keys = (os.environ["SMOKE_API_KEY"], os.environ["SMOKE_RESTRICTED_API_KEY"])
    with open(os.environ["FUNCARG_PROBE"], "a", encoding="utf-8") as probe:
        for name, value in item.funcargs.items():
            if any(key in repr(value) or key in str(value) for key in keys):
                probe.write(f"{item.nodeid}: {name}\\n")
'''


def test_a_failing_check_leaves_no_key_in_any_file_the_suite_wrote(tmp_path):
    """The suite's files are scrubbed before smoke_run exits, even of a key a report was made to print; and no
    test of the suite receives a key as a printable argument."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "smoke_leak_canary.py").write_text(LEAK_CANARY)
    junit, results, summary, probe = (tmp_path / n for n in ("smoke.xml", "results.md", "summary.md", "probe"))
    with StandIn({"missing_hsts"}, api_key=ODD_KEY, restricted_key="restricted-" + ODD_KEY) as standin:
        standin.write_ca_bundle(tmp_path / "ca.pem")
        env = {**os.environ, "EDGE_URL": standin.edge_url, "ORIGIN_URL": standin.origin_url,
               "SMOKE_API_KEY": standin.api_key, "SMOKE_RESTRICTED_API_KEY": standin.restricted_key,
               "SMOKE_RESTRICTED_MODELS": "iris", "REQUESTS_CA_BUNDLE": str(tmp_path / "ca.pem"),
               "GITHUB_STEP_SUMMARY": str(summary), "FUNCARG_PROBE": str(probe), "HOME": str(tmp_path),
               "PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "plugins")}
        env.pop("GITHUB_ACTIONS", None)
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "gitops.cli.smoke", "--env", "dev",
                                 "-p", "no:cacheprovider", "-p", "smoke_leak_canary", "--samples=2",
                                 "--retries=1", "--retry-backoff=0.01",
                                 f"--junitxml={junit}", "--results-file", str(results)],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert probe.read_text() == ""  # every test ran, and none was handed a key
    written = {file.name: file.read_text() for file in (junit, results, summary)}
    for name, text in written.items():
        assert "Strict-Transport-Security" in text, name  # the failure is still reported...
        assert "api_key = '[secret]'" in text, name  # ...and the key in it replaced
        for run in ODD_KEY_RUNS:
            assert run not in text, f"{run} in {name}"
    assert "a key was replaced by [secret] in" in result.stderr


def test_the_files_to_scrub_are_the_ones_the_suite_writes(tmp_path):
    extra = ["--junitxml=out/smoke.xml", "--results-file", "results.md", "--junit-xml", str(tmp_path / "j.xml")]
    assert smoke_run.written_files(extra, {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}) == [
        ROOT / "out" / "smoke.xml", ROOT / "results.md", tmp_path / "j.xml", tmp_path / "summary"]
    keys = smoke_run.handed_keys(["--api-key", "key-on-the-command-line"],
                                 {"SMOKE_API_KEY": " padded-key ", "SMOKE_RESTRICTED_API_KEY": ""})
    assert keys == (" padded-key ", "key-on-the-command-line", "padded-key")
