"""Lambda handler behind `POST /models/{model}/predict` (API Gateway AWS_PROXY integration).

Request body: {"instances": [[sepal_length, sepal_width, petal_length, petal_width], ...]} (centimetres).
Answers 200 {"model": name, "predictions": [...]} or 400 {"message": ...} naming what is wrong, each with
X-ML-Edge-Region: the region the function runs in (AWS_REGION, which Lambda sets), as every answer of the API
carries it (a proxy integration maps no header: the function sets its own).
API Gateway validates the body's shape first; the handler checks again so a direct invocation is safe too.
"""

import base64
import json
import math
import os

from .model import IrisModel

MODEL = IrisModel.load()
MAX_INSTANCES = int(os.environ.get("MAX_INSTANCES", "100"))
N_FEATURES = len(MODEL.features)
REGION_HEADER = "X-ML-Edge-Region"  # program/ml_edge/openapi.py REGION_HEADER (this package is deployed alone)


class BadRequest(ValueError):
    pass


def handler(event: dict, context: object = None) -> dict:
    model_name = os.environ.get("MODEL_NAME", "iris")
    try:
        instances = parse_instances(event)
    except BadRequest as error:
        return respond(400, {"message": str(error)})
    return respond(200, {"model": model_name, "predictions": [MODEL.predict(x) for x in instances]})


def parse_instances(event: dict) -> list[list[float]]:
    body = event.get("body")
    if body is None or body == "":
        raise BadRequest('request body is empty; expected {"instances": [[4 numbers], ...]}')
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as error:
        raise BadRequest(f"request body is not valid JSON: {error.msg} at position {error.pos}") from None
    if not isinstance(payload, dict) or "instances" not in payload:
        raise BadRequest('request body must be a JSON object with an "instances" list')
    instances = payload["instances"]
    if not isinstance(instances, list) or not instances:
        raise BadRequest('"instances" must be a non-empty list')
    if len(instances) > MAX_INSTANCES:
        raise BadRequest(f'"instances" has {len(instances)} items; at most {MAX_INSTANCES} are allowed')
    for index, instance in enumerate(instances):
        check_instance(index, instance)
    return instances


def check_instance(index: int, instance: object) -> None:
    expected = f"{N_FEATURES} numbers ({', '.join(MODEL.features)})"
    if not isinstance(instance, list) or len(instance) != N_FEATURES:
        raise BadRequest(f"instances[{index}] must be a list of {expected}, got {json.dumps(instance)[:80]}")
    for value in instance:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BadRequest(f"instances[{index}] must hold only finite numbers, got {json.dumps(value)[:40]}")


def respond(status: int, body: dict) -> dict:
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    region = os.environ.get("AWS_REGION")
    if region:  # always in Lambda; absent only when the handler is called outside it
        headers[REGION_HEADER] = region
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}
