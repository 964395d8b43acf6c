"""The reference model: accurate on iris, and its handler answers the API contract for real proxy events."""

import base64
import csv
import json
from pathlib import Path

import pytest

from ml_edge.config import REFERENCE_EXAMPLE
from ml_edge.reference_model import handler as handler_module
from ml_edge.reference_model.handler import handler
from ml_edge.reference_model.model import IrisModel

DATA = Path(__file__).parent / "data"
EVENT = json.loads((DATA / "apigw_rest_proxy_event.json").read_text())


def iris_rows():
    with (DATA / "iris.csv").open() as handle:
        for row in csv.DictReader(handle):
            yield [float(row[k]) for k in list(row)[:4]], row["species"]


def event_with(body, **changes) -> dict:
    return {**EVENT, "body": body, **changes}


def call(body, **changes) -> tuple[int, dict]:
    response = handler(event_with(body, **changes), None)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def test_accuracy_on_the_iris_data_is_at_least_90_percent():
    model = IrisModel.load()
    rows = list(iris_rows())
    correct = sum(model.predict(x)["label"] == label for x, label in rows)
    assert len(rows) == 150
    assert correct / len(rows) >= 0.9


def test_probabilities_sum_to_one():
    prediction = IrisModel.load().predict([5.9, 3.0, 5.1, 1.8])
    assert sum(prediction["probabilities"].values()) == pytest.approx(1, abs=1e-5)


def test_the_proxy_event_gets_one_prediction_per_instance():
    status, body = call(EVENT["body"])
    assert status == 200
    assert body["model"] == "iris"
    assert [p["label"] for p in body["predictions"]] == ["setosa", "virginica"]


def test_the_catalog_example_is_answered():
    status, body = call(json.dumps(REFERENCE_EXAMPLE))
    assert status == 200 and len(body["predictions"]) == len(REFERENCE_EXAMPLE["instances"])


def test_a_base64_encoded_body_is_decoded():
    encoded = base64.b64encode(EVENT["body"].encode()).decode()
    status, body = call(encoded, isBase64Encoded=True)
    assert status == 200 and len(body["predictions"]) == 2


def test_the_model_name_comes_from_the_function_environment(monkeypatch):
    monkeypatch.setenv("MODEL_NAME", "iris-v2")
    assert call(EVENT["body"])[1]["model"] == "iris-v2"


@pytest.mark.parametrize(("body", "message"), [
    (None, "request body is empty"),
    ("", "request body is empty"),
    ("{not json", "request body is not valid JSON"),
    ("[1, 2]", 'must be a JSON object with an "instances" list'),
    ('{"rows": [[1, 2, 3, 4]]}', 'must be a JSON object with an "instances" list'),
    ('{"instances": []}', '"instances" must be a non-empty list'),
    ('{"instances": "5.1,3.5,1.4,0.2"}', '"instances" must be a non-empty list'),
    ('{"instances": [[5.1, 3.5, 1.4]]}', "instances[0] must be a list of 4 numbers"),
    ('{"instances": [[5.1, 3.5, 1.4, 0.2], {"a": 1}]}', "instances[1] must be a list of 4 numbers"),
    ('{"instances": [[5.1, "x", 1.4, 0.2]]}', 'instances[0] must hold only finite numbers, got "x"'),
    ('{"instances": [[5.1, true, 1.4, 0.2]]}', "instances[0] must hold only finite numbers, got true"),
    ('{"instances": [[5.1, NaN, 1.4, 0.2]]}', "instances[0] must hold only finite numbers, got NaN"),
])
def test_bad_requests_get_400_naming_what_is_wrong(body, message):
    status, answer = call(body)
    assert status == 400
    assert message in answer["message"]


def test_too_many_instances_get_400(monkeypatch):
    monkeypatch.setattr(handler_module, "MAX_INSTANCES", 2)
    status, answer = call(json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2]] * 3}))
    assert status == 400
    assert answer["message"] == '"instances" has 3 items; at most 2 are allowed'


def test_weights_file_matches_the_iris_features():
    model = IrisModel.load()
    assert model.classes == ("setosa", "versicolor", "virginica")
    assert len(model.mean) == len(model.scale) == len(model.features) == 4
    assert all(len(row) == 4 for row in model.coef)


@pytest.mark.parametrize("body", [EVENT["body"], '{"instances": "not-a-list"}'])
def test_every_answer_names_the_region_the_function_runs_in(monkeypatch, body):
    """A proxy integration maps no header: the function names its region (Lambda sets AWS_REGION), as every
    other answer of the API does (the smoke suite reports which region served the edge's predict)."""
    from ml_edge.openapi import REGION_HEADER
    assert handler_module.REGION_HEADER == REGION_HEADER  # the package is deployed alone: an equal copy
    monkeypatch.setenv("AWS_REGION", "ap-southeast-1")
    assert handler(event_with(body), None)["headers"][REGION_HEADER] == "ap-southeast-1"
    monkeypatch.delenv("AWS_REGION")
    assert REGION_HEADER not in handler(event_with(body), None)["headers"]
