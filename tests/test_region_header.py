"""Every answer of a region's API names that region (X-ML-Edge-Region), and the edge passes it on: the smoke suite
reports which region served the edge's predict from it.

Per region of each environment (prod runs in three): the OpenAPI body's method responses declare the header, every
integration response of a mock or non-proxy integration maps it to the region as a static value, a proxy
integration calls a function of that region (the reference model sets the header from AWS_REGION, see
test_reference_model.py), every gateway response (API Gateway's own errors) and the origin guard's 403 carry it.
"""

from plan_views import behaviours, openapi

from gitops.planning.plan import Plan
from ml_edge.edge import SECURITY_HEADERS
from ml_edge.openapi import REGION_HEADER
from ml_edge.resource_types import WEB_ACL

MAPPED = f"method.response.header.{REGION_HEADER}"
PROXY_TYPES = ("aws_proxy", "http_proxy")


def regional_documents(plan: Plan) -> dict[str, dict]:
    """Each region's OpenAPI body, one per region of the environment."""
    documents = {region: openapi(plan.in_region(region)) for region in plan.config.regions}
    assert len(documents) == len(plan.config.regions) >= 1
    return documents


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_prod_is_judged_in_every_one_of_its_regions(plans):
    assert len(regional_documents(plans["prod"])) == 3


def test_every_method_response_declares_the_region_header(plan):
    for region, document in regional_documents(plan).items():
        for name, operation in operations(document):
            for status, response in operation["responses"].items():
                assert response.get("headers", {}).get(REGION_HEADER) == {"schema": {"type": "string"}}, \
                    (region, name, status)


def test_every_integration_response_maps_the_region_it_is_deployed_in(plan):
    for region, document in regional_documents(plan).items():
        for name, operation in operations(document):
            integration = operation["x-amazon-apigateway-integration"]
            if integration["type"] in PROXY_TYPES:
                # the backend answers for itself: a function of this very region (its AWS_REGION)
                assert integration["uri"].startswith(f"arn:aws:apigateway:{region}:lambda:path/"), (region, name)
                assert f":lambda:{region}:" in integration["uri"].split("/functions/", 1)[1], (region, name)
                continue
            assert integration["responses"], (region, name)
            for pattern, response in integration["responses"].items():
                assert response["responseParameters"][MAPPED] == f"'{region}'", (region, name, pattern)
                # API Gateway maps a header only onto a method response that declares it
                assert response["statusCode"] in operation["responses"], (region, name, pattern)


def test_every_gateway_response_names_the_region(plan):
    for region, document in regional_documents(plan).items():
        for kind, response in document["x-amazon-apigateway-gateway-responses"].items():
            assert response["responseParameters"][f"gatewayresponse.header.{REGION_HEADER}"] == f"'{region}'", \
                (region, kind)


def test_the_origin_guards_refusal_names_its_region(plan):
    for region in plan.config.regions:
        [guard] = [acl for acl in plan.in_region(region).of_type(WEB_ACL) if acl.inputs["scope"] == "REGIONAL"]
        headers = guard.inputs["defaultAction"]["block"]["customResponse"]["responseHeaders"]
        assert {"name": REGION_HEADER, "value": region} in headers, region


def test_the_edge_passes_the_region_header_to_the_viewer(plan):
    """The managed SecurityHeadersPolicy adds security headers and removes none (CloudFront developer guide,
    "Use managed response headers policies"); a policy of our own would have to be checked for a RemoveHeader."""
    assert {b["responseHeadersPolicyId"] for b in behaviours(plan)} == {SECURITY_HEADERS}

