"""Deploy one environment: `pulumi up` with the guardrails pack and the environment's policy config, then make the
edge ready for the smoke suite: flush the consumer authorizer's cached answers, invalidate the cached catalog and
health, and wait until the edge's name resolves.

With --base (the revision deployed until now), first refuse an origin-secret change that would drop requests.
"""

import argparse
import json
import sys
from urllib.parse import urlparse

from . import authorizer_cache, edge_cache, edge_dns, pulumi_cli, rotation
from .changes import NO_COMMIT
from .environments import read_stack_config
from .pulumi_cli import stack_outputs


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
    api_id, stage = outputs.get("apiId"), outputs.get("stage")
    if api_id and stage:
        region = read_stack_config(env).values.get("aws:region", "")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", required=True)
    parser.add_argument("--base", default="", help="the revision deployed until now (the push's `before`)")
    args = parser.parse_args(argv)
    if args.base and args.base != NO_COMMIT:
        values = read_stack_config(args.env).values
        after = json.loads(values[rotation.KEY]) if rotation.KEY in values else {}
        before = rotation.config_at(args.base, args.env)
        problem = rotation.transition_problem(before, after) if before is not None else None
        if problem:
            print(f"error: not deploying {args.env}: {problem}", file=sys.stderr)
            return 1
    up = pulumi_cli.run(pulumi_cli.up_command(args.env))
    if up.status != 0:
        return up.status
    return after_up(args.env, pulumi_cli.stack_name(args.env))


if __name__ == "__main__":
    sys.exit(main())
