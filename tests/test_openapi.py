"""The API contract as planned: routes, validation, JSON errors, and catalog examples that are valid requests. Each
region's REST API has its own OpenAPI body (`regional` fixture): the contract holds in every one."""

import json
import re

import jsonschema
import pytest
from plan_views import openapi

from ml_edge.config_loading import load_config
from ml_edge.openapi import NOT_FOUND_MESSAGE, openapi_document, vtl_literal

CONSUMERS = {"ml-edge:tiers": json.dumps({"basic": {"rateLimit": 1, "burstLimit": 1}}),
             "ml-edge:consumers": json.dumps([{"name": "me", "tier": "basic"}]),
             "aws:defaultTags": json.dumps({"tags": {"environment": "dev"}})}
# Messages API Gateway may substitute into a gateway response template. The templates are not VTL (no escaping
# possible): a substituted text is pasted as it is, except $context.error.messageString, which API Gateway
# documents as "the quoted value of $context.error.message".
HOSTILE_MESSAGES = [
    'object has missing required properties (["instances"])',  # a real validationErrorString
    'he said "stop" \\ and left', "two\nlines\ttab", '"}, "injected": {"', "</script>$context #set",
]
QUOTED_BY_API_GATEWAY = "$context.error.messageString"
VARIABLE = re.compile(r"\$(?:context|stageVariables|input|util|method)[A-Za-z0-9_.]*")


def render_gateway_template(template: str, message: str) -> str:
    """What API Gateway sends for a template: simple substitution of every variable."""
    return VARIABLE.sub(lambda m: json.dumps(message) if m.group(0) == QUOTED_BY_API_GATEWAY else message, template)


def mock_answer(document: dict, path: str) -> dict:
    integration = document["paths"][path]["get"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "mock"
    return json.loads(integration["responses"]["default"]["responseTemplates"]["application/json"])


def request_schema(document: dict, path: str) -> dict:
    ref = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_health_answers_ok_with_the_environment(regional):
    plan = regional.plan
    assert mock_answer(openapi(plan), "/health") == {"status": "ok", "environment": plan.environment}


def test_catalog_lists_every_model_with_its_backend_and_example(regional):
    plan = regional.plan
    models = mock_answer(openapi(plan), "/models")["models"]
    assert [(m["name"], m["backend"]) for m in models] == [(m.name, m.backend) for m in plan.config.models]
    assert all(m["example"]["instances"] for m in models)


def test_every_catalog_example_is_a_valid_request_for_its_model(regional):
    plan = regional.plan
    document = openapi(plan)
    for model in mock_answer(document, "/models")["models"]:
        jsonschema.validate(model["example"], request_schema(document, f"/models/{model['name']}/predict"))


def test_the_iris_schema_rejects_a_wrong_instance(regional):
    plan = regional.plan
    schema = request_schema(openapi(plan), "/models/iris/predict")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"instances": [[1, 2, 3]]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"instances": [[1, 2, 3, 4]] * (plan.config.max_instances + 1)}, schema)


def test_every_predict_route_validates_its_body(regional):
    plan = regional.plan
    document = openapi(plan)
    assert document["x-amazon-apigateway-request-validators"]["body"]["validateRequestBody"] is True
    for model in plan.config.models:
        operation = document["paths"][f"/models/{model.name}/predict"]["post"]
        assert operation["x-amazon-apigateway-request-validator"] == "body"
        assert operation["requestBody"]["required"] is True


def test_unknown_paths_and_models_get_a_json_404_not_the_default_403(regional):
    plan = regional.plan
    responses = openapi(plan)["x-amazon-apigateway-gateway-responses"]
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "RESOURCE_NOT_FOUND"):
        assert responses[kind]["statusCode"] == "404"
        assert json.loads(responses[kind]["responseTemplates"]["application/json"]) == {"message": NOT_FOUND_MESSAGE}


def test_malformed_bodies_get_a_json_400_saying_what_a_valid_body_is(regional):
    plan = regional.plan
    bad_body = openapi(plan)["x-amazon-apigateway-gateway-responses"]["BAD_REQUEST_BODY"]
    assert bad_body["statusCode"] == "400"
    message = json.loads(bad_body["responseTemplates"]["application/json"])["message"]
    assert '{"instances": [...]}' in message and f"1 to {plan.config.max_instances} instances" in message


@pytest.mark.parametrize("message", HOSTILE_MESSAGES)
def test_every_gateway_response_is_valid_json_whatever_the_message(regional, message):
    for kind, response in openapi(regional.plan)["x-amazon-apigateway-gateway-responses"].items():
        rendered = render_gateway_template(response["responseTemplates"]["application/json"], message)
        assert isinstance(json.loads(rendered)["message"], str), kind
        assert response["responseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'"


def test_the_hostile_rendering_catches_an_unquoted_variable():
    broken = '{"message": "Invalid request body: $context.error.validationErrorString"}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(render_gateway_template(broken, HOSTILE_MESSAGES[0]))


def test_integrations_match_each_backend(regional):
    plan, region = regional.plan, regional.region
    document = openapi(plan)
    for model in plan.config.models:
        integration = document["paths"][f"/models/{model.name}/predict"]["post"]["x-amazon-apigateway-integration"]
        if model.backend == "reference":
            assert integration["type"] == "aws_proxy"
            assert re.fullmatch(rf"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
                                rf"arn:aws:lambda:{region}:.+:function:.+/invocations", integration["uri"])
        elif model.backend == "sagemaker":
            assert integration["type"] == "aws"
            assert integration["uri"] == (f"arn:aws:apigateway:{region}:runtime.sagemaker:path/endpoints/"
                                          f"{model.endpoint_in(region)}/invocations")
            assert integration["credentials"].startswith("arn:aws:iam::123456789012:role/")
            assert set(integration["responses"]) == {"default", "4\\d{2}", "5\\d{2}"}
        else:
            assert integration["type"] == "http"  # not http_proxy: see test_aws_facts, HTTP model servers
            assert integration["uri"] == model.url_in(region)  # each region's own model server
        assert integration["httpMethod"] == "POST"
        assert integration["timeoutInMillis"] == model.timeout_ms


def test_sagemaker_answers_are_mapped_onto_the_contract():
    cfg = load_config({**CONSUMERS, "aws:region": "eu-west-1", "ml-edge:models": json.dumps([
        {"name": "churn", "backend": "sagemaker", "endpointName": "churn-xgb", "example": {"instances": [[1]]}}])},
        "dev")
    from ml_edge.backends import sagemaker_integration
    integration = sagemaker_integration(cfg.models[0], "eu-west-1", "arn:aws:iam::123456789012:role/r")
    template = integration["responses"]["default"]["responseTemplates"]["application/json"]
    filled = template.replace("$input.json('$.predictions')", "[0.91]")
    assert json.loads(filled) == {"model": "churn", "predictions": [0.91]}
    assert integration["responses"]["5\\d{2}"]["statusCode"] == "502"
    assert json.loads(integration["responses"]["4\\d{2}"]["responseTemplates"]["application/json"])["message"]


def test_catalog_text_cannot_be_read_as_velocity_template_syntax():
    literal = vtl_literal({"description": "costs $5 #1 ${x}"})
    assert "$" not in literal and "#" not in literal
    assert json.loads(literal) == {"description": "costs $5 #1 ${x}"}


def test_a_description_with_template_characters_reaches_the_catalog_intact():
    cfg = load_config({**CONSUMERS, "aws:region": "eu-west-1", "ml-edge:models": json.dumps([
        {"name": "iris", "backend": "reference", "description": "#1 model, $0 to call"}])}, "dev")
    document = openapi_document(cfg, {"iris": {"type": "aws_proxy"}}, "arn:aws:apigateway:eu-west-1:lambda:path/x")
    assert mock_answer(document, "/models")["models"][0]["description"] == "#1 model, $0 to call"



@pytest.mark.parametrize(("protocol", "answer", "expected"), [
    ("kserve-v1", '{"predictions": [0.93]}', {"model": "sentiment", "predictions": [0.93]}),
    ("ml-edge", None, None),  # passes through unchanged: the server answers in the contract itself
])
def test_an_http_model_servers_answer_becomes_the_contract(protocol, answer, expected):
    """A stock KServe V1 server answers {"predictions": [...]} without "model" (issue 18, item 1): the integration
    maps it, as for SageMaker; a server that speaks the contract is passed through."""
    cfg = load_config({**CONSUMERS, "aws:region": "eu-west-1", "ml-edge:models": json.dumps([
        {"name": "sentiment", "backend": "http", "url": "https://models.example.com/v1/models/s:predict",
         "protocol": protocol, "example": {"instances": ["good"]}}])}, "dev")
    from ml_edge.backends import http_integration
    responses = http_integration(cfg.models[0])["responses"]
    assert responses["5\\d{2}"]["statusCode"] == "502"
    if expected is None:
        assert "responseTemplates" not in responses["default"]
        return
    template = responses["default"]["responseTemplates"]["application/json"]
    assert json.loads(template.replace("$input.json('$.predictions')", json.loads(answer) and
                                       json.dumps(json.loads(answer)["predictions"]))) == expected
    assert json.loads(responses["4\\d{2}"]["responseTemplates"]["application/json"])["message"]
