"""Each entry point a workflow runs imports only what the job's hashed lock installs: the comment poster (write
token, no cloud credential) loads no pulumi, pydantic or grpc; the smoke jobs load no Pulumi SDK. Checked by
importing each entry point in a fresh interpreter and mapping every third-party module it loaded to its
distribution. And gitops/'s dependency rule (gitops/__init__.py) on every module's imports, read with `ast`: nothing
imports an entry point (cli/), no entry point imports another, github/ imports nothing of planning/, policy/ or
pulumi/, each library imports only the layers below it; a module outside every layer fails too."""

import ast
import functools
import json
import re
import shutil
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


@functools.cache  # several jobs run the same entry point
def distributions_loaded_by(module: str) -> frozenset[str]:
    code = (f"import json, sys; import {module}; "
            "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    owners = packages_distributions()
    # a name no installed distribution provides is the repository's own, or made at run time (cython_runtime)
    return frozenset(normalised(d) for name in json.loads(out) if name not in sys.stdlib_module_names
                     for d in owners.get(name, []))


def test_every_workflow_entry_point_is_found():
    modules = {module for _, module, _ in entry_points_and_locks()}
    assert {"gitops.cli.post_comments", "gitops.cli.smoke", "gitops.cli.deploy", "gitops.cli.pr_preview"} <= modules


@pytest.mark.parametrize(("where", "module", "lock"), entry_points_and_locks())
def test_an_entry_point_imports_only_what_its_jobs_lock_installs(where, module, lock):
    missing = distributions_loaded_by(module) - locked(lock) - IN_EVERY_VIRTUALENV
    assert not missing, f"{where} runs {module}, which loads {sorted(missing)}: not in {lock}"


def test_the_comment_poster_loads_no_cloud_or_planning_machinery():
    assert not distributions_loaded_by("gitops.cli.post_comments") & NEVER_WITH_A_WRITE_TOKEN


# The dependency rule of gitops/ (stated in gitops/__init__.py), read from every module's imports with `ast`:
# each library package imports only the packages listed for it; cli/ imports any library and no other cli module.
GITOPS = ROOT / "gitops"
LIBRARIES = {
    "stacks": set(),
    "pulumi": {"stacks"},
    "planning": {"stacks"},
    "github": {"stacks"},
    "aws": {"pulumi", "stacks"},
    "policy": {"planning", "stacks"},
    "smoke_run": {"pulumi", "stacks"},
    "deploy": {"aws", "pulumi", "stacks"},
    "preview": {"planning", "policy", "pulumi", "github", "stacks"},
}
NEVER_FROM_THE_POSTER = {"planning", "policy", "pulumi"}  # the poster's lock installs no pulumi, pydantic or grpc


def gitops_imports(path: Path, root: Path = GITOPS) -> set[str]:
    """The gitops modules a file of `root` (a gitops/ folder) imports, as dotted names (relative imports resolved;
    `from . import x` gives the module x; a name imported from a module gives that module)."""
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "gitops"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(filter(None, [*parts[: len(parts) - node.level + 1], base]))
            if base.split(".")[0] != "gitops":
                continue
            submodules = {f"{base}.{a.name}" for a in node.names
                          if (root.parent / f"{base}.{a.name}".replace(".", "/")).with_suffix(".py").is_file()
                          or (root.parent / f"{base}.{a.name}".replace(".", "/") / "__init__.py").is_file()}
            found |= submodules or {base}
    return found


def layer(module: str) -> str:
    """gitops.<layer>.… → layer; "" for gitops itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layering_problems(root: Path = GITOPS) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        own = layer(module)
        if own not in LIBRARIES and own != "cli" and module != "gitops":
            problems.append(f"{module} is in no layer: put it in a package of gitops/__init__.py's rule")
            continue
        for imported in sorted(gitops_imports(path, root)):
            other = layer(imported)
            if other == own and own != "cli":
                continue
            if other == "cli":
                where = "another cli module" if own == "cli" else "an entry point"
                problems.append(f"{module} imports {imported}: {where} (nothing imports cli/)")
            elif own == "github" and other in NEVER_FROM_THE_POSTER:
                problems.append(f"{module} imports {imported}: github/ runs in the poster's job, without "
                                f"pulumi, pydantic or grpc")
            elif own in LIBRARIES and other not in LIBRARIES[own]:
                problems.append(f"{module} imports {imported}: {own}/ may import only "
                                f"{', '.join(sorted(LIBRARIES[own])) or 'nothing else of gitops'}")
    return problems


def test_every_gitops_module_keeps_the_dependency_rule():
    assert layering_problems() == []


def test_the_layers_are_those_the_package_docstring_states():
    stated = (GITOPS / "__init__.py").read_text(encoding="utf-8")
    packages = {p.name for p in GITOPS.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(LIBRARIES) | {"cli"}
    assert all(f"\n{name}/" in stated for name in packages)


def test_the_rule_check_sees_each_kind_of_breach(tmp_path):
    """The check itself can fail: a copy of gitops/ with one breach of each kind."""
    copy = tmp_path / "gitops"
    shutil.copytree(GITOPS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "stacks" / "environments.py").write_text("from ..cli import deploy\n", encoding="utf-8")
    (copy / "cli" / "drift.py").write_text("from . import preflight\n", encoding="utf-8")
    (copy / "github" / "poster.py").write_text("from ..pulumi.pulumi_cli import stack_name\n", encoding="utf-8")
    (copy / "pulumi" / "deployed.py").write_text("from gitops.deploy import steps\n", encoding="utf-8")
    (copy / "loose.py").write_text("", encoding="utf-8")
    problems = "\n".join(layering_problems(copy))
    assert "gitops.stacks.environments imports gitops.cli.deploy: an entry point" in problems
    assert "gitops.cli.drift imports gitops.cli.preflight: another cli module" in problems
    assert "gitops.github.poster imports gitops.pulumi.pulumi_cli: github/ runs in the poster's job" in problems
    assert "gitops.pulumi.deployed imports gitops.deploy.steps: pulumi/ may import only stacks" in problems
    assert "gitops.loose is in no layer" in problems


def readme_layout_of_gitops() -> dict[str, str]:
    """Package → the text of its entry in the README's Layout section (`  <package>/  modules…`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    block = layout[layout.index("\ngitops/"):layout.index("\ntools/")]
    entries = re.split(r"\n  (?=[a-z_]+/ )", block)[1:]
    return {entry.split("/", 1)[0]: entry.split("/", 1)[1] for entry in entries}


def test_the_readme_layout_lists_every_gitops_package_and_module():
    listed = readme_layout_of_gitops()
    packages = {p.name for p in GITOPS.iterdir() if (p / "__init__.py").is_file()}
    assert set(listed) == packages
    for package in packages:
        modules = {p.name for p in (GITOPS / package).glob("*.py") if p.name != "__init__.py"}
        assert {m for m in modules if m not in listed[package]} == set(), package
