"""A stand-in `pulumi` CLI for the deploy's tests, driven by a scenario file (JSON):

  history          the recorded `pulumi stack history --json` entries, newest first (paged as the CLI does)
  history_status   exit status of `stack history` (default 0)
  outputs          the stack's outputs as `stack output --json --show-secrets` prints them
  secret_outputs   names of the outputs Pulumi holds as secrets ("[secret]" without --show-secrets)
  outputs_status   exit status of `stack output` (default 0)
  export           the document `stack export --show-secrets` prints (secrets as {<sig>: …, "plaintext": …});
                   export_status its exit status (default 0)
  preview_output   what `preview` prints; preview_status its exit status; plan what --save-plan writes
  up_output, up_status

Every call is appended to the log (one JSON line: argv and PULUMI_EXPERIMENTAL). `install` puts it on PATH, with
the run's environment ready for gitops.stacks.preflight (`ready_for_the_cloud`)."""

import json
import os
import stat
import sys
from pathlib import Path

SCENARIO = "FAKE_PULUMI_SCENARIO"
LOG = "FAKE_PULUMI_LOG"
READY = {"PULUMI_ACCESS_TOKEN": "pul-not-a-real-token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ml-edge-test",
         "AWS_REGION": "eu-west-1"}


def ready_for_the_cloud(monkeypatch, pulumi_home: Path) -> None:
    """A run that gitops.stacks.preflight lets through: state in Pulumi Cloud (whose own secrets provider needs no lines
    in the committed stack files), a token, and the GitHub environment's role and region. PULUMI_HOME points at a
    folder of the test: no pinned CLI and no login of this machine are found there."""
    pulumi_home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home))
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CREDENTIALS_PATH"):
        monkeypatch.delenv(name, raising=False)
    for name, value in READY.items():
        monkeypatch.setenv(name, value)


def _flag(args: list[str], name: str, default: str | None = None) -> str | None:
    return args[args.index(name) + 1] if name in args else default


def main(args: list[str]) -> int:
    scenario = json.loads(Path(os.environ[SCENARIO]).read_text())
    with open(os.environ[LOG], "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": args, "experimental": os.environ.get("PULUMI_EXPERIMENTAL")}) + "\n")
    if args[:2] == ["stack", "history"]:
        status = scenario.get("history_status", 0)
        if status:
            print("error: no stack named 'prod' found", file=sys.stderr)
            return status
        size, page = int(_flag(args, "--page-size", "10")), int(_flag(args, "--page", "1"))
        print(json.dumps(scenario.get("history", [])[(page - 1) * size:page * size], indent=4))
        return 0
    if args[:2] == ["stack", "output"]:
        status = scenario.get("outputs_status", 0)
        if status:
            print("error: failed to load checkpoint", file=sys.stderr)
            return status
        outputs = dict(scenario.get("outputs", {}))
        if "--show-secrets" not in args:
            outputs.update({name: "[secret]" for name in scenario.get("secret_outputs", []) if name in outputs})
        print(json.dumps(outputs, indent=2))
        return 0
    if args[:2] == ["stack", "export"]:
        if scenario.get("export_status", 0):
            print("error: failed to decrypt: AccessDeniedException", file=sys.stderr)
            return scenario["export_status"]
        print(json.dumps(scenario.get("export", {"version": 3, "deployment": {"resources": []}}), indent=4))
        return 0
    if args[0] == "preview":
        print(scenario.get("preview_output", ""))
        plan_file = _flag(args, "--save-plan")
        if plan_file and scenario.get("preview_status", 0) == 0:
            Path(plan_file).write_text(json.dumps(scenario.get("plan", {"manifest": {}, "resourcePlans": {}})))
        return scenario.get("preview_status", 0)
    if args[0] == "up":
        print(scenario.get("up_output", "Resources:\n    20 unchanged\n"))
        return scenario.get("up_status", 0)
    print(f"fake pulumi: unexpected command {args}", file=sys.stderr)
    return 2


def install(tmp_path: Path, scenario: dict, monkeypatch) -> Path:
    """Put the fake on PATH with this scenario; returns the log file (one JSON line per call)."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "pulumi"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                      f"import fake_pulumi\nsys.exit(fake_pulumi.main(sys.argv[1:]))\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    log = tmp_path / "pulumi-calls.jsonl"
    log.touch()
    monkeypatch.setenv(SCENARIO, str(tmp_path / "scenario.json"))
    monkeypatch.setenv(LOG, str(log))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    ready_for_the_cloud(monkeypatch, tmp_path / "pulumi-home")
    monkeypatch.setenv("PULUMI_EXPERIMENTAL", "")  # recorded, so that the test's end removes what the code sets
    monkeypatch.delenv("PULUMI_EXPERIMENTAL")
    monkeypatch.setenv("PULUMI_STACK_PREFIX", "")
    return log


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]
