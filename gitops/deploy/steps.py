"""Deploy one environment, deciding from the stack's own record whether it needs one.

  --env <env>                  (dev, staging) decide, check the origin-secret rotation order against what is
                               deployed, `pulumi up` with the guardrails, then the after-up steps
  --env <env> --plan-out FILE  (prod, before approval, read-only role) decide, check the rotation order, save the
                               plan (`pulumi preview --save-plan`, guardrails) and put its diff, secrets masked,
                               in the run summary
  --env <env> --plan FILE      (prod, after approval) check the rotation order again, `pulumi up --plan FILE`
                               (exactly what was approved), then the after-up steps
  --all                        deploy even when nothing changed since the last deploy (a manual run); the
                               rotation-order check still runs

The decision: deploy when anything the environment deploys changed since the commit of its stack's last
successful `pulumi up` (gitops/deploy/decision.py). Writes deploy=true|false to $GITHUB_OUTPUT; false exits 0
without an up. After the up: the consumer authorizer's cache is flushed (in every region), the edge's catalog and
health are invalidated, and the edge's name must resolve.

First of all, before the stack is read with any credential, gitops/stacks/preflight.py checks the environment is set up
(folder, state backend, the stack file's secrets provider, AWS_ROLE_ARN and AWS_REGION).

Exit: 0 deployed, or nothing to deploy · 1 refused (an older commit, the rotation order) or a step after the up
failed · the CLI's own status when `pulumi up` or the plan's preview failed · 78 a setup step is missing
(preflight, before anything ran).
"""

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from ..aws import authorizer_cache, edge_cache, edge_dns
from ..pulumi import deploy_plan, deployed, pulumi_cli, stack_secrets
from ..pulumi.pulumi_cli import stack_outputs
from ..stacks import preflight, rotation, workflow_files
from ..stacks.environments import ROOT, read_stack_config
from . import rotation_check
from .decision import decide, older_than_deployed

REPO = ROOT  # the checkout whose HEAD is deployed (tests point it at a repository of their own)


def authorizer_stages(env: str, outputs: dict) -> list[tuple[str, str, str]]:
    """(region, REST API id, stage) of every region's stage: with several regions each has its own API and
    authorizer cache, named by its invoke URL in `originUrls` (https://<api id>.execute-api.<region>.amazonaws.com/
    <stage>); with one, `apiId` in the stack's aws:region."""
    stage = outputs.get("stage")
    if not stage:
        return []
    if outputs.get("originUrls"):
        return [(region, (urlparse(url).hostname or "").split(".")[0], stage)
                for region, url in outputs["originUrls"].items()]
    if not outputs.get("apiId"):
        return []
    return [(read_stack_config(env).values.get("aws:region", ""), outputs["apiId"], stage)]


def after_up(env: str, stack: str) -> int:
    """Once the stack is deployed: fresh authorizer answers, fresh catalog at the edge, and a name that resolves.
    Exit status 0 or 1."""
    deployed = f"{env} is deployed (pulumi up succeeded), but"
    outputs = stack_outputs(stack) or {}
    distribution_id, edge_url = outputs.get("distributionId"), outputs.get("edgeUrl")
    if not distribution_id or not edge_url:
        print(f"error: {deployed} the outputs distributionId and edgeUrl of stack {stack} could not be read, so the "
              f"edge's /models and /health were not invalidated", file=sys.stderr)
        return 1
    for region, api_id, stage in authorizer_stages(env, outputs):
        try:
            authorizer_cache.flush(authorizer_cache.client(region), api_id, stage)
        except authorizer_cache.FlushFailed as error:
            print(f"error: {deployed} {error}. Until it is done, a removed or narrowed consumer key may keep its "
                  f"old models for up to 300 s; retry with: aws apigateway flush-stage-authorizers-cache "
                  f"--region {region} --rest-api-id {api_id} --stage-name {stage}", file=sys.stderr)
            return 1
    cloudfront = edge_cache.client()
    try:
        edge_cache.invalidate_catalog(cloudfront, distribution_id)
    except edge_cache.InvalidationFailed as error:
        print(f"error: {deployed} {error}. Until it is done, the edge may serve the old /models and /health for up "
              f"to their cache maxTtl (ml-edge:cache.catalog, ml-edge:cache.health); retry with: aws cloudfront "
              f"create-invalidation --distribution-id {distribution_id} --paths "
              f"{' '.join(edge_cache.CATALOG_PATHS)}", file=sys.stderr)
        return 1
    host = urlparse(edge_url).hostname or edge_url
    try:
        edge_dns.wait_until_resolves(host, edge_cache.domain_name(cloudfront, distribution_id))
    except edge_dns.NameDoesNotResolve as error:
        print(f"error: {deployed} {error}", file=sys.stderr)
        return 1
    return 0


def _head() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return result.stdout.strip() or "HEAD"


def save_plan(env: str, stack: str, plan_file: Path, reason: str) -> int:
    """The preview the approver reads, saved as the plan the deploy job applies. Exit: the preview's status, or 1
    when the stack's secrets cannot be read (nothing could be masked) or the plan holds a secret in plain text."""
    secrets = stack_secrets.read(stack)
    output_secrets = deploy_plan.output_secret_values(stack)
    if secrets is None or output_secrets is None:
        print(f"error: not planning {env}: the stack's secret values could not be read, so the preview's output "
              f"could not be masked", file=sys.stderr)
        return 1
    secrets.mask_in_log()  # before the preview streams to the log
    deploy_plan.enable_update_plans()
    plan_file.unlink(missing_ok=True)  # never hand on a plan from an earlier attempt
    run = pulumi_cli.run(deploy_plan.save_plan_command(env, plan_file))
    preview = pulumi_cli.CliRun(run.status, secrets.scrub(run.output), run.summary)
    saved = preview.status == 0 and plan_file.is_file()
    leaks = deploy_plan.plain_text_secrets(plan_file, output_secrets) if saved else []
    if leaks:
        plan_file.unlink()
        saved = False
        print(f"error: the saved plan of {env} holds {' and '.join(leaks)}; it was deleted and must not leave "
              f"this job", file=sys.stderr)
    workflow_files.append("GITHUB_STEP_SUMMARY", deploy_plan.plan_summary(env, _head(), reason, preview, saved))
    if preview.status == 0 and not saved:
        if not leaks:
            print(f"error: pulumi preview succeeded but wrote no plan to {plan_file}", file=sys.stderr)
        return 1
    return preview.status


def deploy(env: str, everything: bool = False, plan_out: Path | None = None, plan: Path | None = None,
           rollback: bool = False) -> int:
    """One environment's deploy job (see above): with plan_out, save the plan instead of deploying; with plan,
    apply that approved plan. Exit status (see above)."""
    if plan and not plan.is_file():
        print(f"error: no plan at {plan}", file=sys.stderr)
        return 1
    stack = pulumi_cli.stack_name(env)
    # the plan is saved with the observe role, in the <env>-observe environment
    refusal = preflight.refused(env, "the deploy", f"{env}-observe" if plan_out else env)
    if refusal:
        preflight.report(refusal)
        workflow_files.append("GITHUB_OUTPUT", "deploy=false\n")
        workflow_files.append("GITHUB_STEP_SUMMARY", f"## ❌ `{env}`: not deployed: setup missing\n\n{refusal}\n")
        return preflight.REFUSED
    entries = deployed.history(stack)
    newer = older_than_deployed(entries, repo=REPO)
    if newer and not rollback:
        problem = (f"this commit is older than what {env} runs ({newer[:12]}): a re-run of an old deploy would roll "
                   f"{env} back. Revert on main instead (or, by hand, pass --rollback)")
        print(f"error: not deploying {env}: {problem}", file=sys.stderr)
        workflow_files.append("GITHUB_OUTPUT", "deploy=false\n")
        workflow_files.append("GITHUB_STEP_SUMMARY", f"## ❌ `{env}`: not deployed: an older commit\n\n{problem}\n")
        return 1

    reason = "applying the approved plan"
    if not plan:
        decision = decide(env, entries, everything=everything, repo=REPO)
        reason = decision.reason
        print(f"{env}: {'deploying' if decision.deploy else 'not deploying'}: {reason}", flush=True)
        workflow_files.append("GITHUB_OUTPUT", f"deploy={'true' if decision.deploy else 'false'}\n")
        if not decision.deploy:
            workflow_files.append("GITHUB_STEP_SUMMARY", f"## `{env}`: no deploy needed\n\n{reason}\n")
            return 0
    else:
        workflow_files.append("GITHUB_OUTPUT", "deploy=true\n")

    problem = rotation_check.problem(env, stack, rotation.proposed(env), entries, REPO)
    if problem:
        print(f"error: not deploying {env}: {problem}", file=sys.stderr)
        workflow_files.append("GITHUB_STEP_SUMMARY", f"## ❌ `{env}`: not deployed: origin-secret rotation order\n\n"
                                            f"{problem}\n")
        return 1
    if plan_out:
        return save_plan(env, stack, plan_out, reason)
    if plan:
        deploy_plan.enable_update_plans()
        up = pulumi_cli.run(deploy_plan.apply_plan_command(env, plan))
    else:
        up = pulumi_cli.run(pulumi_cli.up_command(env))
    if up.status != 0:
        return up.status
    return after_up(env, stack)
