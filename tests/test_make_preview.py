"""`make preview` itself exits 0, 1 or 2 like the preview (GNU make would otherwise turn 1 into 2)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gitops.stacks.environments import ENVIRONMENTS_DIR

ROOT = Path(__file__).resolve().parent.parent


def make_preview(environments: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "preview", "ENV=dev", f"PREVIEW_ARGS=--environments-dir={environments}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("policy", "stack_edit", "status"), [
    (None, None, 0),
    ({"cloudfront-ttl-limits": {"maxTtl": 30}}, None, 1),
    (None, ("backend: reference", "backend: lambda"), 2),
], ids=["passes", "blocked by a guardrail", "invalid config"])
def test_make_preview_exit_status(tmp_path, policy, stack_edit, status):
    shutil.copytree(ENVIRONMENTS_DIR / "dev", tmp_path / "dev")
    if policy:
        (tmp_path / "dev" / "policy.json").write_text(json.dumps(policy))
    if stack_edit:
        stack = tmp_path / "dev" / "Pulumi.dev.yaml"
        stack.write_text(stack.read_text().replace(*stack_edit))
    result = make_preview(tmp_path)
    assert result.returncode == status, result.stderr[-2000:]
