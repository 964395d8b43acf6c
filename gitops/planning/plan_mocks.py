"""Pulumi's mock runtime, set up to record what a program plans.

`PlanMonitor` keeps every registered resource's inputs exactly as the engine would receive them (camelCase,
nested secrets marked with `Secret`); `PlanMocks` answers with plausible, deterministic cloud values (ids, ARNs,
URLs) so that everything derived from them can be planned too.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

from ..stacks import program_path  # noqa: F401  (makes the program's ml_edge package importable)

# isort: split

from ml_edge.naming import AUTONAME_RANDOM_CHARS, NAME_LIMITS
from ml_edge.regions import DNS_SUFFIX, PARTITION
from ml_edge.resource_types import (
    API_DOMAIN_NAME,
    API_KEY,
    CACHE_POLICY,
    CERTIFICATE,
    CERTIFICATE_VALIDATION,
    CLIENT_CERTIFICATE,
    DEPLOYMENT,
    DISTRIBUTION,
    DNS_RECORD,
    EVENT_RULE,
    FUNCTION,
    GET_CALLER_IDENTITY,
    GET_PARTITION,
    GET_REGION,
    HEALTH_CHECK,
    IAM_ROLE,
    LOG_DELIVERY,
    LOG_DELIVERY_DESTINATION,
    LOG_DELIVERY_SOURCE,
    LOG_GROUP,
    LOG_RESOURCE_POLICY,
    RANDOM_PASSWORD,
    REST_API,
    STAGE,
    WEB_ACL,
)

ACCOUNT_ID = "123456789012"
DELIVERY_ARN_KINDS = {LOG_DELIVERY_SOURCE: "delivery-source",
                      LOG_DELIVERY_DESTINATION: "delivery-destination"}


@dataclass(frozen=True)
class Secret:
    """A value the program marked secret. Its repr never shows the value."""

    value: Any = field(repr=False)

    def __repr__(self) -> str:
        return "[secret]"

    __str__ = __repr__


class Unknown:
    """A value only the cloud can tell (never produced by PlanMocks, kept for completeness)."""

    def __repr__(self) -> str:
        return "[unknown]"


@dataclass(frozen=True)
class Registration:
    urn: str
    id: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict = field(default_factory=dict)  # property → URNs its value came from
    delete_before_replace: bool = False


class PlanMonitor(MockMonitor):
    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: the type qualified by the parent's whole chain of types (as the SDK's own
        create_urn computes an alias: the parent's URN up to its name, `$`, the type), the root stack left out.
        The SDK's MockMonitor keeps only the nearest parent's type, so a resource moved between components would
        keep its mock URN while the engine would replace it."""
        if parent and parent.split("::")[2] != "pulumi:pulumi:Stack":
            return f"{parent[:parent.rfind('::')]}${type_}::{name}"
        return super().make_urn("", type_, name)

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = plain(request.object)
            limit = NAME_LIMITS.get(request.type)
            if request.custom and limit and limit.prop not in inputs:
                inputs[limit.prop] = autoname(request.type, request.name)  # what the engine would send
            self.registrations.append(Registration(
                urn=response.urn, id=response.id, type=request.type, name=request.name, parent=request.parent,
                custom=request.custom, inputs=inputs, dependencies=tuple(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                delete_before_replace=request.deleteBeforeReplace,
            ))
        return response


def stage_invoke_url(api_id: str, region: str, stage: str) -> str:
    """A stage's invoke URL as the provider computes it (the regional execute-api host, then the stage)."""
    return f"https://{api_id}.execute-api.{region}.{DNS_SUFFIX}/{stage}"


def autoname(kind: str, logical_name: str) -> str:
    """The engine's autonaming: the logical name, `-`, and 7 random hexadecimal characters (here derived from
    the type and name, so a plan is reproducible)."""
    digest = hashlib.sha256(f"autoname:{kind}::{logical_name}".encode()).hexdigest()
    return f"{logical_name}-{digest[:AUTONAME_RANDOM_CHARS]}"


def plain(value: Any) -> Any:
    """Protobuf property values → Python, keeping secrets marked where they are (the SDK lifts them upwards)."""
    if isinstance(value, struct_pb2.Struct):
        signature = value[rpc._special_sig_key] if rpc._special_sig_key in value else None
        if signature == rpc._special_secret_sig:
            return Secret(plain(value["value"]))
        if signature == rpc._special_archive_sig:
            if "assets" not in value:
                return {"archive": value["path"] if "path" in value else None}
            return {"archive": {name: plain(asset) for name, asset in sorted(value["assets"].items())}}
        if signature == rpc._special_asset_sig:
            return {"asset": value["path"]} if "path" in value else {"text": value["text"] if "text" in value else ""}
        if signature == rpc._special_resource_sig:
            return value["urn"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, struct_pb2.ListValue):
        return [plain(item) for item in value]
    if value == rpc.UNKNOWN:
        return Unknown()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class PlanMocks(Mocks):
    """Deterministic stand-ins for what AWS would return."""

    def __init__(self, region: str):
        self.region = region

    def call(self, args: MockCallArgs):
        if args.token == GET_CALLER_IDENTITY:
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/preview", "userId": "PREVIEW"}
        if args.token == GET_PARTITION:
            return {"partition": PARTITION, "dnsSuffix": DNS_SUFFIX, "reverseDnsPrefix": "com.amazonaws"}
        if args.token == GET_REGION:
            return {"name": self.region, "region": self.region}
        return {}

    def new_resource(self, args: MockResourceArgs):
        inputs = dict(args.inputs)
        region = _unwrap(inputs.get("region")) or self.region
        token = _token(args.typ, args.name)
        arn = f"arn:aws:{args.typ.split(':')[1].split('/')[0]}:{region}:{ACCOUNT_ID}:{args.name}"
        state: dict[str, Any] = {"arn": arn, **inputs}
        resource_id = f"{args.name}-id"
        kind = args.typ
        limit = NAME_LIMITS.get(kind)
        if limit and limit.prop not in inputs:
            state[limit.prop] = autoname(kind, args.name)
        if kind == REST_API:
            resource_id = token[:10]
            state.setdefault("name", autoname(kind, args.name))  # the metrics' ApiName dimension
            state.update(rootResourceId=token[10:20],
                         executionArn=f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{resource_id}",
                         arn=f"arn:aws:apigateway:{region}::/restapis/{resource_id}")
        elif kind == STAGE:
            api, stage = _unwrap(inputs["restApi"]), _unwrap(inputs["stageName"])
            state.update(invokeUrl=stage_invoke_url(api, region, stage),
                         arn=f"arn:aws:apigateway:{region}::/restapis/{api}/stages/{stage}",
                         executionArn=f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api}/{stage}")
        elif kind == DEPLOYMENT:
            resource_id = token[:6]
        elif kind == FUNCTION:
            name = state["name"]
            arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
            state.update(name=name, arn=arn,
                         invokeArn=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations")
            resource_id = name
        elif kind == IAM_ROLE:
            name = state["name"]
            state.update(arn=f"arn:aws:iam::{ACCOUNT_ID}:role{_unwrap(inputs.get('path')) or '/'}{name}")
            resource_id = name
        elif kind == LOG_GROUP:
            state["arn"] = f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{_unwrap(inputs.get('name'))}"
            resource_id = _unwrap(inputs.get("name")) or resource_id
        elif kind in DELIVERY_ARN_KINDS:  # CloudWatch Logs delivery sources and destinations are named
            resource_id = _unwrap(inputs.get("name")) or resource_id
            state["arn"] = f"arn:aws:logs:{region}:{ACCOUNT_ID}:{DELIVERY_ARN_KINDS[kind]}:{resource_id}"
        elif kind == LOG_DELIVERY:  # a delivery gets a generated id
            resource_id = token[:16]
            state["arn"] = f"arn:aws:logs:{region}:{ACCOUNT_ID}:delivery:{resource_id}"
        elif kind == LOG_RESOURCE_POLICY:
            resource_id = _unwrap(inputs.get("resourceArn")) or _unwrap(inputs.get("policyName")) or resource_id
        elif kind == WEB_ACL:
            scope = "global" if _unwrap(inputs.get("scope")) == "CLOUDFRONT" else "regional"
            state["arn"] = f"arn:aws:wafv2:{region}:{ACCOUNT_ID}:{scope}/webacl/{args.name}/{_uuid(token)}"
            resource_id = _uuid(token)
        elif kind == DISTRIBUTION:
            resource_id = "E" + token[:13].upper()
            state.update(domainName=f"d{token[:13]}.cloudfront.net", hostedZoneId="Z2FDTNDATAQYW2",
                         arn=f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{resource_id}")
        elif kind == CACHE_POLICY:
            resource_id = _uuid(token)
        elif kind == CLIENT_CERTIFICATE:
            resource_id = token[:6]
            state.update(pemEncodedCertificate=f"-----BEGIN CERTIFICATE-----\n{token}\n-----END CERTIFICATE-----\n",
                         expirationDate="2027-11-27T00:00:00Z")
        elif kind == DNS_RECORD:
            resource_id = f"{_unwrap(inputs['zoneId'])}_{_unwrap(inputs['name'])}_{_unwrap(inputs['type'])}"
            if inputs.get("setIdentifier"):
                resource_id += f"_{_unwrap(inputs['setIdentifier'])}"
            state["fqdn"] = _unwrap(inputs["name"]).rstrip(".")
        elif kind == CERTIFICATE:
            resource_id = _uuid(token)
            state["arn"] = f"arn:aws:acm:{region}:{ACCOUNT_ID}:certificate/{resource_id}"
            state["domainValidationOptions"] = [acm_dns_challenge(_unwrap(inputs["domainName"]))]
        elif kind == CERTIFICATE_VALIDATION:
            resource_id = _unwrap(inputs["certificateArn"])
        elif kind == API_DOMAIN_NAME:
            resource_id = _unwrap(inputs["domainName"])
            state.update(regionalDomainName=f"d-{token[:10]}.execute-api.{region}.{DNS_SUFFIX}",
                         regionalZoneId=f"Z{hashlib.sha256(region.encode()).hexdigest()[:12].upper()}",
                         arn=f"arn:aws:apigateway:{region}::/domainnames/{resource_id}")
        elif kind == HEALTH_CHECK:
            resource_id = _uuid(token)
        elif kind == EVENT_RULE:  # on the default event bus
            resource_id = state["name"]
            state["arn"] = f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{resource_id}"
        elif kind == API_KEY:
            # API Gateway generates the value; a stand-in of the same shape, so secrecy can be tested
            state["value"] = _unwrap(inputs.get("value")) or api_key_value(args.name)  # or the value imported
            resource_id = token[:10]
        elif kind == RANDOM_PASSWORD:
            # looks like a real generated value, so guardrails judge it as they would the real one
            state["result"] = hashlib.sha256(f"preview:{args.name}".encode()).hexdigest()[: int(inputs["length"])]
            state["bcryptHash"] = "$2a$10$preview"
        return resource_id, state


def acm_dns_challenge(domain_name: str) -> dict:
    """The CNAME ACM asks for to validate `domain_name`: derived from the name alone, so the same in every region,
    as ACM's is for one name in one account."""
    digest = hashlib.sha256(f"acm:{domain_name}".encode()).hexdigest()
    return {"domainName": domain_name, "resourceRecordName": f"_{digest[:32]}.{domain_name}.",
            "resourceRecordType": "CNAME", "resourceRecordValue": f"_{digest[32:]}.acm-validations.aws."}


def api_key_value(logical_name: str) -> str:
    """A stand-in for the key API Gateway generates (40 characters), so hashing and secrecy can be tested."""
    return hashlib.sha256(f"preview-key:{logical_name}".encode()).hexdigest()[:40]


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return value["value"]
    return value


def _token(kind: str, name: str) -> str:
    digest = hashlib.sha256(f"{kind}::{name}".encode()).hexdigest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[int(digest[i:i + 2], 16) % len(alphabet)] for i in range(0, 64, 2))


def _uuid(token: str) -> str:
    h = hashlib.sha256(token.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
