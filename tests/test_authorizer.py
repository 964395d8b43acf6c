"""The consumer authorizer answers real API Gateway REQUEST-authorizer events with the right policy.

The event (tests/data/apigw_request_authorizer_event.json) is the REST API REQUEST example of AWS's "Input to an API
Gateway Lambda authorizer" page, adapted to POST /models/iris/predict with an x-api-key header (its "_source" note
says what changed). Events from a live API also carry `multiValueHeaders`, as in the event recorded by
aws-powertools/powertools-lambda-python (tests/events/apiGatewayAuthorizerRequestEvent.json).

API Gateway caches an answer per key and applies it to later requests on any route, so the tests judge a policy the
way API Gateway does, for every route, with `allows` below (IAM wildcards, an explicit Deny wins).
"""

import ast
import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

from ml_edge.authorizer import handler as handler_module
from ml_edge.authorizer.handler import handler

DATA = Path(__file__).parent / "data"
RECORDED = json.loads((DATA / "apigw_request_authorizer_event.json").read_text())
EVENT = {k: v for k, v in RECORDED.items() if k != "_source"}

STAGE_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/v1"
ACME_KEY = EVENT["headers"]["x-api-key"]
SMOKE_KEY = "smoke-key-0000000000000000000000000000000"
IRIS_ONLY_KEY = "iris-only-key-00000000000000000000000000"
IDLE_KEY = "idle-key-000000000000000000000000000000000"
UNKNOWN_KEY = "unknown-key-0000000000000000000000000000"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


CONSUMERS = {
    "version": 1,
    "consumers": {
        key_hash(ACME_KEY): {"name": "acme-web", "models": ["iris", "sentiment"]},
        key_hash(SMOKE_KEY): {"name": "smoke", "models": "all"},
        key_hash(IRIS_ONLY_KEY): {"name": "iris-only", "models": ["iris"]},
        key_hash(IDLE_KEY): {"name": "idle", "models": []},
    },
}


def predict_arn(model: str) -> str:
    return f"{STAGE_ARN}/POST/models/{model}/predict"


@pytest.fixture(autouse=True)
def consumers_file(tmp_path, monkeypatch) -> Path:
    """Every test starts as a cold start would, with the table above loaded through the handler's own loader."""
    monkeypatch.setattr(handler_module, "_consumers", None)
    path = tmp_path / "consumers.json"
    path.write_text(json.dumps(CONSUMERS))
    handler_module.load_consumers(path)
    return path


def event_with(headers: dict | None = None, method_arn: str | None = None, **changes) -> dict:
    event = json.loads(json.dumps(EVENT))
    if headers is not None:
        event["headers"] = headers
    if method_arn is not None:
        event["methodArn"] = method_arn
    return {**event, **changes}


def headers_with_key(key: str | None, header: str = "x-api-key") -> dict:
    headers = {name: value for name, value in EVENT["headers"].items() if name.lower() != "x-api-key"}
    return headers if key is None else {**headers, header: key}


def call_with_key(key: str | None, model: str = "iris", header: str = "x-api-key") -> dict:
    return handler(event_with(headers_with_key(key, header), predict_arn(model)), None)


def allows(answer: dict, arn: str) -> bool:
    """Whether API Gateway lets a request for `arn` through with this answer: an explicit Deny wins over Allow."""
    def matches(statement: dict) -> bool:
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        return statement["Action"] == "execute-api:Invoke" and any(wildcard(r).fullmatch(arn) for r in resources)

    statements = answer["policyDocument"]["Statement"]
    if any(s["Effect"] == "Deny" and matches(s) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and matches(s) for s in statements)


def wildcard(resource: str) -> re.Pattern:
    # IAM resource wildcards: `*` any run of characters (slashes included), `?` one character.
    return re.compile(re.escape(resource).replace(r"\*", ".*").replace(r"\?", "."))


def test_the_recorded_event_is_a_rest_request_authorizer_event_for_our_route():
    assert EVENT["type"] == "REQUEST"
    assert EVENT["methodArn"] == predict_arn("iris")
    assert (EVENT["httpMethod"], EVENT["resource"]) == ("POST", "/models/iris/predict")


def test_a_key_with_a_model_list_is_allowed_exactly_its_models():
    answer = handler(EVENT, None)
    assert answer == {
        "principalId": "acme-web",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow",
                           "Resource": [predict_arn("iris"), predict_arn("sentiment")]}],
        },
        "context": {"consumer": "acme-web"},
        "usageIdentifierKey": ACME_KEY,
    }


def test_the_answer_to_one_route_covers_the_consumers_other_models_for_the_cache():
    answer = call_with_key(ACME_KEY, model="sentiment")
    assert allows(answer, predict_arn("iris")) and allows(answer, predict_arn("sentiment"))
    assert not allows(answer, predict_arn("churn"))


def test_all_models_gets_the_wildcard_predict_route():
    answer = call_with_key(SMOKE_KEY)
    assert answer["principalId"] == "smoke" and answer["context"] == {"consumer": "smoke"}
    assert answer["policyDocument"]["Statement"][0]["Resource"] == [f"{STAGE_ARN}/POST/models/*/predict"]
    assert answer["usageIdentifierKey"] == SMOKE_KEY
    assert allows(answer, predict_arn("iris")) and allows(answer, predict_arn("any-new-model"))
    assert not allows(answer, f"{STAGE_ARN}/GET/models")


@pytest.mark.parametrize("header", ["X-Api-Key", "X-API-KEY", "x-API-key"])
def test_the_header_name_is_case_insensitive(header):
    answer = call_with_key(ACME_KEY, header=header)
    assert answer["principalId"] == "acme-web" and answer["usageIdentifierKey"] == ACME_KEY


def test_a_key_only_in_multi_value_headers_is_read():
    event = event_with(headers_with_key(None), multiValueHeaders={"X-Api-Key": [IRIS_ONLY_KEY]})
    answer = handler(event, None)
    assert answer["principalId"] == "iris-only" and answer["usageIdentifierKey"] == IRIS_ONLY_KEY


def test_two_different_keys_in_one_request_are_denied():
    event = event_with(headers_with_key(SMOKE_KEY), multiValueHeaders={"x-api-key": [IRIS_ONLY_KEY, SMOKE_KEY]})
    answer = handler(event, None)
    assert answer["principalId"] == "unknown" and not allows(answer, predict_arn("iris"))


def assert_denied_everywhere(answer: dict, principal: str = "unknown") -> None:
    assert answer == {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{STAGE_ARN}/*/*"]}],
        },
    }
    assert not allows(answer, predict_arn("iris")) and not allows(answer, f"{STAGE_ARN}/GET/models")


def test_an_unknown_key_is_denied_without_a_usage_identifier_key():
    assert_denied_everywhere(call_with_key(UNKNOWN_KEY))


@pytest.mark.parametrize("headers", [headers_with_key(None), headers_with_key(""), None],
                         ids=["no x-api-key", "empty x-api-key", "no headers at all"])
def test_a_missing_key_is_denied(headers):
    event = event_with()
    event["headers"] = headers
    event["multiValueHeaders"] = None
    assert_denied_everywhere(handler(event, None))


def test_a_consumer_allowed_no_model_is_denied():
    assert_denied_everywhere(call_with_key(IDLE_KEY), principal="idle")


def test_a_key_allowed_on_iris_is_refused_on_another_model():
    answer = call_with_key(IRIS_ONLY_KEY, model="sentiment")
    assert answer["principalId"] == "iris-only"
    assert answer["policyDocument"]["Statement"][0]["Resource"] == [predict_arn("iris")]
    assert not allows(answer, predict_arn("sentiment"))  # API Gateway answers 403 ACCESS_DENIED
    assert allows(answer, predict_arn("iris"))


@pytest.mark.parametrize("key", [ACME_KEY, SMOKE_KEY, IRIS_ONLY_KEY, IDLE_KEY, UNKNOWN_KEY, None])
def test_neither_the_key_nor_its_hash_appears_outside_usage_identifier_key(key, capsys):
    answer = call_with_key(key, model="sentiment")
    logged = capsys.readouterr()
    rest_of_answer = json.dumps({k: v for k, v in answer.items() if k != "usageIdentifierKey"})
    for text in (rest_of_answer, logged.out, logged.err):
        for secret in [s for s in (key, key and key_hash(key)) if s]:
            assert secret not in text
    log_lines = logged.out.splitlines()
    assert len(log_lines) == 1 and set(json.loads(log_lines[0])) == {"authorizer", "consumer"}
    assert json.loads(log_lines[0])["consumer"] == answer["principalId"]


@pytest.mark.parametrize("method_arn", [
    None,
    "",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef123",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef123/v1",
    "arn:aws:lambda:us-east-1:123456789012:function/predict",
    "arn:aws:execute-api:us-east-1:123456789012:*/v1/POST/models/iris/predict",
    "arn:aws:execute-api:us-east-1:*:abcdef123/v1/POST/models/iris/predict",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef123/*/POST/models/iris/predict",
    "arn:aws:execute-api:us-east-1:123456789012:abcdef123/v1/POST/models/iris/predict\n",
])
def test_a_malformed_method_arn_raises_and_never_allows(method_arn, capsys):
    event = event_with(headers_with_key(SMOKE_KEY))
    event["methodArn"] = method_arn
    with pytest.raises(ValueError, match="methodArn") as raised:
        handler(event, None)
    assert SMOKE_KEY not in str(raised.value) and capsys.readouterr().out == ""


def test_the_table_is_read_once_from_next_to_the_handler(tmp_path, monkeypatch):
    assert handler_module.CONSUMERS_FILE == Path(handler_module.__file__).with_name("consumers.json")
    table = tmp_path / "deployed" / "consumers.json"
    table.parent.mkdir()
    table.write_text(json.dumps(CONSUMERS))
    monkeypatch.setattr(handler_module, "CONSUMERS_FILE", table)
    monkeypatch.setattr(handler_module, "_consumers", None)
    assert call_with_key(ACME_KEY)["principalId"] == "acme-web"
    table.write_text(json.dumps({"version": 1, "consumers": {}}))
    assert call_with_key(ACME_KEY)["principalId"] == "acme-web"


def test_without_its_table_the_authorizer_fails_instead_of_answering(tmp_path, monkeypatch):
    monkeypatch.setattr(handler_module, "CONSUMERS_FILE", tmp_path / "not-deployed" / "consumers.json")
    monkeypatch.setattr(handler_module, "_consumers", None)
    with pytest.raises(FileNotFoundError):
        handler(EVENT, None)


@pytest.mark.parametrize("table", [
    {"version": 2, "consumers": {}},
    {"version": 1},
    {"version": 1, "consumers": {key_hash(ACME_KEY): {"models": "all"}}},
    {"version": 1, "consumers": {key_hash(ACME_KEY): {"name": "acme-web", "models": ["*"]}}},
    {"version": 1, "consumers": {key_hash(ACME_KEY): {"name": "acme-web", "models": "iris"}}},
    {"version": 1, "consumers": {key_hash(ACME_KEY): {"name": "acme-web", "models": ["iris\n"]}}},
], ids=["other version", "no consumers", "no name", "wildcard model", "models not a list", "newline in a model"])
def test_a_malformed_table_is_refused(table, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError) as raised:
        handler_module.load_consumers(path)
    assert key_hash(ACME_KEY) not in str(raised.value)


def test_the_handler_imports_only_the_standard_library():
    tree = ast.parse(Path(handler_module.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "hashlib" in imported  # the walk sees the imports
    outside = {name for name in imported if name is None or name.split(".")[0] not in sys.stdlib_module_names}
    assert not outside, f"the authorizer imports {outside}: the Lambda archive holds the standard library only"
