"""What the credentialed jobs install: hashed locks that pin requirements.txt's versions and hold every package the
job's code imports, the Pulumi CLI only with its pinned SHA-256 and the plugins at the SDKs' versions; and who must
review a change to any of it (CODEOWNERS, Dependabot)."""

import ast
import hashlib
import os
import re
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
SETUP = ROOT / ".github" / "actions" / "setup"
INSTALL_PULUMI = SETUP / "install-pulumi.sh"
PULUMI_ON_PATH = SETUP / "pulumi-on-path.sh"
LOCKS = {"requirements-deploy.txt", "requirements-smoke.txt", "requirements-poster.txt"}
TEST_AND_LINT_TOOLS = {"pytest", "pytest-xdist", "ruff", "zizmor", "trustme"}
DEPLOY_RUNTIME = {"pulumi", "pulumi-aws", "pulumi-random", "pulumi-policy", "pydantic", "pyyaml", "boto3", "botocore",
                  "requests"}
PLATFORM = "@ml-edge/platform"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """name → version of a requirements file (`name==version` lines; options and comments skipped)."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if match:
            found[normalise(match.group(1))] = match.group(2)
    return found


def lock_entries(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name → (version, hashes) of a pip-compile lock: an entry and its `--hash` continuation lines."""
    entries, current = {}, None
    for line in path.read_text().splitlines():
        match = re.match(r"^(\S+?)==(\S+)", line)
        if match:
            current = normalise(match.group(1))
            entries[current] = (match.group(2), [])
        elif line.strip().startswith("--hash=") and current:
            entries[current][1].append(line.strip().removeprefix("--hash=").rstrip(" \\"))
        elif line and not line.startswith(" "):
            current = None
    return entries


def named_in(path: Path) -> set[str]:
    """The packages a requirements-<job>.in names, following its `-r` includes."""
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names |= named_in(path.parent / line.removeprefix("-r ").strip())
        elif line and not line.startswith("-"):
            names.add(normalise(line))
    return names


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_lock_entry_is_pinned_with_sha256_hashes(lock):
    entries = lock_entries(ROOT / lock)
    assert entries
    for name, (version, hashes) in entries.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!]*", version), f"{lock}: {name}=={version}"
        assert hashes, f"{lock}: {name} has no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), f"{lock}: {name}: {hashes}"
    text = (ROOT / lock).read_text()
    assert "--index-url" not in text and "--extra-index-url" not in text and "--find-links" not in text


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_lock_pins_the_versions_requirements_txt_pins(lock):
    """Compiled from requirements-<job>.in against requirements.txt: every package it names, and every package
    requirements.txt pins that the lock holds (directly or not), at requirements.txt's version."""
    required = pins(ROOT / "requirements.txt")
    entries = lock_entries(ROOT / lock)
    named = named_in(ROOT / lock.replace(".txt", ".in"))
    assert named <= set(required), f"{lock}: named but not pinned in requirements.txt: {named - set(required)}"
    for name in named | (set(entries) & set(required)):
        assert name in entries, f"{lock}: {name} is missing"
        assert entries[name][0] == required[name], f"{lock}: {name}=={entries[name][0]}, requirements.txt: " \
                                                   f"{required[name]} (run `make lock`)"


def test_the_locks_agree_with_each_other():
    locks = {lock: lock_entries(ROOT / lock) for lock in LOCKS}
    versions: dict[str, set[str]] = {}
    for entries in locks.values():
        for name, (version, _) in entries.items():
            versions.setdefault(name, set()).add(version)
    assert {name: v for name, v in versions.items() if len(v) > 1} == {}


def test_the_deploy_lock_holds_the_deploy_runtime_and_no_test_or_lint_tool():
    deploy = set(lock_entries(ROOT / "requirements-deploy.txt"))
    assert DEPLOY_RUNTIME <= deploy
    assert not deploy & TEST_AND_LINT_TOOLS
    assert not set(lock_entries(ROOT / "requirements-poster.txt")) & TEST_AND_LINT_TOOLS
    assert not set(lock_entries(ROOT / "requirements-smoke.txt")) & (TEST_AND_LINT_TOOLS - {"pytest"})


def module_file(module: str) -> Path | None:
    for base in (ROOT, ROOT / "program", ROOT / "policies", ROOT / "smoke"):
        for candidate in (base / (module.replace(".", "/") + ".py"), base / module.replace(".", "/") / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(filter(None, [*parent, node.module or ""]))
            modules.add(base)
            modules |= {f"{base}.{alias.name}" for alias in node.names if module_file(f"{base}.{alias.name}")}
    return modules


def third_party_imports(files: list[Path]) -> set[str]:
    """The top-level third-party modules the files import, following the repository's own modules."""
    seen, pending, outside = set(), list(files), set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in imported_modules(path):
            local = module_file(module)
            top = module.split(".")[0]
            if local:
                pending.append(local)
            elif top not in sys.stdlib_module_names and not module_file(top) and top:
                outside.add(top)
    return outside


def tree(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py")) if "__pycache__" not in p.parts]


def modules_run_by_jobs_installing(lock: str) -> set[str]:
    """The `python -m <module>` of every workflow job whose setup action installs this lock (the default lock when
    the job names none), read from the workflows."""
    modules = set()
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            steps = job.get("steps", [])
            setups = [s for s in steps if s.get("uses") == "./.github/actions/setup"]
            if setups and setups[0].get("with", {}).get("lock", "requirements-deploy.txt") == lock:
                modules |= {m for s in steps for m in re.findall(r"-m ([\w.]+)", s.get("run", ""))}
    return modules


# What each lock's jobs run: the modules its jobs start (from the workflows); besides, the deploy lock holds
# everything of gitops, the program and the policy pack (what `pulumi up` loads), the smoke lock the suite
# (gitops.cli.smoke runs it under pytest).
EXTRA_CODE = {"requirements-deploy.txt": ("gitops", "program", "policies"), "requirements-smoke.txt": ("smoke",),
              "requirements-poster.txt": ()}


def job_code(lock: str) -> list[Path]:
    started = [module_file(m) for m in sorted(modules_run_by_jobs_installing(lock))]
    return tree(*EXTRA_CODE[lock]) + [path for path in started if path]


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_module_a_job_starts_exists(lock):
    modules = modules_run_by_jobs_installing(lock)
    assert modules, f"no job installs {lock}"
    assert [m for m in sorted(modules) if not module_file(m)] == []


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_package_the_jobs_code_imports_is_in_its_lock(lock):
    """pip installs the lock with --no-deps and `pip check` sees only declared dependencies: a module the code
    imports but no lock entry provides would fail only once the job holds credentials."""
    providers = metadata.packages_distributions()
    entries = set(lock_entries(ROOT / lock))
    imports = third_party_imports(job_code(lock))
    assert imports, "the import walk found nothing: it is broken"
    for module in sorted(imports):
        distributions = {normalise(d) for d in providers.get(module, [])}
        assert distributions & entries, f"{lock}: `import {module}` ({distributions or 'unknown'}) is not in the lock"


def test_make_lock_compiles_every_lock_with_hashes_from_pypi():
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^LOCKS\s*:=\s*(.+)$", makefile, re.MULTILINE).group(1).split()
    assert set(listed) == LOCKS
    recipe = makefile[makefile.index("\nlock:"):]
    for option in ("--generate-hashes", "--allow-unsafe", "--index-url https://pypi.org/simple",
                   "--output-file $$lock $${lock%.txt}.in"):
        assert option in " ".join(recipe.replace("\\\n", " ").split()), option
    for lock in LOCKS:
        assert (ROOT / lock.replace(".txt", ".in")).is_file()
        assert "#    make lock" in (ROOT / lock).read_text()


def pinned_cli() -> tuple[str, str]:
    (line,) = [x for x in (SETUP / "pulumi-cli.sha256").read_text().splitlines() if x and not x.startswith("#")]
    sha256, archive = line.split()
    return sha256, archive


def test_the_pulumi_cli_is_pinned_by_version_and_sha256():
    sha256, archive = pinned_cli()
    assert re.fullmatch(r"[0-9a-f]{64}", sha256)
    version = re.fullmatch(r"pulumi-v(\d+)\.(\d+)\.(\d+)-linux-x64\.tar\.gz", archive)
    assert version
    sdk = pins(ROOT / "requirements.txt")["pulumi"]
    assert ".".join(version.groups()) == sdk, "the CLI that deploys is the release of the SDK the tests ran"


def fake_release(tmp_path: Path, version: str) -> tuple[Path, Path]:
    """A release folder with a pulumi-v<version>-linux-x64.tar.gz whose `pulumi` logs its arguments."""
    folder = tmp_path / "releases" / f"v{version}"
    folder.mkdir(parents=True)
    cli = tmp_path / "pulumi"
    cli.write_text('#!/usr/bin/env bash\necho "$*" >> "$PULUMI_LOG"\n')
    cli.chmod(0o755)
    archive = folder / f"pulumi-v{version}-linux-x64.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(cli, arcname="pulumi/pulumi")
    return tmp_path / "releases", archive


def install(tmp_path: Path, releases: Path, pin: str) -> subprocess.CompletedProcess:
    (tmp_path / "pin").write_text("# a comment\n" + pin)
    environment = {**os.environ, "PULUMI_RELEASES": releases.as_uri(), "PULUMI_CLI_PIN": str(tmp_path / "pin"),
                   "PULUMI_HOME": str(tmp_path / "home"), "VENV_PYTHON": sys.executable,
                   "PULUMI_LOG": str(tmp_path / "log"), "GITHUB_ENV": str(tmp_path / "github_env"),
                   "GITHUB_PATH": str(tmp_path / "github_path")}
    return subprocess.run(["bash", str(INSTALL_PULUMI)], env=environment, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def test_the_cli_with_the_pinned_sha256_is_installed_then_the_sdks_plugins_at_their_exact_versions(tmp_path):
    releases, archive = fake_release(tmp_path, "3.1.2")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    result = install(tmp_path, releases, f"{digest}  {archive.name}\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "home" / "bin" / "pulumi").is_file()
    required = pins(ROOT / "requirements.txt")
    calls = (tmp_path / "log").read_text().splitlines()
    assert calls[0] == "version"
    assert sorted(calls[1:]) == [f"plugin install resource aws {required['pulumi-aws']} --exact",
                                 f"plugin install resource random {required['pulumi-random']} --exact"]
    assert "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true" in (tmp_path / "github_env").read_text()
    assert (tmp_path / "github_path").read_text().strip() == str(tmp_path / "home" / "bin")


@pytest.mark.parametrize("pin", ["0" * 64 + "  {archive}\n", "  {archive}\n",
                                 "{digest}  pulumi-v3.1.2-darwin-arm64.tar.gz\n"],
                         ids=["another sha256", "no sha256", "another archive"])
def test_an_archive_without_the_pinned_sha256_is_refused_and_nothing_is_installed(tmp_path, pin):
    releases, archive = fake_release(tmp_path, "3.1.2")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    result = install(tmp_path, releases, pin.format(archive=archive.name, digest=digest))
    assert result.returncode != 0
    assert "::error::" in result.stderr
    assert not (tmp_path / "home").exists() and not (tmp_path / "log").exists()
    assert not (tmp_path / "github_env").exists()


def image_with_its_own_pulumi(tmp_path: Path, version: str = "v3.1.2") -> dict[str, str]:
    """A PATH as on GitHub's Ubuntu image, whose /usr/local/bin has a `pulumi` of its own, and a PULUMI_HOME whose
    bin/pulumi (what install-pulumi.sh installed) prints the given version."""
    image_bin, pinned_bin = tmp_path / "usr-local-bin", tmp_path / "home" / "bin"
    for folder, printed in ((image_bin, "v3.999.0"), (pinned_bin, version)):
        folder.mkdir(parents=True)
        (folder / "pulumi").write_text(f'#!/usr/bin/env bash\n[ "$1" = version ] && echo {printed}\n')
        (folder / "pulumi").chmod(0o755)
    (tmp_path / "pin").write_text(f"# a comment\n{'0' * 64}  pulumi-v3.1.2-linux-x64.tar.gz\n")
    return {**os.environ, "PATH": f"{image_bin}:{os.environ['PATH']}", "PULUMI_HOME": str(tmp_path / "home"),
            "PULUMI_CLI_PIN": str(tmp_path / "pin")}


def check_pulumi_on_path(environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(PULUMI_ON_PATH)], env=environment, capture_output=True, text=True, timeout=30)


def test_the_image_pulumi_first_on_path_is_refused(tmp_path):
    result = check_pulumi_on_path(image_with_its_own_pulumi(tmp_path))
    image_pulumi = tmp_path / "usr-local-bin" / "pulumi"
    assert result.returncode == 1
    assert f"::error::the pulumi on PATH is {image_pulumi}, not the pinned CLI" in result.stderr


def test_after_github_path_the_pinned_cli_runs_and_prints_its_version(tmp_path):
    """GitHub prepends each GITHUB_PATH line to PATH for the later steps: what install-pulumi.sh wrote there puts
    the pinned CLI before the image's."""
    environment = image_with_its_own_pulumi(tmp_path)
    (tmp_path / "github_path").write_text(f"{tmp_path / 'home' / 'bin'}\n")  # as install-pulumi.sh writes it
    prepended = ":".join((tmp_path / "github_path").read_text().split())
    result = check_pulumi_on_path({**environment, "PATH": f"{prepended}:{environment['PATH']}"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"pulumi version: v3.1.2 ({tmp_path / 'home' / 'bin' / 'pulumi'})\n"


def test_a_pulumi_of_another_version_is_refused(tmp_path):
    environment = image_with_its_own_pulumi(tmp_path, version="v3.1.1")
    result = check_pulumi_on_path({**environment, "PATH": f"{tmp_path / 'home' / 'bin'}:{environment['PATH']}"})
    assert result.returncode == 1 and "reports v3.1.1, not the pinned v3.1.2" in result.stderr


def test_dependabot_reads_every_requirements_file_and_action():
    dependabot = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    updates = {(u["package-ecosystem"], u["directory"]) for u in dependabot["updates"]}
    assert ("pip", "/") in updates  # requirements.txt and the locks: Dependabot reads requirement files by name
    assert all(re.fullmatch(r"requirements[\w-]*\.txt", lock) for lock in LOCKS)
    assert ("github-actions", "/") in updates and ("github-actions", "/.github/actions/setup") in updates
    for action in (ROOT / ".github" / "actions").glob("*/action.yml"):
        if "uses:" in action.read_text():
            assert ("github-actions", f"/.github/actions/{action.parent.name}") in updates, action


def codeowners() -> list[tuple[re.Pattern, list[str]]]:
    """CODEOWNERS as (pattern, owners), in file order (the last match wins): gitignore-style patterns, `/` anchors
    at the root, a trailing `/` means the folder's contents, `*` stays within one path segment."""
    rules = []
    for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        anchored = pattern.startswith("/")
        body = re.escape(pattern.strip("/")).replace(r"\*", "[^/]*")
        regex = ("^" if anchored else r"^(?:.*/)?") + body + (r"/.*$" if pattern.endswith("/") else r"(?:/.*)?$")
        rules.append((re.compile(regex), owners))
    return rules


def owners_of(path: str) -> list[str]:
    matching = [owners for pattern, owners in codeowners() if pattern.match(path)]
    return matching[-1] if matching else []


def repository_files(*folders: str) -> list[str]:
    skip = {"__pycache__", "node_modules", ".venv"}
    return [str(p.relative_to(ROOT)) for folder in folders for p in sorted((ROOT / folder).rglob("*"))
            if p.is_file() and not skip & set(p.parts)]


def test_the_platform_team_owns_whatever_runs_in_a_deploy_or_decides_it():
    covered = repository_files("program", "gitops", "smoke", "tools", "policies", ".github", ".ci",
                               "environments/prod")
    covered += [str(p.relative_to(ROOT)) for p in ROOT.glob("environments/*/policy.json")]
    covered += ["Makefile", "pyproject.toml", *sorted(p.name for p in ROOT.glob("requirements*"))]
    assert len(covered) > 50 and "environments/dev/policy.json" in covered
    for path in covered:
        assert owners_of(path) == [PLATFORM], path


def test_every_other_file_has_a_default_owner_and_the_file_says_which_teams_to_replace():
    for path in ("README.md", "tests/test_workflows.py", "environments/dev/Pulumi.dev.yaml", "a/new/file.txt"):
        owners = owners_of(path)
        assert owners and all(o.startswith("@") for o in owners), path
    assert owners_of("environments/dev/Pulumi.dev.yaml") != [PLATFORM]  # the last match wins, not the first
    text = (ROOT / ".github" / "CODEOWNERS").read_text()
    assert re.search(r"^# Replace .*@ml-edge/platform", text, re.MULTILINE)
    assert "Require review from Code Owners" in text
