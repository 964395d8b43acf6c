"""Every region serves the same models: each region's REST API (its OpenAPI body) has the same operations.

Route 53 sends a caller to the nearest healthy region, not to the one that has the model: a model or route missing
in one region answers 404 (or 403) to exactly the callers near it, while every check run from elsewhere passes.
"""

from pulumi_policy import EnforcementLevel

from .aws import REST_API
from .openapi import document, operations
from .rule import UNKNOWN, Finding, Resource, Rule, region_of

PREDICT_SUFFIX = "/predict"


def scan_stack(resources: list[Resource], config: dict):
    served: dict = {}  # region → {(path, METHOD)}
    apis: dict = {}  # region → the REST API a finding names
    for api in (r for r in resources if r.type == REST_API):
        openapi, region = document(api), region_of(api)
        if not isinstance(openapi, dict) or region is UNKNOWN:
            return  # a body or region known only at deploy (a malformed body is another rule's finding)
        served.setdefault(region, set()).update((path, method.upper()) for path, method, _ in operations(openapi))
        apis.setdefault(region, api)
    every = set().union(*served.values()) if served else set()
    for region, operations_here in served.items():
        for path, method in sorted(every - operations_here):
            elsewhere = ", ".join(sorted(_named(r) for r in served if (path, method) in served[r]))
            yield Finding(f"region {_named(region)}", f"missing {_operation(path, method)}, which {elsewhere} "
                          f"serve{'s' * (',' not in elsewhere)}",
                          "the same models and routes in every region (deploy each model's backend to every region "
                          "of ml-edge:regions)", resource=apis[region])


def _named(region) -> str:
    return region if isinstance(region, str) else "the stack's region"


def _operation(path: str, method: str) -> str:
    if path.endswith(PREDICT_SUFFIX):
        return f"model {path.removesuffix(PREDICT_SUFFIX).rsplit('/', 1)[-1]} ({method} {path})"
    return f"route {method} {path}"


RULE = Rule(
    name="regions-serve-same-models",
    description="Every region's REST API serves the same operations (models and routes): Route 53 sends each "
                "caller to the nearest healthy region, whichever models it has.",
    remediation="Build every region's API from the same model list (program/ml_edge/regional.py); a model's "
                "endpointName or url given as a map must name every region of ml-edge:regions.",
    config={},
    enforcement=EnforcementLevel.MANDATORY,
    scan_stack=scan_stack,
)
