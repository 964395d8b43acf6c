"""Model backends: each turns one configured model into an API Gateway integration for its predict route.

reference  the iris classifier in ./reference_model, as a Lambda function (AWS_PROXY integration)
sagemaker  an existing SageMaker endpoint (AWS integration, an IAM role allowed to invoke only these endpoints)
http       an existing HTTPS model server (HTTP integration, not proxy: no client header reaches it; it must
           answer in the API's contract and should accept only API Gateway's client certificate)
"""

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .config import HttpModel, ReferenceModel, SageMakerModel
from .lambda_function import FunctionSettings, allow_api_gateway, python_function
from .roles import service_role

REFERENCE_DIR = Path(__file__).with_name("reference_model")
REFERENCE_FILES = ("__init__.py", "handler.py", "model.py", "weights.json")
CONSUMER_HEADER = "X-ML-Edge-Consumer"  # tells a model server which consumer calls, never the consumer's key

# SageMaker containers and KServe V1 servers answer {"predictions": [...]}: mapped onto the API's contract, and
# their errors onto JSON 400/502 (a fixed message: their error bodies are not the API's).
SAGEMAKER_CLIENT_ERROR = ('{"message": "the model rejected the request (SageMaker answered 4xx); '
                          'compare the instances with the example in GET /models"}')
MODEL_SERVER_CLIENT_ERROR = ('{"message": "the model server rejected the request (4xx); '
                             'compare the instances with the example in GET /models"}')
BACKEND_FAILED = '{"message": "the model backend failed"}'
JSON = "application/json"


def predictions_template(model_name: str) -> str:
    """A response mapping template: the backend's {"predictions": [...]} as {"model": <name>, "predictions": [...]}."""
    return '{"model": ' + json.dumps(model_name) + ', "predictions": $input.json(\'$.predictions\')}'


class ReferenceBackend(pulumi.ComponentResource):
    """The reference model as a Lambda function with its own log group and execution role; `max_instances` is the
    most instances one request may hold (the API validates it first, the function again)."""

    def __init__(self, name: str, model: ReferenceModel, functions: FunctionSettings, max_instances: int,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:backends:ReferenceModel", name, None, opts)
        self.model = model
        self.name = name
        self.region = functions.region
        self.function = python_function(
            name, self, functions,
            code=pulumi.AssetArchive({
                f"reference_model/{file}": pulumi.FileAsset(str(REFERENCE_DIR / file)) for file in REFERENCE_FILES
            }),
            handler="reference_model.handler.handler",
            log_group_name=f"/ml-edge/{functions.environment}/models/{model.name}",
            description=f"ml-edge {functions.environment}: reference model {model.name}",
            memory_mb=model.memory_mb,
            reserved_concurrency=model.reserved_concurrency,
            timeout_seconds=max(1, model.timeout_ms // 1000),
            variables={"MODEL_NAME": model.name, "MAX_INSTANCES": str(max_instances)},
        )
        self.register_outputs({})

    def integration(self) -> pulumi.Output[dict]:
        return self.function.invoke_arn.apply(lambda uri: {
            "type": "aws_proxy",
            "httpMethod": "POST",
            "uri": uri,
            "passthroughBehavior": "when_no_match",
            "timeoutInMillis": self.model.timeout_ms,
        })

    def allow_api(self, execution_arn: pulumi.Output[str]) -> aws.lambda_.Permission:
        """Let only this API's predict route invoke the function."""
        return allow_api_gateway(f"{self.name}-invoke", self, self.function, execution_arn,
                                 f"*/POST/models/{self.model.name}/predict", self.region)


class SageMakerAccess(pulumi.ComponentResource):
    """One IAM role API Gateway assumes to call the environment's SageMaker endpoints (in `region`, the API's), and
    nothing else."""

    def __init__(self, name: str, models: list[SageMakerModel], region: str, environment: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:backends:SageMakerAccess", name, None, opts)
        self.region = region
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        endpoint_arns = pulumi.Output.all(partition.partition, identity.account_id).apply(lambda args: [
            f"arn:{args[0]}:sagemaker:{region}:{args[1]}:endpoint/{m.endpoint_in(region).lower()}" for m in models
        ])
        self.role = service_role(f"{name}-role", self, environment, "apigateway.amazonaws.com",
                                 "API Gateway invokes the ml-edge SageMaker endpoints")
        aws.iam.RolePolicy(f"{name}-invoke", role=self.role.id,
                           policy=endpoint_arns.apply(lambda arns: json.dumps({
                               "Version": "2012-10-17",
                               "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint",
                                              "Resource": arns}],
                           })),
                           opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})

    def integration(self, model: SageMakerModel) -> pulumi.Output[dict]:
        return self.role.arn.apply(lambda role_arn: sagemaker_integration(model, self.region, role_arn))


def sagemaker_integration(model: SageMakerModel, region: str, role_arn: str) -> dict:
    return {
        "type": "aws",
        "httpMethod": "POST",
        "uri": f"arn:aws:apigateway:{region}:runtime.sagemaker:path/endpoints/{model.endpoint_in(region)}/invocations",
        "credentials": role_arn,
        "passthroughBehavior": "never",
        "timeoutInMillis": model.timeout_ms,
        "requestParameters": {
            "integration.request.header.Content-Type": "'application/json'",
            "integration.request.header.Accept": "'application/json'",
        },
        "requestTemplates": {"application/json": "$input.body"},
        "responses": {
            "default": {"statusCode": "200", "responseTemplates": {JSON: predictions_template(model.name)}},
            "4\\d{2}": {"statusCode": "400", "responseTemplates": {JSON: SAGEMAKER_CLIENT_ERROR}},
            "5\\d{2}": {"statusCode": "502", "responseTemplates": {"application/json": BACKEND_FAILED}},
        },
    }


def http_integration(model: HttpModel, region: str | None = None) -> dict:
    """Not a proxy: an HTTP_PROXY integration passes every request header on, the origin secret (X-Origin-Verify)
    and the consumer's x-api-key included. Here only the mapped headers reach the model server, and the body
    passes unchanged; the model server's 2xx answer passes unchanged, a 4xx becomes 400, a 5xx a JSON 502. `region`
    picks the server of a model configured per region."""
    return {
        "type": "http",
        "httpMethod": "POST",
        "uri": model.url_in(region),
        "connectionType": "INTERNET",
        "passthroughBehavior": "never",
        "timeoutInMillis": model.timeout_ms,
        "requestParameters": {
            "integration.request.header.Content-Type": "'application/json'",
            "integration.request.header.Accept": "'application/json'",
            f"integration.request.header.{CONSUMER_HEADER}": "context.authorizer.consumer",
        },
        "requestTemplates": {"application/json": "$input.body"},
        "responses": http_responses(model),
    }


def http_responses(model: HttpModel) -> dict:
    """`ml-edge`: the server's answer passes as it is (a 4xx as 400); `kserve-v1`: mapped onto the contract."""
    failed = {"statusCode": "502", "responseTemplates": {"application/json": BACKEND_FAILED}}
    if model.protocol == "kserve-v1":
        return {
            "default": {"statusCode": "200", "responseTemplates": {JSON: predictions_template(model.name)}},
            "4\\d{2}": {"statusCode": "400", "responseTemplates": {JSON: MODEL_SERVER_CLIENT_ERROR}},
            "5\\d{2}": failed,
        }
    return {"default": {"statusCode": "200"}, "4\\d{2}": {"statusCode": "400"}, "5\\d{2}": failed}
