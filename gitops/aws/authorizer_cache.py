"""After `pulumi up`: forget the consumer authorizer's cached answers on the stage.

API Gateway caches each key's answer (the routes it may call) for up to 300 s. A deploy that removes a consumer or
narrows its models changes only the authorizer's code, so without a flush the old answer would keep applying,
and the smoke suite right after the deploy would test it."""

import boto3
from botocore.exceptions import BotoCoreError, ClientError


class FlushFailed(RuntimeError):
    pass


def client(region: str):
    """An API Gateway client for the API's region, with the credentials of the environment (the deploy role)."""
    return boto3.client("apigateway", region_name=region)


def flush(apigateway, rest_api_id: str, stage: str) -> None:
    try:
        apigateway.flush_stage_authorizers_cache(restApiId=rest_api_id, stageName=stage)
    except (ClientError, BotoCoreError) as error:
        raise FlushFailed(f"could not flush the authorizer cache of stage {stage} of REST API {rest_api_id}: "
                          f"{error}") from error
