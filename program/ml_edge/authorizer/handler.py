"""Lambda REQUEST authorizer for the predict routes: lets an API key call only its consumer's models.

API Gateway calls it with the request's `x-api-key` header (the identity source) and the `methodArn` of the method
called. The key is hashed with SHA-256 and looked up in `consumers.json` (next to this file, generated at deploy,
read once per execution environment): the table knows consumers only by the hash of their key.
- Known key: Allow on the predict route of every model the consumer may call, `context.consumer` = its name, and
  `usageIdentifierKey` = the key, so the usage plans still meter it (the API's key source is AUTHORIZER).
- Unknown or missing key (or a consumer allowed no model): an explicit Deny on every method of the stage (API
  Gateway answers 403).
- A methodArn we cannot parse, or a missing or malformed consumer table: an exception, which API Gateway turns
  into 500 AUTHORIZER_FAILURE; never an Allow.

Why the policy lists every allowed route and not only the one called: API Gateway caches the answer per identity
source value (the key) for 300 s and applies the cached policy to the next requests with that key, whatever their
route. A policy naming only the first route would wrongly refuse the consumer's other models for five minutes;
a policy naming `*` would let it call every model.

The key value never appears in a log line, an exception or the answer, except as `usageIdentifierKey`, the one
place API Gateway needs it. Its hash does not appear either.

A dict lookup finds the hash rather than `hmac.compare_digest` against every entry: the hash is not secret (the
table is in the deployment package), and what a timing difference could reveal about the SHA-256 of a guess does
not bring an attacker closer to a valid key.

Standard library only: the Lambda archive holds this package and its data file, nothing else.
"""

import hashlib
import json
import re
from pathlib import Path
from typing import Literal, NamedTuple

CONSUMERS_FILE = Path(__file__).with_name("consumers.json")
CONSUMERS_VERSION = 1
API_KEY_HEADER = "x-api-key"
ALL_MODELS = "all"
UNKNOWN_PRINCIPAL = "unknown"

# arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path...}
METHOD_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):execute-api:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):(?P<account>\d{12}):"
    r"(?P<api_id>[a-z0-9]+)/(?P<stage>[A-Za-z0-9_-]+)/(?P<method>[A-Z]+)/(?P<path>.*)"
)
# The config model's pattern for model names: never a wildcard that would widen the policy.
MODEL_NAME = re.compile(r"[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?")


class Consumer(NamedTuple):
    name: str
    models: tuple[str, ...] | Literal["all"]


class ApiStage(NamedTuple):
    """The stage part of a methodArn: every ARN in the policy is built from it."""

    partition: str
    region: str
    account: str
    api_id: str
    stage: str

    def arn(self, method: str, path: str) -> str:
        return (f"arn:{self.partition}:execute-api:{self.region}:{self.account}:"
                f"{self.api_id}/{self.stage}/{method}/{path}")


_consumers: dict[str, Consumer] | None = None


def load_consumers(path: Path | None = None) -> None:
    """Read the consumer table: `consumers.json` next to this file unless told otherwise (tests)."""
    global _consumers
    _consumers = read_consumers(path or CONSUMERS_FILE)


def read_consumers(path: Path) -> dict[str, Consumer]:
    table = json.loads(Path(path).read_text())
    if not isinstance(table, dict) or table.get("version") != CONSUMERS_VERSION:
        raise ValueError(f"{path}: expected a consumer table with version {CONSUMERS_VERSION}")
    entries = table.get("consumers")
    if not isinstance(entries, dict):
        raise ValueError(f"{path}: 'consumers' must map key hashes to consumers")
    return {key_hash: parse_consumer(path, entry) for key_hash, entry in entries.items()}


def parse_consumer(path: Path, entry: object) -> Consumer:
    # Errors name the consumer, never the hash it is filed under.
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not name:
        raise ValueError(f"{path}: a consumer has no name")
    models = entry.get("models")
    if models == ALL_MODELS:
        return Consumer(name, ALL_MODELS)
    if not isinstance(models, list) or not all(isinstance(m, str) and MODEL_NAME.fullmatch(m) for m in models):
        raise ValueError(f"{path}: consumer {name!r}: 'models' must be \"all\" or a list of model names")
    return Consumer(name, tuple(dict.fromkeys(models)))


def handler(event: dict, context: object = None) -> dict:
    if _consumers is None:
        load_consumers()
    return authorize(event, _consumers)


def authorize(event: dict, consumers: dict[str, Consumer]) -> dict:
    stage = parse_method_arn(event.get("methodArn"))
    key = api_key(event)
    consumer = consumers.get(hashlib.sha256(key.encode()).hexdigest()) if key else None
    if consumer is None:
        log("deny", UNKNOWN_PRINCIPAL)
        return deny(stage, UNKNOWN_PRINCIPAL)
    if not consumer.models:
        # The config refuses `models: []`; should a table still hold one, an Allow with no resource is not a
        # policy, so refuse explicitly.
        log("deny", consumer.name)
        return deny(stage, consumer.name)
    log("allow", consumer.name)
    return allow(stage, consumer, key)


def parse_method_arn(method_arn: object) -> ApiStage:
    match = METHOD_ARN.fullmatch(method_arn) if isinstance(method_arn, str) else None
    if match is None:
        raise ValueError(f"cannot parse methodArn {method_arn!r}")
    return ApiStage(*match.group("partition", "region", "account", "api_id", "stage"))


def api_key(event: dict) -> str | None:
    """The x-api-key value, whatever the header's case; None when absent, empty or sent with different values."""
    values = set()
    for name, value in (event.get("headers") or {}).items():
        if name.lower() == API_KEY_HEADER and value:
            values.add(value)
    for name, value_list in (event.get("multiValueHeaders") or {}).items():
        if name.lower() == API_KEY_HEADER:
            values.update(value for value in value_list or [] if value)
    # Two different keys in one request: no way to tell which one the caller means, so neither is accepted.
    return values.pop() if len(values) == 1 else None


def allow(stage: ApiStage, consumer: Consumer, key: str) -> dict:
    models = ["*"] if consumer.models == ALL_MODELS else consumer.models
    return {
        "principalId": consumer.name,
        "policyDocument": policy("Allow", [stage.arn("POST", f"models/{model}/predict") for model in models]),
        "context": {"consumer": consumer.name},
        "usageIdentifierKey": key,
    }


def deny(stage: ApiStage, principal: str) -> dict:
    return {"principalId": principal, "policyDocument": policy("Deny", [stage.arn("*", "*")])}


def policy(effect: str, resources: list[str]) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources}],
    }


def log(decision: str, consumer: str) -> None:
    print(json.dumps({"authorizer": decision, "consumer": consumer}))
