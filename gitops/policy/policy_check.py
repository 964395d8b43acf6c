"""Evaluate the guardrails policy pack on a plan, through the analyzer gRPC protocol the Pulumi engine uses.

Like the engine: start the pack (`python __main__.py` in policies/), read its port from stdout, GetAnalyzerInfo,
reconcile the environment's policy.json with each policy's schema defaults, Configure, Analyze every resource and
AnalyzeStack the whole plan. Nothing here imports the pack: it is reached only over gRPC.
"""

import difflib
import json
import os
import select
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import jsonschema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from ..planning.plan import PROJECT, Plan
from ..planning.plan_mocks import Secret, Unknown
from ..stacks.environments import POLICIES_DIR

START_TIMEOUT_SECONDS = 30
LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
          "disabled": analyzer_pb2.DISABLED, "remediate": analyzer_pb2.REMEDIATE}
LEVEL_NAMES = {number: name for name, number in LEVELS.items()}


class PolicyConfigError(ValueError):
    """The environment's policy.json does not fit the pack's config schema."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: invalid policy pack config:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass
class PolicyOutcome:
    name: str
    description: str
    level: str
    remediation: str
    violations: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)  # URNs of resources the policy does not apply to

    @property
    def result(self) -> str:
        if self.level == "disabled":
            return "disabled"
        if not self.violations:
            return "pass"
        return "BLOCKED" if self.level == "mandatory" else "warn"


@dataclass
class PolicyReport:
    pack: str
    version: str
    config_file: Path
    outcomes: list[PolicyOutcome]

    @property
    def mandatory_violations(self) -> int:
        return sum(len(o.violations) for o in self.outcomes if o.level == "mandatory")

    @property
    def advisory_violations(self) -> int:
        return sum(len(o.violations) for o in self.outcomes if o.level == "advisory")

    @property
    def blocked(self) -> bool:
        return self.mandatory_violations > 0


class PolicyPackProcess:
    """The policy pack running as the engine runs it: a child process serving the analyzer protocol."""

    def __init__(self, policies_dir: Path = POLICIES_DIR):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # the pack writes its port without flushing
        self.process = subprocess.Popen([sys.executable, "__main__.py"], cwd=policies_dir, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._channel: grpc.Channel | None = None

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            port = self._read_port()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def _read_port(self) -> int:
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = self.process.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.close()
            errors = self.process.stderr.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"the policy pack did not start (no port on stdout): {errors or line!r}")
        return int(line)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()

    def __enter__(self) -> "PolicyPackProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_pack_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PolicyConfigError(path, ["missing: every environment has a policy.json (use {} for the defaults)"])
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise PolicyConfigError(path, [f"not valid JSON: {error}"]) from None
    if not isinstance(config, dict):
        raise PolicyConfigError(path, ["must be a JSON object: policy name → level or {enforcementLevel, …}"])
    return config


def reconcile(info: analyzer_pb2.AnalyzerInfo, given: dict[str, Any], path: Path) -> dict[str, tuple[str, dict]]:
    """The engine's ReconcilePolicyPackConfig: schema defaults, then "all", then each policy's own settings, then
    validation. Stricter than the engine where a typo would silently weaken a guardrail: unknown policy names and
    unknown settings are errors."""
    problems: list[str] = []
    schemas = {p.name: json_format.MessageToDict(p.configSchema.properties) for p in info.policies}
    result = {p.name: (LEVEL_NAMES[p.enforcementLevel],
                       {k: v["default"] for k, v in schemas[p.name].items() if "default" in v})
              for p in info.policies}
    for name, value in given.items():
        level, settings = _split(name, value, problems)
        if name == "all":
            if settings:
                problems.append(f"all: only an enforcement level can apply to all policies, got {sorted(settings)}")
            if level:
                result = {n: (level, s) for n, (_, s) in result.items()}
            continue
        if name not in result:
            problems.append(_unknown(name, list(result), "policy"))
            continue
        current_level, current = result[name]
        for key in settings:
            if key not in schemas[name]:
                problems.append(_unknown(f"{name}.{key}", list(schemas[name]), "setting", key))
        result[name] = (level or current_level, {**current, **settings})
    for name, (_, settings) in result.items():
        schema = {"type": "object", "properties": schemas[name]}
        for error in jsonschema.Draft7Validator(schema).iter_errors(settings):
            where = ".".join(str(p) for p in error.absolute_path)
            problems.append(f"{name}.{where}: {error.message}")
    if problems:
        raise PolicyConfigError(path, problems)
    return result


def _split(name: str, value: Any, problems: list[str]) -> tuple[str | None, dict]:
    if isinstance(value, str):
        settings: dict = {}
        level: Any = value
    elif isinstance(value, dict):
        settings = {k: v for k, v in value.items() if k != "enforcementLevel"}
        level = value.get("enforcementLevel")
    else:
        problems.append(f"{name}: {json.dumps(value)} is not a level or an object")
        return None, {}
    if level is not None and level not in LEVELS:
        problems.append(f"{name}: enforcement level {json.dumps(level)} is not one of {', '.join(LEVELS)}")
        level = None
    return level, settings


def _unknown(where: str, known: list[str], what: str, word: str | None = None) -> str:
    guess = difflib.get_close_matches(word or where, known, n=1)
    hint = f" (did you mean '{guess[0]}'?)" if guess else ""
    return f"{where}: unknown {what}{hint}; known: {', '.join(known) or 'none'}"


def evaluate(plan: Plan, config_file: Path, pack: PolicyPackProcess) -> PolicyReport:
    stub = pack.stub
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    config = reconcile(info, read_pack_config(config_file), config_file)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, (level, settings) in config.items():
        request.policyConfig[name].enforcementLevel = LEVELS[level]
        request.policyConfig[name].properties.update(settings)
    stub.Configure(request)
    stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=plan.environment, project=PROJECT, dry_run=True))

    diagnostics, not_applicable = [], []
    for resource in plan.resources:
        response = stub.Analyze(analyzer_pb2.AnalyzeRequest(
            type=resource.type, urn=resource.urn, name=resource.name, properties=_struct(resource.inputs),
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent),
            provider=_default_provider(plan, resource)))
        diagnostics += response.diagnostics
        not_applicable += [(n.policy_name, resource.urn) for n in response.not_applicable]
    stack = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=r.type, urn=r.urn, name=r.name, properties=_struct(r.inputs), parent=r.parent,
            dependencies=list(r.dependencies),
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in r.property_dependencies.items()},
            options=analyzer_pb2.AnalyzerResourceOptions(parent=r.parent), provider=_default_provider(plan, r))
        for r in plan.resources
    ])
    diagnostics += stub.AnalyzeStack(stack).diagnostics

    outcomes = {p.name: PolicyOutcome(p.name, p.description, config[p.name][0], p.remediation_steps)
                for p in info.policies}
    for diagnostic in diagnostics:
        outcome = outcomes[diagnostic.policyName]
        outcome.level = LEVEL_NAMES[diagnostic.enforcementLevel]
        # the SDK prefixes each message with the policy's description, which the report shows once
        outcome.violations.append(diagnostic.message.removeprefix(f"{diagnostic.description}\n"))
    for policy, urn in not_applicable:
        outcomes[policy].not_applicable.append(urn)
    return PolicyReport(info.name, info.version, config_file, list(outcomes.values()))


def _default_provider(plan: Plan, resource) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The provider the engine sends with each custom resource: the program sets none, so its package's default
    one, whose inputs are the stack's `<package>:*` config. Only the one the pack reads is sent: `region`, the
    stack's aws:region, where every resource without a `region` of its own is deployed."""
    if not resource.custom:
        return None
    package = resource.type.split(":", 1)[0]
    kind = f"pulumi:providers:{package}"
    inputs = {"region": plan.config.region} if package == "aws" else {}
    return analyzer_pb2.AnalyzerProviderResource(
        type=kind, name="default", urn=f"urn:pulumi:{plan.environment}::{PROJECT}::{kind}::default",
        properties=_struct(inputs))


def _struct(inputs: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_engine_shape(inputs))
    return struct


def _engine_shape(value: Any) -> Any:
    """Plan values → the engine's wire shape: secrets keep their signature, unknowns their sentinel."""
    if isinstance(value, Secret):
        return {rpc._special_sig_key: rpc._special_secret_sig, "value": _engine_shape(value.value)}
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {k: _engine_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_engine_shape(v) for v in value]
    return value
