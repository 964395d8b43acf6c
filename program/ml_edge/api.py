"""ModelApi: the REGIONAL API Gateway REST API, its stage, and the guard that admits only CloudFront.

inputs   ModelApiArgs (the part of the config the API uses), the origin secret, the consumers' authorizer
creates  backends · RestApi (OpenAPI body) · Deployment (re-created when the body changes) · Stage with access
         logs and tracing, and (with HTTP model servers) the client certificates of ml-edge:backendCertificate,
         one of which API Gateway presents to them ·
         the stage's execution-log group (AWS would create it without retention) · stage-wide throttling ·
         a REGIONAL WAF web ACL that answers 403 to any request without the origin secret header
outputs  origin (the ApiOrigin the edge takes: the stage's host and path, the guard), rest_api_id, stage_name,
         invoke_url, backend_certificates (slot → certificate; empty without HTTP model servers),
         presented_certificate (the slot the stage presents, or None)
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from . import backends
from .config import BackendCertificateConfig, HttpModel, Model, ReferenceModel, SageMakerModel, Throttling, default
from .consumers import Consumers
from .lambda_function import FunctionSettings
from .openapi import ERROR_HEADERS, REGION_HEADER, openapi_document
from .origin import DEFAULT_ORIGIN_ID, ApiOrigin, invoke_url_host
from .origin_secret import OriginSecret
from .placement import region_argument

ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "method": "$context.httpMethod",
    "path": "$context.path", "status": "$context.status", "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency", "integrationLatencyMs": "$context.integrationLatency",
    "wafStatus": "$context.waf.status", "consumer": "$context.authorizer.consumer",
    "error": "$context.error.message",
})


def execution_log_group_name(rest_api_id: str, stage: str) -> str:
    """The group API Gateway writes execution logs to; if it does not exist, AWS creates it with no retention."""
    return f"API-Gateway-Execution-Logs_{rest_api_id}/{stage}"


@dataclass(frozen=True)
class ModelApiArgs:
    """What the API takes from the environment's config (stack.py builds it); the defaults are the config's."""

    environment: str
    """Names the API, its log groups and its functions' roles; `GET /health` answers with it."""
    region: str
    """The API's region (SageMaker endpoints are called there)."""
    models: Sequence[Model]
    """One predict route and backend each (unique names)."""
    stage_name: str = default("stage_name")
    """The one stage, and so the edge's origin path `/<stage>`."""
    max_instances: int = default("max_instances")
    """Instances per predict request (request validation, and the reference model's own check)."""
    throttling: Throttling = default("throttling")
    """Stage-wide rate and burst."""
    tracing: bool = default("tracing")
    """X-Ray on the stage and the functions."""
    log_retention_days: int = default("log_retention_days")
    """Days CloudWatch Logs keeps the access, execution and function logs."""
    backend_certificate: BackendCertificateConfig = default("backend_certificate")
    """With HTTP models: the client certificates held and the one presented."""
    origin_id: str = DEFAULT_ORIGIN_ID
    """The id of the API's origin in the distribution."""
    home: bool = True
    """In the stack's own region (`aws:region`): the resources take the provider's region; elsewhere each regional
    resource gets `region=` (placement.py)."""

    @property
    def placed_in(self) -> str | None:
        """The `region` argument of the API's regional resources: None at home."""
        return None if self.home else self.region

    @property
    def functions(self) -> FunctionSettings:
        return FunctionSettings(self.environment, self.log_retention_days, self.tracing, self.placed_in)


class ModelApi(pulumi.ComponentResource):
    origin: ApiOrigin
    rest_api_id: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    invoke_url: pulumi.Output[str]
    backend_certificates: dict[str, aws.apigateway.ClientCertificate]
    presented_certificate: str | None

    def __init__(self, name: str, args: ModelApiArgs, origin_secret: OriginSecret, consumers: Consumers,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:index:ModelApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        regional = region_argument(args.placed_in)

        integrations, references = self._backends(name, args)
        body = pulumi.Output.all(pulumi.Output.from_input(integrations), consumers.authorizer_uri).apply(
            lambda resolved: json.dumps(openapi_document(args, resolved[0], resolved[1]), indent=2, sort_keys=True))
        self.rest_api = aws.apigateway.RestApi(
            name,
            body=body,
            endpoint_configuration={"types": "REGIONAL"},
            fail_on_warnings=True,
            description=f"ml-edge {args.environment}: ML models behind CloudFront",
            opts=child,
            **regional,
        )
        permissions = [backend.allow_api(self.rest_api.execution_arn) for backend in references]
        permissions.append(consumers.allow_api(self.rest_api.execution_arn))
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.rest_api.id,
            triggers={"openapi-sha256": body.apply(lambda text: hashlib.sha256(text.encode()).hexdigest())},
            description="Re-created whenever the OpenAPI body changes",
            opts=pulumi.ResourceOptions(parent=self, depends_on=permissions),
            **regional,
        )
        access_logs = aws.cloudwatch.LogGroup(f"{name}-access-logs", name=f"/ml-edge/{args.environment}/api-access",
                                              retention_in_days=args.log_retention_days, opts=child, **regional)
        has_http_models = any(isinstance(m, HttpModel) for m in args.models)
        self.backend_certificates = {slot: aws.apigateway.ClientCertificate(
            f"{name}-backend-certificate-{slot}",
            description=f"ml-edge {args.environment}: slot {slot} of the certificates API Gateway presents to the "
                        f"HTTP model servers (mutual TLS)",
            opts=child, **regional) for slot in (args.backend_certificate.issued if has_http_models else [])}
        self.presented_certificate = args.backend_certificate.present if has_http_models else None
        certificate = self.backend_certificates.get(self.presented_certificate)
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.rest_api.id,
            deployment=deployment.id,
            stage_name=args.stage_name,
            access_log_settings={"destination_arn": access_logs.arn, "format": ACCESS_LOG_FORMAT},
            xray_tracing_enabled=args.tracing,
            client_certificate_id=certificate.id if certificate else None,
            opts=child,
            **regional,
        )
        # created before execution logging is switched on, so API Gateway never creates it without retention
        execution_logs = aws.cloudwatch.LogGroup(
            f"{name}-execution-logs",
            name=pulumi.Output.all(self.rest_api.id, self.stage.stage_name).apply(
                lambda args: execution_log_group_name(*args)),
            retention_in_days=args.log_retention_days,
            opts=child,
            **regional,
        )
        aws.apigateway.MethodSettings(
            f"{name}-throttling",
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings={
                "throttling_rate_limit": args.throttling.rate_limit,
                "throttling_burst_limit": args.throttling.burst_limit,
                "metrics_enabled": True,
                "logging_level": "ERROR",
                "data_trace_enabled": False,  # request bodies may hold personal data
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[execution_logs]),
            **regional,
        )
        self.origin_guard = self._origin_guard(name, origin_secret, args.region, regional)
        # the host as the provider computes the stage's invoke URL (the API's id, region and partition)
        self.origin = ApiOrigin(origin_id=args.origin_id,
                                domain_name=self.stage.invoke_url.apply(invoke_url_host),
                                origin_path=pulumi.Output.concat("/", self.stage.stage_name),
                                guard=self.origin_guard)

        self.region = args.region
        self.rest_api_id = self.rest_api.id
        self.stage_name = self.stage.stage_name
        self.invoke_url = self.stage.invoke_url
        self.register_outputs({"rest_api_id": self.rest_api_id, "invoke_url": self.invoke_url})

    def _backends(self, name: str, args: ModelApiArgs):
        integrations: dict[str, pulumi.Output[dict] | dict] = {}
        references = []
        sagemaker_models = [m for m in args.models if isinstance(m, SageMakerModel)]
        sagemaker = (backends.SageMakerAccess(f"{name}-sagemaker", sagemaker_models, args.region, args.environment,
                                              opts=pulumi.ResourceOptions(parent=self))
                     if sagemaker_models else None)
        for model in args.models:
            if isinstance(model, ReferenceModel):
                backend = backends.ReferenceBackend(f"{name}-{model.name}", model, args.functions, args.max_instances,
                                                    opts=pulumi.ResourceOptions(parent=self))
                references.append(backend)
                integrations[model.name] = backend.integration()
            elif isinstance(model, SageMakerModel):
                integrations[model.name] = sagemaker.integration(model)
            elif isinstance(model, HttpModel):
                integrations[model.name] = backends.http_integration(model, args.region)
        return integrations, references

    def _origin_guard(self, name: str, origin_secret: OriginSecret, region: str, regional: dict) -> aws.wafv2.WebAcl:
        """A REGIONAL web ACL on the stage: requests carrying an accepted origin secret pass (either of two while
        a secret is rotated), all others get a JSON 403. Its custom response takes precedence over API Gateway's
        gateway responses, so it carries their headers itself, the region's name included (a custom response's
        headers keep their names: only headers WAF inserts into a request get the `x-amzn-waf-` prefix). Sampled
        requests stay off: they show request headers, so the live secret, to anyone who may read the web ACL;
        metrics stay on."""
        visibility = {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": False}
        matches = [{"byte_match_statement": {
            "field_to_match": {"single_header": {"name": origin_secret.header.lower()}},
            "positional_constraint": "EXACTLY",
            "search_string": value,
            "text_transformations": [{"priority": 0, "type": "NONE"}],
        }} for value in origin_secret.accepted]
        acl = aws.wafv2.WebAcl(
            f"{name}-origin-guard",
            scope="REGIONAL",
            description="Admits only requests that came through the ml-edge CloudFront distribution",
            default_action={"block": {"custom_response": {
                "response_code": 403,
                "custom_response_body_key": "forbidden",
                "response_headers": [{"name": header, "value": value}
                                     for header, value in {**ERROR_HEADERS, REGION_HEADER: region}.items()],
            }}},
            custom_response_bodies=[{"key": "forbidden", "content": '{"message": "Forbidden"}',
                                     "content_type": "APPLICATION_JSON"}],
            rules=[{
                "name": "origin-secret-header",
                "priority": 0,
                "action": {"allow": {}},
                "statement": matches[0] if len(matches) == 1 else {"or_statement": {"statements": matches}},
                "visibility_config": {**visibility, "metric_name": f"{name}-origin-secret"},
            }],
            visibility_config={**visibility, "metric_name": f"{name}-origin-guard"},
            opts=pulumi.ResourceOptions(parent=self),
            **regional,
        )
        aws.wafv2.WebAclAssociation(f"{name}-origin-guard", resource_arn=self.stage.arn, web_acl_arn=acl.arn,
                                    opts=pulumi.ResourceOptions(parent=self), **regional)
        return acl
