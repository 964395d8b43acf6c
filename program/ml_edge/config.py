"""The environment's config as typed, validated objects: what each key means, its default and its limits.

config_loading.load_config builds an EnvConfig from the raw stack config, once.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from . import naming
from .patterns import DNS_NAME_PATTERN, HOSTED_ZONE_PATTERN, SAGEMAKER_ENDPOINT_PATTERN
from .regions import REGIONS, region_list_problem

NAMESPACE = "ml-edge"
REGION_KEY = "aws:region"
DEFAULT_TAGS_KEY = "aws:defaultTags"
ENVIRONMENT_TAG = "environment"  # the deploy role may touch only resources tagged with its environment

MAX_TTL_SECONDS = 31_536_000  # CloudFront's own ceiling (one year)
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)  # the values CloudWatch Logs accepts
REFERENCE_EXAMPLE = {"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}
# Lambda reserved concurrency: what a function may use at most, and what no other function of the account can take
# from it. AWS keeps 100 of the account's concurrency quota unreserved: with the default quota (1000) at most 900 can
# be reserved in all (a new account may start at 10, and must raise its quota before anything can be reserved).
RESERVED_CONCURRENCY_DEFAULT, RESERVED_CONCURRENCY_MAX = 10, 900
REFERENCE_FEATURES = 4


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True)


class Ttl(_Strict):
    """Seconds CloudFront keeps a cacheable response: min ≤ default ≤ max ≤ one year."""

    min_ttl: int = Field(0, ge=0, le=MAX_TTL_SECONDS, description="seconds")
    default_ttl: int = Field(ge=0, le=MAX_TTL_SECONDS, description="seconds, `minTtl ≤ defaultTtl ≤ maxTtl`")
    max_ttl: int = Field(ge=0, le=MAX_TTL_SECONDS, description="seconds")

    @model_validator(mode="after")
    def _ordered(self) -> Ttl:
        if not self.min_ttl <= self.default_ttl <= self.max_ttl:
            raise ValueError(f"TTLs must satisfy minTtl ≤ defaultTtl ≤ maxTtl, got {self.min_ttl} / "
                             f"{self.default_ttl} / {self.max_ttl}")
        return self


class CacheConfig(_Strict):
    """TTLs of the two cacheable GET routes. Inference (POST) is never cached."""

    health: Ttl = Field(Ttl(minTtl=0, defaultTtl=5, maxTtl=10), description="for `GET /health`")
    catalog: Ttl = Field(Ttl(minTtl=0, defaultTtl=60, maxTtl=300), description="for `GET /models`")


class Throttling(_Strict):
    """Stage-wide API Gateway throttling (steady requests per second, and burst)."""

    rate_limit: float = Field(10.0, gt=0, le=10_000, description="requests per second for the stage")
    burst_limit: int = Field(20, ge=1, le=5_000, description="requests the stage takes at once above the rate")


class CustomDomain(_Strict):
    """An alias for the distribution, with its ACM certificate (which CloudFront requires in us-east-1). With a
    Route 53 hosted zone id, the program creates the A and AAAA alias records; without one, whoever owns the
    zone creates them (see README) and the deploy waits for the name to resolve."""

    domain_name: str = Field(
        max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="a lower-case DNS name; becomes the distribution's alias and `edgeUrl`",
        json_schema_extra={"pattern": False, "default": "none"})
    certificate_arn: str = Field(
        pattern=r"^arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$",
        description="an ACM certificate ARN in `us-east-1`; viewer TLS then `TLSv1.2_2021`, `sni-only`",
        json_schema_extra={"pattern": False, "default": "required with a domain"})
    hosted_zone_id: str | None = Field(
        None, pattern=r"^Z[A-Z0-9]{1,32}$", json_schema_extra={"pattern": False},
        description="a Route 53 hosted zone id (`Z…`) holding the domain: the program creates `A` and `AAAA` alias "
                    "records to the distribution. Without it, whoever owns the zone creates them (an alias, or a "
                    "`CNAME` to the distribution's `*.cloudfront.net` name; see \"Custom domain\"), and the deploy "
                    "waits for the name to resolve before the smoke suite")


class OriginDomain(_Strict):
    """With more than one region: the one name CloudFront reaches the regional APIs by. Route 53 answers it with a
    latency record per region (the region nearest the asking CloudFront edge location whose health check passes),
    each an alias of that region's API Gateway custom domain of the same name, with an ACM certificate in that
    region validated in the zone."""

    name: str = Field(
        max_length=253, pattern=DNS_NAME_PATTERN, json_schema_extra={"pattern": False},
        description="a lower-case DNS name in the hosted zone, only for CloudFront (not the `customDomain`): the "
                    "distribution's origin, a latency record per region, and each region's API custom domain")
    hosted_zone_id: str = Field(
        pattern=HOSTED_ZONE_PATTERN, json_schema_extra={"pattern": False},
        description="the Route 53 hosted zone id (`Z…`) holding `name`: the latency records and the certificates' "
                    "validation record go there")


class Waf(_Strict):
    """A WAF web ACL in front of the distribution: IP reputation, known bad inputs and a per-IP rate rule."""

    enabled: bool = Field(False, description="`true` puts a WAF web ACL (us-east-1) on the distribution")
    rate_limit: int = Field(2_000, ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")


class Quota(_Strict):
    limit: int = Field(ge=1, le=2_000_000_000, description="requests per period and key")
    period: Literal["DAY", "WEEK", "MONTH"]


class Tier(_Strict):
    """A usage plan: steady rate and burst per consumer key, and an optional quota."""

    rate_limit: float = Field(gt=0, le=10_000, description="requests per second per key")
    burst_limit: int = Field(ge=1, le=5_000)
    quota: Quota | None = None


class Consumer(_Strict):
    """Who may call predict: one generated API key, the tier's usage plan, and the models it may call."""

    name: str = Field(pattern=f"^{naming.NAME_PATTERN}$", description="unique")
    tier: str = Field(description="a defined tier")
    models: Literal["all"] | list[str] = Field("all", description="or a non-empty list of model names")
    description: str = Field("", max_length=200)

    @field_validator("models")
    @classmethod
    def _some_models(cls, models: Literal["all"] | list[str]) -> Literal["all"] | list[str]:
        if models == []:
            raise ValueError('list at least one model (or "all"); to revoke a consumer, remove it')
        return models

    def may_call(self, model: str) -> bool:
        return self.models == "all" or model in self.models


class OriginSecretConfig(_Strict):
    """Which of the two generated origin secrets CloudFront sends, and which the API accepts.

    Steady: accept one value, send it. Rotating (a first pull request): accept both, send the new one. Then a
    second pull request accepts only the new one. Bump a slot's generation to regenerate a value nobody accepts.
    """

    send: Literal["a", "b"] = "a"
    accept: list[Literal["a", "b"]] = Field(default_factory=lambda: ["a"], min_length=1, max_length=2)
    generation: dict[Literal["a", "b"], int] = Field(default_factory=lambda: {"a": 1, "b": 1})

    @field_validator("accept")
    @classmethod
    def _distinct(cls, accept: list[str]) -> list[str]:
        if len(set(accept)) != len(accept):
            raise ValueError("list each value once")
        return accept

    @field_validator("generation")
    @classmethod
    def _positive(cls, generation: dict[str, int]) -> dict[str, int]:
        if any(n < 1 for n in generation.values()):
            raise ValueError("generations start at 1")
        return {"a": 1, "b": 1, **generation}

    @model_validator(mode="after")
    def _sent_is_accepted(self) -> OriginSecretConfig:
        if self.send not in self.accept:
            raise ValueError(f"send is {self.send!r} but accept is {self.accept}: CloudFront would send a value the "
                             f"API refuses. Rotate in two pull requests: first accept both and send the new one, "
                             f"then accept only the new one")
        return self

    @property
    def phase(self) -> str:
        return "rotating" if len(self.accept) == 2 else "steady"


class BackendCertificateConfig(_Strict):
    """The client certificates API Gateway holds for HTTP model servers (slots `a` and `b`), and the one it presents.

    Rotate in three pull requests, so that no model server ever sees a certificate it does not trust yet: issue the
    other slot (servers add its PEM to their trust), present it, then retire the old slot.
    """

    present: Literal["a", "b"] = "a"
    issued: list[Literal["a", "b"]] = Field(default_factory=lambda: ["a"], min_length=1, max_length=2)

    @field_validator("issued")
    @classmethod
    def _distinct(cls, issued: list[str]) -> list[str]:
        if len(set(issued)) != len(issued):
            raise ValueError("list each slot once")
        return issued

    @model_validator(mode="after")
    def _presented_is_issued(self) -> BackendCertificateConfig:
        if self.present not in self.issued:
            raise ValueError(f"present is {self.present!r} but issued is {self.issued}: API Gateway can only present "
                             f"a certificate it holds. Rotate in three pull requests: issue both, present the new "
                             f"one, then issue only the new one")
        return self


Example = dict[str, list[Any]]


RegionalValue = str | dict[str, str]


def _per_region(value: Any) -> list[tuple[str | None, str]]:
    """(region or None, value) of a value given once for every region or as a map region → value; a shape that is
    neither raises ValueError. Which regions a map must name is a whole-config check
    (EnvConfig._backends_everywhere)."""
    if isinstance(value, str):
        return [(None, value)]
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return list(value.items())
    raise ValueError("must be a string, or a non-empty map region → string")


def _for(region: str | None) -> str:
    return "" if region is None else f"for {region}: "


def _value_in(value: RegionalValue, region: str | None) -> str:
    """The value for `region`: the one value of all regions, or the map's entry (a map names every region)."""
    if isinstance(value, str):
        return value
    if region is None:
        raise ValueError("a value given per region needs the region")
    return value[region]


class _ModelBase(_Strict):
    name: str = Field(pattern=f"^{naming.NAME_PATTERN}$",
                      description="the route is `POST /models/<name>/predict`")
    description: str = Field("", max_length=200, description="shown in the catalog")
    timeout_ms: int = Field(10_000, ge=50, le=29_000, description="API Gateway's integration timeout")
    example: Example | None = Field(None, json_schema_extra={"default": "reference: two iris rows"}, description=(
        '`{"instances": [...]}`, a valid request; required for `sagemaker` and `http` (the smoke suite sends it)'))

    @field_validator("example")
    @classmethod
    def _example_shape(cls, value: Example | None) -> Example | None:
        if value is None:
            return value
        if set(value) != {"instances"} or not value["instances"]:
            raise ValueError('an example is a request body: {"instances": [...]} with at least one instance')
        return value


class ReferenceModel(_ModelBase):
    """The iris classifier shipped in this repository, served by a Lambda function."""

    backend: Literal["reference"]
    memory_mb: int = Field(256, ge=128, le=10_240, description="Lambda memory (MB)")
    # the Lambda's reserved concurrency: one model cannot starve the others, nor be starved by them
    reserved_concurrency: int = Field(
        RESERVED_CONCURRENCY_DEFAULT, ge=1, le=RESERVED_CONCURRENCY_MAX, description=(
            "the Lambda's reserved concurrency: the most requests it serves at once, and a share of the account's "
            "concurrency no other function can take. AWS keeps 100 of the account's quota unreserved, so the "
            "reservations of every environment in an account (models and authorizers) must fit in the quota minus "
            f"100 (with the default quota, 1000, at most {RESERVED_CONCURRENCY_MAX}; a new account may start at 10 "
            "and must ask for more first: Service Quotas, Lambda \"Concurrent executions\")"))

    @field_validator("example")
    @classmethod
    def _iris_instances(cls, value: Example | None) -> Example | None:
        for index, instance in enumerate((value or {}).get("instances", [])):
            if not (isinstance(instance, list) and len(instance) == REFERENCE_FEATURES
                    and all(_is_number(x) for x in instance)):
                raise ValueError(f"instances[{index}] must be a list of {REFERENCE_FEATURES} finite numbers "
                                 f"(sepal length, sepal width, petal length, petal width in cm)")
        return value

    @property
    def catalog_example(self) -> Example:
        return self.example or REFERENCE_EXAMPLE


class SageMakerModel(_ModelBase):
    """An existing SageMaker endpoint, called through API Gateway's AWS integration with its own IAM role."""

    backend: Literal["sagemaker"]
    endpoint_name: str | dict[str, str] = Field(description=(
        "an existing SageMaker endpoint in the API's region; with several `regions`, one name for all or a map "
        "region → name naming every region (a backend must exist in each)"))
    example: Example

    @field_validator("endpoint_name", mode="before")
    @classmethod
    def _endpoint_names(cls, value: Any) -> Any:
        for region, name in _per_region(value):
            if not re.fullmatch(SAGEMAKER_ENDPOINT_PATTERN, name):
                raise ValueError(f"{_for(region)}does not match {SAGEMAKER_ENDPOINT_PATTERN}")
        return value

    def endpoint_in(self, region: str | None) -> str:
        return _value_in(self.endpoint_name, region)

    @property
    def catalog_example(self) -> Example:
        return self.example


HTTP_PROTOCOLS = ("ml-edge", "kserve-v1")


class HttpModel(_ModelBase):
    """An existing HTTPS model server, reached through an HTTP integration. `protocol` says how it answers:
    `ml-edge` speaks the API's contract ({"model", "predictions"}), `kserve-v1` KServe's V1 protocol
    ({"predictions"} only; also TorchServe's and Triton's KServe-compatible endpoints): API Gateway maps it."""

    backend: Literal["http"]
    url: str | dict[str, str] = Field(description=(
        "an absolute `https://` URL, without credentials; with several `regions`, one URL for all or a map region → "
        "URL naming every region"))
    protocol: Literal["ml-edge", "kserve-v1"] = Field("ml-edge", description=(
        "how the server answers: the API's contract, passed through (`ml-edge`), or KServe V1's "
        "`{\"predictions\": [...]}` (`kserve-v1`; also the KServe-compatible endpoints of TorchServe and Triton), "
        "to which API Gateway adds the model's name"))
    example: Example

    @field_validator("url", mode="before")
    @classmethod
    def _https_urls(cls, value: Any) -> Any:
        for region, url in _per_region(value):
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                raise ValueError(f"{_for(region)}must be an absolute https:// URL")
            if parts.username or parts.password:
                raise ValueError(f"{_for(region)}must not carry credentials (user:password@)")
            if parts.fragment:
                raise ValueError(f"{_for(region)}must not have a #fragment")
        return value

    def url_in(self, region: str | None) -> str:
        return _value_in(self.url, region)

    @property
    def catalog_example(self) -> Example:
        return self.example


Model = Annotated[ReferenceModel | SageMakerModel | HttpModel, Field(discriminator="backend")]
BACKENDS = {"reference": ReferenceModel, "sagemaker": SageMakerModel, "http": HttpModel}


class DefaultTags(_Strict):
    """The AWS provider's default tags (`aws:defaultTags`): every taggable resource gets them."""

    tags: dict[str, str] = Field(description="`{key: value, …}`")


class EnvConfig(_Strict):
    """Everything one environment deploys. Field defaults are the documented defaults (see README)."""

    # the stack's name
    environment: str = Field(pattern=f"^{naming.ENVIRONMENT_PATTERN}$", json_schema_extra={"skip": True})
    region: str = Field(description=(
        "a region of the AWS commercial partition (`aws`, e.g. `eu-west-1`; the list is `program/ml_edge/regions.py`, "
        "kept equal to botocore's); the API, its WAF, the Lambdas and logs live there. China and GovCloud are "
        "refused: other ARNs and DNS suffixes, and no CloudFront of this kind"))
    # None only while aws:region itself is invalid: a valid config always lists its regions (_one_region_by_default)
    regions: list[str] | None = Field(None, min_length=1, json_schema_extra={"default": "`[<aws:region>]`"},
                                      description=(
        "the regions the API runs in, active-active (each its own API, backends, WAF guard, consumers' keys and "
        "logs); the first must be `aws:region`, each a region of the commercial partition, none twice, at most "
        "5. More than one needs `originDomain`: CloudFront then reaches the nearest healthy region through Route 53"))
    origin_domain: OriginDomain | None = Field(None, json_schema_extra={"flatten": True, "default": (
        "required with more than one region")})
    default_tags: DefaultTags | None = Field(None, json_schema_extra={"default": "required"}, description=(
        f"provider default tags on every taggable resource; `tags.{ENVIRONMENT_TAG}` must be the environment's name: "
        f"the deploy role may create and change only resources tagged with its environment"))
    models: list[Model] = Field(min_length=1, max_length=25, json_schema_extra={"table": "models"},
                                description="unique names (see below)")
    stage_name: str = Field("v1", pattern=r"^[A-Za-z0-9_]{1,64}$", description="also the origin path `/<stage>`")
    throttling: Throttling = Field(Throttling(), json_schema_extra={"flatten": True})
    cache: CacheConfig = Field(CacheConfig(), json_schema_extra={"flatten": True})
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        "PriceClass_100", description="the edge locations that serve the API (CloudFront's price classes)")
    custom_domain: CustomDomain | None = Field(None, json_schema_extra={"flatten": True})
    waf: Waf = Field(Waf(), json_schema_extra={"flatten": True})
    log_retention_days: int = Field(14, json_schema_extra={"allowed": LOG_RETENTION_DAYS},
                                    description="days CloudWatch Logs keeps each of the environment's log groups")
    tracing: bool = Field(True, description="X-Ray tracing on the stage and the Lambda functions")
    max_instances: int = Field(100, ge=1, le=1_000, description="instances per predict request (request validation)")
    origin_secret: OriginSecretConfig = Field(OriginSecretConfig(), description=(
        "which of the two generated secrets CloudFront sends, which the API accepts (both while rotating; `send` "
        "must be accepted), and a generation per value (bump it to regenerate a value nobody accepts); see the "
        "rotation runbook"))
    backend_certificate: BackendCertificateConfig = Field(BackendCertificateConfig(), description=(
        "with `http` models: which client certificates API Gateway holds (one, or both while rotating) and which "
        "one the stage presents to the model servers (`present` must be issued); see the rotation runbook"))
    tiers: dict[str, Tier] = Field(min_length=1, description="usage-plan tiers by name (`[a-z][a-z0-9-]*`)")
    consumers: list[Consumer] = Field(min_length=1, max_length=200, description=(
        "each gets a generated API key; predict requires one (`x-api-key`) allowed on that model, health and the "
        "catalog do not"))
    smoke_consumer: str | None = Field(None, description=(
        "the consumer whose key the smoke suite uses (exported as the secret stack output `smokeApiKey`)"))
    smoke_restricted_consumer: str | None = Field(None, description=(
        "a consumer whose `models` leave out at least one model: its key is exported as the secret "
        "`smokeRestrictedApiKey` (and `smokeRestrictedModels`), and the smoke suite checks it is refused (403) on "
        "another model and accepted on its own"))
    smoke_heartbeat_hours: int = Field(3, ge=2, le=24, description=(
        "the CloudWatch alarm `ml-edge-<env>-smoke-heartbeat` (stack output `smokeHeartbeatAlarm`) fires when no "
        "smoke run passed for this many hours, a missing run counting as a failure (GitHub drops scheduled runs "
        "under load and disables schedules after 60 days without repository activity). At least 2: the hourly run "
        "starts late at times, and a one-hour window would then be empty while all is well"))
    authorizer_reserved_concurrency: int = Field(
        RESERVED_CONCURRENCY_DEFAULT, ge=1, le=RESERVED_CONCURRENCY_MAX, description=(
            "the consumer authorizer's Lambda reserved concurrency (every predict request needs it, once per key "
            "every 300 s); see `reservedConcurrency` below"))

    @field_validator("region")
    @classmethod
    def _commercial_region(cls, value: str) -> str:
        if value not in REGIONS:
            raise ValueError(f"{value!r} is not a region of the AWS commercial partition, the only one this "
                             f"program deploys to; allowed: {', '.join(REGIONS)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _one_region_by_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("regions") is None and data.get("region") in REGIONS:
            return {**data, "regions": [data["region"]]}
        return data

    @field_validator("regions")
    @classmethod
    def _known_regions_once(cls, regions: list[str] | None) -> list[str] | None:
        if regions is None:
            return regions
        problem = region_list_problem(regions)
        if problem:
            raise ValueError(problem)
        return regions

    @model_validator(mode="after")
    def _regional_set(self) -> EnvConfig:
        # whole-config checks: each message starts with the key it is about (see _describe)
        if self.regions is None:  # aws:region is invalid, and reported
            return self
        if self.regions[0] != self.region:
            raise ValueError(f"regions: the first region must be {REGION_KEY} ({self.region!r}), got "
                             f"{self.regions[0]!r}; the stack's own region holds the edge's regional parts and "
                             f"keeps the first region's resource names")
        if len(self.regions) > 1 and self.origin_domain is None:
            raise ValueError(f"originDomain: required with more than one region (regions: {', '.join(self.regions)}):"
                             f" CloudFront reaches the regions through its latency records")
        if self.origin_domain and self.custom_domain and self.origin_domain.name == self.custom_domain.domain_name:
            raise ValueError(f"originDomain.name: must differ from customDomain.domainName (got "
                             f"{self.origin_domain.name!r}): one is the viewers' name, the other CloudFront's origin")
        return self

    @model_validator(mode="after")
    def _backends_everywhere(self) -> EnvConfig:
        # a whole-config check: the message starts with the key it is about (see _describe)
        for index, model in enumerate(self.models):
            key, value = (("endpointName", model.endpoint_name) if isinstance(model, SageMakerModel)
                          else ("url", model.url) if isinstance(model, HttpModel) else (None, None))
            if not isinstance(value, dict):
                continue
            missing = [r for r in self.regions or [] if r not in value]
            if missing:
                raise ValueError(f"models[{index}].{key}: no value for {', '.join(missing)}; a map names every region "
                                 f"of regions ({', '.join(self.regions)}): a backend must exist in each")
            extra = [r for r in value if r not in (self.regions or [])]
            if extra:
                raise ValueError(f"models[{index}].{key}: {', '.join(extra)} is not one of regions "
                                 f"({', '.join(self.regions)})")
        return self

    @field_validator("tiers")
    @classmethod
    def _tier_names(cls, tiers: dict[str, Tier]) -> dict[str, Tier]:
        bad = [name for name in tiers if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name)]
        if bad:
            raise ValueError(f"tier names are lower-case words ([a-z][a-z0-9-]*), got {', '.join(map(repr, bad))}")
        return tiers

    @model_validator(mode="after")
    def _consumers_fit(self) -> EnvConfig:
        # whole-config checks: each message starts with the key it is about (see _describe)
        names = [c.name for c in self.consumers]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"consumers: consumer names must be unique; repeated: {', '.join(repeated)}")
        models = [m.name for m in self.models]
        for index, consumer in enumerate(self.consumers):
            if consumer.tier not in self.tiers:
                raise ValueError(f"consumers[{index}].tier: unknown tier {consumer.tier!r}; defined: "
                                 f"{', '.join(self.tiers)}")
            unknown = [m for m in (consumer.models if consumer.models != "all" else []) if m not in models]
            if unknown:
                raise ValueError(f"consumers[{index}].models: unknown model {unknown[0]!r}; models: "
                                 f"{', '.join(models)} (or \"all\")")
            if consumer.models != "all" and len(set(consumer.models)) != len(consumer.models):
                raise ValueError(f"consumers[{index}].models: list each model once")
        if self.smoke_consumer is not None and self.smoke_consumer not in names:
            raise ValueError(f"smokeConsumer: {self.smoke_consumer!r} is not a consumer; consumers: "
                             f"{', '.join(names)}")
        self._restricted_consumer_fits(names, models)
        return self

    def _restricted_consumer_fits(self, names: list[str], models: list[str]) -> None:
        name = self.smoke_restricted_consumer
        if name is None:
            return
        if name not in names:
            raise ValueError(f"smokeRestrictedConsumer: {name!r} is not a consumer; consumers: {', '.join(names)}")
        consumer = next(c for c in self.consumers if c.name == name)
        if consumer.models == "all" or set(consumer.models) >= set(models):
            raise ValueError(f"smokeRestrictedConsumer: {name!r} may call every model, so the smoke suite could not "
                             f"check a refusal; name a consumer whose models list leaves out at least one of "
                             f"{', '.join(models)}")

    @model_validator(mode="after")
    def _tagged_with_the_environment(self) -> EnvConfig:
        # a whole-config check on a provider key: the message names it in full (see _describe)
        tag = self.default_tags.tags.get(ENVIRONMENT_TAG) if self.default_tags else None
        if tag != self.environment:
            raise ValueError(f"{DEFAULT_TAGS_KEY}.tags.{ENVIRONMENT_TAG}: must be {self.environment!r} (got "
                             f"{'nothing' if tag is None else repr(tag)}); the deploy role may create and change only "
                             f"resources tagged with their environment (tools/bootstrap/policies/)")
        return self

    @model_validator(mode="after")
    def _names_fit(self) -> EnvConfig:
        # a whole-config check: the message starts with the key it is about (see _describe)
        for index, model in enumerate(self.models):
            if isinstance(model, ReferenceModel):
                problems = naming.too_long(self.environment, model.name)
                if problems:
                    raise ValueError(f"models[{index}].name: {model.name!r} with environment {self.environment!r} "
                                     f"is too long: {problems[0]}; shorten the model name (or the environment's)")
        for region in (self.regions or [])[1:]:  # other regions' names carry the region
            for index, model in enumerate(self.models):
                problems = naming.too_long(self.environment, model.name, region) if isinstance(
                    model, ReferenceModel) else []
                if problems:
                    raise ValueError(f"models[{index}].name: {model.name!r} with environment {self.environment!r} is "
                                     f"too long in {region}: {problems[0]}; shorten the model name (or the "
                                     f"environment's)")
            problems = naming.too_long(self.environment, None, region)
            if problems:
                raise ValueError(f"regions: {region} with environment {self.environment!r} is too long for the "
                                 f"consumer authorizer's names: {problems[0]}; shorten the environment's name")
            problems = (naming.sagemaker_access_too_long(self.environment, region)
                        if any(isinstance(m, SageMakerModel) for m in self.models) else [])
            if problems:
                raise ValueError(f"regions: {region} with environment {self.environment!r} is too long for the "
                                 f"SageMaker role's names: {problems[0]}; shorten the environment's name")
        return self

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return value

    @field_validator("models")
    @classmethod
    def _unique_names(cls, models: list) -> list:
        names = [m.name for m in models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"model names must be unique; repeated: {', '.join(duplicates)}")
        return models

    @model_validator(mode="after")
    def _examples_fit(self) -> EnvConfig:
        # a whole-config check: the message starts with the key it is about (see _describe)
        for index, model in enumerate(self.models):
            size = len(model.catalog_example["instances"])
            if size > self.max_instances:
                raise ValueError(f"models[{index}].example: {size} instances, more than maxInstances "
                                 f"({self.max_instances}); the catalog's example must be a valid request")
        return self


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def default(key: str, model: type[BaseModel] = EnvConfig) -> Any:
    """The documented default of one of `model`'s fields: the components' own settings take it from here, so a
    default has one home."""
    return model.model_fields[key].get_default(call_default_factory=True)
