"""Tests and rules mirror the code: each guardrail is one module of policies/guardrails/ named after its rule
(cloudfront-ttl-limits → cloudfront_ttl_limits.py) and in the pack, and every rule of the pack has its module; the
tests import helpers from support modules, conftest.py holds only fixtures."""

import ast
import importlib
import pkgutil
from pathlib import Path

import guardrails

TESTS = Path(__file__).resolve().parent
SHARED = {"aws", "openapi", "rule"}  # what the rules share: type tokens and settings, the OpenAPI reader, Rule


def rule_modules(package=guardrails) -> dict[str, object]:
    """Module name → its RULE, for every module of the package that defines one."""
    modules = {info.name: importlib.import_module(f"{package.__name__}.{info.name}")
               for info in pkgutil.iter_modules(package.__path__)}
    return {name: module.RULE for name, module in modules.items() if hasattr(module, "RULE")}


def layout_problems(package=guardrails) -> list[str]:
    problems = []
    rules = rule_modules(package)
    names = {info.name for info in pkgutil.iter_modules(package.__path__)}
    problems += [f"{name}.py is neither a rule nor shared" for name in sorted(names - set(rules) - SHARED)]
    for name, rule in sorted(rules.items()):
        if name != rule.name.replace("-", "_"):
            problems.append(f"{name}.py holds the rule {rule.name}: name it {rule.name.replace('-', '_')}.py")
        if not any(policy is rule for policy in package.POLICIES):
            problems.append(f"{name}.py's rule {rule.name} is not in the pack")
    problems += [f"the pack's rule {policy.name} has no module of its own" for policy in package.POLICIES
                 if not any(policy is rule for rule in rules.values())]
    return problems


def test_every_guardrail_module_is_named_after_its_rule_and_in_the_pack():
    assert layout_problems() == []


def test_the_layout_check_sees_a_misnamed_module_a_missing_rule_and_a_rule_without_module(monkeypatch):
    from guardrails import cloudfront_ttl_limits, lambda_tracing, rule

    outsider = rule.Rule(name="made-up", description="", remediation="", config={}, resource_types=(),
                         scan=lambda resource, config: [])
    monkeypatch.setattr(guardrails, "POLICIES", [p for p in guardrails.POLICIES if p is not lambda_tracing.RULE]
                        + [outsider])
    monkeypatch.setattr(cloudfront_ttl_limits, "RULE", lambda_tracing.RULE)
    problems = layout_problems()
    assert "cloudfront_ttl_limits.py holds the rule lambda-tracing: name it lambda_tracing.py" in problems
    assert "lambda_tracing.py's rule lambda-tracing is not in the pack" in problems
    assert "the pack's rule made-up has no module of its own" in problems
    assert "the pack's rule cloudfront-ttl-limits has no module of its own" in problems


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_no_test_imports_conftest():
    assert [p.name for p in sorted(TESTS.glob("*.py")) if "conftest" in imported_modules(p)] == []


def test_conftest_holds_only_fixtures():
    tree = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    definitions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign))]
    not_fixtures = [getattr(node, "name", None) or ast.unparse(node) for node in definitions
                    if not (isinstance(node, ast.FunctionDef)
                            and any("pytest.fixture" in ast.unparse(d) for d in node.decorator_list))]
    assert not_fixtures == []


def test_the_readme_layout_names_every_module_of_the_program():
    """The README's Layout section matches the tree (gitops/ is checked by tests/test_layers.py)."""
    readme = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    program = TESTS.parent / "program" / "ml_edge"
    modules = [p.name for p in sorted(program.glob("*.py")) if p.name != "__init__.py"]
    packages = [f"{p.name}/" for p in sorted(program.iterdir()) if p.is_dir() and any(p.glob("*.py"))]
    assert [name for name in modules + packages if name not in layout] == []
