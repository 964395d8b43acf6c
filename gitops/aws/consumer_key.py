"""`make consumer-key ENV=<env> CONSUMER=<name>`: print one consumer's API key, to hand it to that consumer.

The key id comes from the stack output `consumerKeyIds`, the value from API Gateway
(`aws apigateway get-api-key --include-value`), with your own credentials. Only the key goes to stdout. It
refuses to run in CI: a key must never land in a log.
"""

import os
import shutil
import subprocess

from ..pulumi.pulumi_cli import stack_name, stack_outputs
from ..stacks.environments import read_stack_config


class Refused(RuntimeError):
    pass


def consumer_key(env: str, consumer: str, stack: str | None = None) -> str:
    stack = stack or stack_name(env)
    if os.environ.get("CI") or os.environ.get("GITHUB_ACTIONS"):
        raise Refused("refusing to print a consumer key in CI: run it on your machine")
    outputs = stack_outputs(stack)
    if outputs is None:
        raise Refused(f"no outputs for stack {stack}: log in to the Pulumi backend first (pulumi login)")
    ids = outputs.get("consumerKeyIds") or {}
    if consumer not in ids:
        raise Refused(f"no consumer {consumer!r} in {env}; consumers: {', '.join(ids) or 'none'}")
    aws = shutil.which("aws")
    if aws is None:
        raise Refused("the AWS CLI (aws) is needed to read the key's value")
    region = read_stack_config(env).values["aws:region"]
    result = subprocess.run([aws, "apigateway", "get-api-key", "--api-key", ids[consumer], "--include-value",
                             "--query", "value", "--output", "text", "--region", region],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or not result.stdout.strip():
        raise Refused(f"aws apigateway get-api-key failed: {result.stderr.strip()[:300]}")
    return result.stdout.strip()
