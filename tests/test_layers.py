"""Each entry point a workflow runs imports only what the job's hashed lock installs: the comment poster (write
token, no cloud credential) loads no pulumi, pydantic or grpc; the smoke jobs load no Pulumi SDK. Checked by
importing each entry point in a fresh interpreter and mapping every third-party module it loaded to its
distribution."""

import json
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
DEFAULT_LOCK = "requirements-deploy.txt"  # .github/actions/setup's default
ENTRY_POINT = re.compile(r"python -m (gitops(?:\.[a-z_]+)+)")
IN_EVERY_VIRTUALENV = {"pip", "setuptools"}  # setuptools' distutils-precedence.pth loads _distutils_hack
NEVER_WITH_A_WRITE_TOKEN = {"pulumi", "pydantic", "grpcio", "pulumi-aws", "pulumi-policy", "boto3"}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock: str) -> set[str]:
    return {normalised(m.group(1)) for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", (ROOT / lock).read_text(),
                                                        re.MULTILINE)}


def entry_points_and_locks() -> list[tuple[str, str, str]]:
    """(workflow:job, module, lock) for every `python -m gitops.…` step."""
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in (yaml.safe_load(path.read_text())["jobs"] or {}).items():
            steps = job.get("steps", [])
            lock = next((s.get("with", {}).get("lock") for s in steps
                         if s.get("uses") == "./.github/actions/setup" and s.get("with", {}).get("lock")), DEFAULT_LOCK)
            for step in steps:
                for module in ENTRY_POINT.findall(step.get("run", "")):
                    found.append((f"{path.name}:{name}", module, lock))
    return found


def distributions_loaded_by(module: str) -> set[str]:
    code = (f"import json, sys; import {module}; "
            "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    owners = packages_distributions()
    # a name no installed distribution provides is the repository's own, or made at run time (cython_runtime)
    return {normalised(d) for name in json.loads(out) if name not in sys.stdlib_module_names
            for d in owners.get(name, [])}


def test_every_workflow_entry_point_is_found():
    modules = {module for _, module, _ in entry_points_and_locks()}
    assert {"gitops.cli.post_comments", "gitops.cli.smoke", "gitops.cli.deploy", "gitops.cli.pr_preview"} <= modules


@pytest.mark.parametrize(("where", "module", "lock"), entry_points_and_locks())
def test_an_entry_point_imports_only_what_its_jobs_lock_installs(where, module, lock):
    missing = distributions_loaded_by(module) - locked(lock) - IN_EVERY_VIRTUALENV
    assert not missing, f"{where} runs {module}, which loads {sorted(missing)}: not in {lock}"


def test_the_comment_poster_loads_no_cloud_or_planning_machinery():
    assert not distributions_loaded_by("gitops.cli.post_comments") & NEVER_WITH_A_WRITE_TOKEN
