"""The README's guardrails table says what the pack and each environment's policy.json really do."""

import re
from pathlib import Path

import pytest
from google.protobuf import empty_pb2

from gitops.policy.policy_check import read_pack_config, reconcile
from gitops.stacks.environments import environment_names, policy_config_file

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
ROW = re.compile(r"^\| `([a-z0-9-]+)` \| [^|]+ \| (\w+) \| (\w+) \| (\w+) \|", re.MULTILINE)


@pytest.fixture(scope="module")
def levels(pack) -> dict[str, dict[str, str]]:
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    by_env = {}
    for env in environment_names():
        path = policy_config_file(env)
        by_env[env] = {name: level for name, (level, _) in reconcile(info, read_pack_config(path), path).items()}
    return by_env


def test_the_readme_lists_every_policy_with_its_level_per_environment(levels):
    documented = {name: dict(zip(("dev", "staging", "prod"), row, strict=True)) for name, *row in ROW.findall(README)}
    actual = {name: {env: levels[env][name] for env in ("dev", "staging", "prod")} for name in levels["dev"]}
    assert documented == actual


def test_the_readme_documents_every_config_key():
    from ml_edge.config import EnvConfig
    provider_keys = {"region": "aws:region", "default_tags": "aws:defaultTags"}
    for name, field in EnvConfig.model_fields.items():
        if name != "environment":
            assert f"`{provider_keys.get(name, f'ml-edge:{field.alias}')}" in README, field.alias


def test_the_readme_config_reference_is_rendered_from_the_typed_config():
    """Each key's description, default and limits live in program/ml_edge/config.py; `make golden` renders the
    README's two tables from it (between markers), so the docs cannot drift from what the validation allows."""
    from ml_edge import config_docs
    assert README.count(config_docs.BEGIN) == 2
    assert config_docs.rendered(README) == README, "the config reference changed: run make golden"


def test_every_documented_config_key_says_what_it_is_for():
    from ml_edge.config import BACKENDS, EnvConfig
    from ml_edge.config_docs import _extra, _nested_model

    def undescribed(model) -> list[str]:
        missing = []
        for name, info in model.model_fields.items():
            if _extra(info).get("skip") or name == "backend":
                continue
            if _extra(info).get("flatten"):
                missing += undescribed(_nested_model(info.annotation))
            elif not info.description:
                missing.append(f"{model.__name__}.{name}")
        return missing

    documented = {}  # a model's key, as its table documents it: where it is first declared
    for model in BACKENDS.values():
        for info in model.model_fields.values():
            documented.setdefault(info.alias, info)
    assert undescribed(EnvConfig) + [alias for alias, info in documented.items()
                                     if not info.description and alias != "backend"] == []


def test_every_stack_output_is_described_and_the_readme_table_is_rendered_from_the_descriptions(plans,
                                                                                                 two_region_plan):
    from gitops.planning.plan_mocks import Secret
    from ml_edge import outputs
    planned = [*plans.values(), two_region_plan]
    exported = {name for plan in planned for name in plan.outputs}
    assert exported == set(outputs.NAMES)
    for plan in planned:
        assert {o.name for o in outputs.OUTPUTS if not o.when} <= set(plan.outputs), plan.environment
        for name in plan.outputs:
            secret = next(o.secret for o in outputs.OUTPUTS if o.name == name)
            assert isinstance(plan.outputs[name], Secret) == secret, name
    assert outputs.BEGIN in README and outputs.rendered(README) == README, "run make golden"


def test_the_readme_examples_are_the_golden_files_the_tests_render():
    examples = re.findall(r"<!-- example: (\S+) -->\n(.*?)<!-- end example -->", README, re.DOTALL)
    assert len(examples) == 2
    root = Path(__file__).resolve().parent.parent
    for path, block in examples:
        text = (root / path).read_text()
        if block.startswith("````markdown\n"):
            block = block.removeprefix("````markdown\n").removesuffix("````\n")
        assert block == text, f"README example differs from {path}"


def test_a_stack_file_keeps_its_secrets_provider_outside_config(tmp_path):
    import shutil

    from gitops.stacks.environments import ENVIRONMENTS_DIR, read_stack_config
    shutil.copytree(ENVIRONMENTS_DIR / "dev", tmp_path / "dev")
    stack = tmp_path / "dev" / "Pulumi.dev.yaml"
    stack.write_text("secretsprovider: awskms://alias/ml-edge-pulumi?region=eu-west-1\n"
                     "encryptedkey: AQICAHh0ZXN0a2V5\n" + stack.read_text())
    assert read_stack_config("dev", tmp_path).values["aws:region"] == "eu-west-1"


def test_the_bootstrap_script_parses():
    import subprocess
    root = Path(__file__).resolve().parent.parent
    assert subprocess.run(["bash", "-n", str(root / "tools" / "bootstrap.sh")]).returncode == 0


def test_every_mutant_of_make_mutants_still_applies():
    """`make mutants` breaks each promise once; its list must follow the code it breaks."""
    import importlib.util
    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("mutants", root / "tools" / "mutants.py")
    mutants = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mutants)
    assert f"{len(mutants.MUTANTS)} mutants" in README, "the README's count of mutants"
    for mutant in mutants.MUTANTS:
        assert (root / mutant.file).read_text().count(mutant.old) == 1, mutant.what
        assert (root / mutant.tests.split("::")[0]).is_file(), mutant.what


def test_every_test_the_threat_model_cites_exists():
    """The security table is only as good as its proofs: each cited test (a name, or a prefix ending in …) and
    each cited test file must exist."""
    start = README.index("### Security of the pipeline: threat model")
    table = README[start:README.index("\n\n", README.index("| --- |", start))]
    sources = "\n".join(p.read_text() for p in (Path(__file__).parent).glob("test_*.py"))
    cited = re.findall(r"`(test_[a-z0-9_]+)(…)?`", table)
    assert len(cited) >= 20
    for name, prefix in cited:
        boundary = "" if prefix else r"\b"
        assert re.search(f"def {name}{boundary}", sources), name
    for path in re.findall(r"`(tests/test_[a-z0-9_]+\.py)`", table):
        assert (Path(__file__).parent.parent / path).is_file(), path


def _section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    following = re.search(r"^#{2,3} ", README[start + len(title) + 2:], re.MULTILINE)
    return README[start:start + len(title) + 2 + (following.start() if following else len(README))]


@pytest.mark.parametrize("title", ["## First deploy: from an empty AWS account and an empty GitHub repository",
                                   "### Adding an environment"])
def test_the_setup_steps_raise_the_lambda_concurrency_quota_before_the_first_deploy(title):
    """Every environment reserves Lambda concurrency (lambda-reserved-concurrency is mandatory everywhere), and
    Lambda refuses a reservation that leaves fewer than 100 of the region's quota unreserved; a new account may
    start with a quota of 10 (Lambda developer guide, "Lambda quotas" and "Configuring reserved concurrency"). So
    on an empty account the first `pulumi up` fails at the first function unless a step checks the quota and has
    it raised first (Service Quotas, AWS Lambda "Concurrent executions", L-B99A9384)."""
    steps = _section(title)
    assert "get-account-settings" in steps and "L-B99A9384" in steps, title
