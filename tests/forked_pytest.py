"""Run a pytest session (the smoke suite) in a fork of a small, warm runner process instead of a new interpreter.

The smoke suite's tests run it dozens of times against the stand-in; a fresh interpreter pays ~0.5 s of start-up
and imports each time. One runner per test process imports pytest and requests once, then forks a child per run:
the child starts warm, with a clean module table for the suite itself, its own environment, working folder and
output file. (Forking the test process itself would copy everything it has loaded, the Pulumi SDK included.)

Protocol: one JSON job per line on the runner's stdin ({args, env, cwd, output}), one exit status per line back.
"""

import atexit
import json
import os
import subprocess
import sys
from pathlib import Path

_runner: subprocess.Popen | None = None


def run_pytest(args: list[str], env: dict[str, str], cwd: Path, output: Path) -> int:
    """pytest.main(args) in a fork of the runner; its stdout and stderr go to `output`. Returns the exit status."""
    global _runner
    if _runner is None or _runner.poll() is not None:
        _runner = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, cwd=cwd)
        atexit.register(_runner.kill)
    _runner.stdin.write(json.dumps({"args": args, "env": env, "cwd": str(cwd), "output": str(output)}) + "\n")
    _runner.stdin.flush()
    return int(_runner.stdout.readline())


def _serve() -> None:
    import pytest  # noqa: F401  (imported once, before any fork)
    import requests  # noqa: F401
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


def _child(job: dict) -> None:
    status = 70
    try:
        with open(job["output"], "w", encoding="utf-8") as out:
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            sys.stdout = sys.stderr = open(1, "w", encoding="utf-8", closefd=False, buffering=1)
            sys.stdin = open(os.devnull)
            os.environ.clear()
            os.environ.update(job["env"])
            os.chdir(job["cwd"])
            import pytest
            status = int(pytest.main(job["args"]))
            sys.stdout.flush()
    finally:
        os._exit(status)


if __name__ == "__main__":
    _serve()
