"""A bad environment config exits 2 before anything is planned, naming the key, the bad value and what is allowed."""

import copy
import json

import pytest
import yaml

from gitops.cli import preview
from gitops.planning.plan import InvalidStackConfig, plan_environment
from gitops.stacks.environments import ENVIRONMENTS_DIR
from ml_edge.config import EnvConfig
from ml_edge.config_loading import ConfigError, load_config

BASE = yaml.safe_load((ENVIRONMENTS_DIR / "dev" / "Pulumi.dev.yaml").read_text())["config"]
SAGEMAKER = {"name": "churn", "backend": "sagemaker", "endpointName": "churn-xgb", "example": {"instances": [[1, 2]]}}
HTTP = {"name": "sentiment", "backend": "http", "url": "https://models.example.com/v1/models/s:predict",
        "example": {"instances": ["great"]}}
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
ORIGIN_DOMAIN = {"name": "origin.dev.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ"}
TWO_REGIONS = ["eu-west-1", "us-east-1"]  # dev's aws:region first


def in_regions(regions: list[str], *more):
    """Dev in `regions` (with an origin domain), then the further changes."""
    def change(c):
        c["ml-edge:regions"] = regions
        c["ml-edge:originDomain"] = dict(ORIGIN_DOMAIN)
        for further in more:
            further(c)
    return change


def with_model(model: dict):
    return lambda c: c["ml-edge:models"].append(model)


def set_key(key: str, value):
    return lambda c: c.__setitem__(key, value)


def set_in(key: str, path: list, value):
    def change(c):
        target = c[key]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return change


def drop(key: str):
    return lambda c: c.pop(key)


# (what is wrong, change to the dev config, text the error must contain)
BAD_CONFIGS = [
    ("unknown backend", set_in("ml-edge:models", [0, "backend"], "lambda"),
     "ml-edge:models[0].backend: unknown backend 'lambda'; allowed: 'reference', 'sagemaker', 'http'"),
    ("sagemaker without endpoint", with_model({k: v for k, v in SAGEMAKER.items() if k != "endpointName"}),
     "ml-edge:models[1].endpointName: required"),
    ("sagemaker endpoint name malformed", with_model({**SAGEMAKER, "endpointName": "churn_xgb!"}),
     "ml-edge:models[1].endpointName: does not match"),
    ("sagemaker without example", with_model({k: v for k, v in SAGEMAKER.items() if k != "example"}),
     "ml-edge:models[1].example: required"),
    ("http URL not https", with_model({**HTTP, "url": "http://models.example.com/predict"}),
     "ml-edge:models[1].url: must be an absolute https:// URL (got 'http://models.example.com/predict')"),
    ("http URL not a URL", with_model({**HTTP, "url": "models.example.com"}),
     "ml-edge:models[1].url: must be an absolute https:// URL"),
    ("http URL with credentials", with_model({**HTTP, "url": "https://user:pw@models.example.com/predict"}),
     "ml-edge:models[1].url: must not carry credentials"),
    ("http without url", with_model({k: v for k, v in HTTP.items() if k != "url"}), "ml-edge:models[1].url: required"),
    ("key of another backend", with_model({**HTTP, "memoryMb": 512}),
     "ml-edge:models[1].memoryMb: unknown key; allowed here: name, description, timeoutMs, example, backend, url"),
    ("negative TTL", set_in("ml-edge:cache", ["health", "minTtl"], -1),
     "ml-edge:cache.health.minTtl: Input should be greater than or equal to 0 (got -1)"),
    ("inverted TTLs", set_in("ml-edge:cache", ["catalog"], {"minTtl": 0, "defaultTtl": 90, "maxTtl": 60}),
     "ml-edge:cache.catalog: TTLs must satisfy minTtl ≤ defaultTtl ≤ maxTtl, got 0 / 90 / 60"),
    ("TTL above CloudFront's year", set_in("ml-edge:cache", ["catalog", "maxTtl"], 40_000_000),
     "ml-edge:cache.catalog.maxTtl: Input should be less than or equal to 31536000"),
    ("duplicate model names", with_model({"name": "iris", "backend": "reference"}),
     "ml-edge:models: model names must be unique; repeated: iris"),
    ("malformed model name", set_in("ml-edge:models", [0, "name"], "Iris_v2"),
     "ml-edge:models[0].name: does not match"),
    ("no models", set_key("ml-edge:models", []), "ml-edge:models: List should have at least 1 item"),
    ("models not a list", set_key("ml-edge:models", {"name": "iris"}), "ml-edge:models: Input should be a valid list"),
    ("unknown top-level key", set_key("ml-edge:modles", []),
     "ml-edge:modles: unknown key (did you mean 'ml-edge:models'?)"),
    ("unknown nested key", set_in("ml-edge:throttling", ["rateLimt"], 5),
     "ml-edge:throttling.rateLimt: unknown key (did you mean 'rateLimit'?); allowed here: rateLimit, burstLimit"),
    ("unknown namespace", set_key("ml_edge:priceClass", "PriceClass_100"),
     "ml_edge:priceClass: unknown namespace 'ml_edge'"),
    ("rate limit not a number", set_in("ml-edge:throttling", ["rateLimit"], "fast"),
     "ml-edge:throttling.rateLimit: Input should be a valid number"),
    ("burst limit fractional", set_in("ml-edge:throttling", ["burstLimit"], 2.5),
     "ml-edge:throttling.burstLimit: Input should be a valid integer, got a number with a fractional part"),
    ("price class unknown", set_key("ml-edge:priceClass", "PriceClass_50"),
     "ml-edge:priceClass: Input should be 'PriceClass_100', 'PriceClass_200' or 'PriceClass_All' "
     "(got 'PriceClass_50')"),
    ("log retention CloudWatch refuses", set_key("ml-edge:logRetentionDays", 31),
     "ml-edge:logRetentionDays: must be one of 1, 3, 5, 7, 14, 30"),
    ("region missing", drop("aws:region"), "aws:region: required"),
    ("no environment tag", drop("aws:defaultTags"),
     "aws:defaultTags.tags.environment: must be 'dev' (got nothing); the deploy role may create and change only "
     "resources tagged with their environment"),
    ("another environment's tag", set_in("aws:defaultTags", ["tags", "environment"], "prod"),
     "aws:defaultTags.tags.environment: must be 'dev' (got 'prod')"),
    ("region malformed", set_key("aws:region", "europe"),
     "aws:region: 'europe' is not a region of the AWS commercial partition, the only one this program deploys to; "
     "allowed: af-south-1, "),
    ("region in GovCloud", set_key("aws:region", "us-gov-west-1"),
     "aws:region: 'us-gov-west-1' is not a region of the AWS commercial partition"),
    ("region in China", set_key("aws:region", "cn-north-1"),
     "aws:region: 'cn-north-1' is not a region of the AWS commercial partition"),
    ("hosted zone id malformed",
     set_key("ml-edge:customDomain", {"domainName": "api.example.com", "certificateArn": CERT,
                                      "hostedZoneId": "example.com"}),
     "ml-edge:customDomain.hostedZoneId: does not match ^Z[A-Z0-9]{1,32}$"),
    ("model name too long for AWS's names",
     set_in("ml-edge:models", [0, "name"], "iris-" + "x" * 31),
     "ml-edge:models[0].name: 'iris-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' with environment 'dev' is too long: the Role "
     "name ml-edge-dev-api-iris-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-role-xxxxxxx would be 65 characters; AWS allows 64"),
    ("certificate outside us-east-1",
     set_key("ml-edge:customDomain", {"domainName": "api.example.com", "certificateArn": CERT.replace("us-east-1",
                                                                                                       "eu-west-1")}),
     "ml-edge:customDomain.certificateArn: does not match ^arn:aws:acm:us-east-1:"),
    ("custom domain without certificate", set_key("ml-edge:customDomain", {"domainName": "api.example.com"}),
     "ml-edge:customDomain.certificateArn: required"),
    ("custom domain malformed", set_key("ml-edge:customDomain", {"domainName": "API!", "certificateArn": CERT}),
     "ml-edge:customDomain.domainName: does not match"),
    ("WAF rate limit below AWS's minimum", set_key("ml-edge:waf", {"enabled": True, "rateLimit": 5}),
     "ml-edge:waf.rateLimit: Input should be greater than or equal to 10 (got 5)"),
    ("WAF enabled not a boolean", set_key("ml-edge:waf", {"enabled": "maybe"}),
     "ml-edge:waf.enabled: Input should be a valid boolean"),
    ("stage name with a slash", set_key("ml-edge:stageName", "v1/beta"), "ml-edge:stageName: does not match"),
    ("reference example of the wrong shape", set_in("ml-edge:models", [0, "example"], {"instances": [[1, 2, 3]]}),
     "ml-edge:models[0].example: instances[0] must be a list of 4 finite numbers"),
    ("example that is not a request", set_in("ml-edge:models", [0, "example"], {"rows": [[1, 2, 3, 4]]}),
     'ml-edge:models[0].example: an example is a request body: {"instances": [...]}'),
    ("example larger than maxInstances", set_key("ml-edge:maxInstances", 1),
     "ml-edge:models[0].example: 2 instances, more than maxInstances (1)"),
    ("integration timeout above API Gateway's", set_in("ml-edge:models", [0, "timeoutMs"], 30_000),
     "ml-edge:models[0].timeoutMs: Input should be less than or equal to 29000"),
    ("memory not a number", set_in("ml-edge:models", [0, "memoryMb"], "lots"),
     "ml-edge:models[0].memoryMb: Input should be a valid integer"),
    ("reserved concurrency of zero (every call throttled)", set_in("ml-edge:models", [0, "reservedConcurrency"], 0),
     "ml-edge:models[0].reservedConcurrency: Input should be greater than or equal to 1 (got 0); allowed: 1–900"),
    ("reserved concurrency beyond what a default account can reserve",
     set_in("ml-edge:models", [0, "reservedConcurrency"], 901),
     "ml-edge:models[0].reservedConcurrency: Input should be less than or equal to 900 (got 901); allowed: 1–900"),
    ("reserved concurrency not a whole number", set_in("ml-edge:models", [0, "reservedConcurrency"], 2.5),
     "ml-edge:models[0].reservedConcurrency: Input should be a valid integer, got a number with a fractional part"),
    ("reserved concurrency on a model that is not a Lambda", with_model({**SAGEMAKER, "reservedConcurrency": 5}),
     "ml-edge:models[1].reservedConcurrency: unknown key"),
    ("authorizer reserved concurrency not a number", set_key("ml-edge:authorizerReservedConcurrency", "many"),
     "ml-edge:authorizerReservedConcurrency: Input should be a valid integer, unable to parse string as an integer "
     "(got 'many'); allowed: 1–900"),
    ("authorizer reserved concurrency of zero", set_key("ml-edge:authorizerReservedConcurrency", 0),
     "ml-edge:authorizerReservedConcurrency: Input should be greater than or equal to 1 (got '0'); allowed: 1–900"),
    ("authorizer reserved concurrency beyond what a default account can reserve",
     set_key("ml-edge:authorizerReservedConcurrency", 1000),
     "ml-edge:authorizerReservedConcurrency: Input should be less than or equal to 900 (got '1000'); allowed: 1–900"),
    ("a heartbeat window one late hourly run would empty", set_key("ml-edge:smokeHeartbeatHours", 1),
     "ml-edge:smokeHeartbeatHours: Input should be greater than or equal to 2 (got '1'); allowed: 2–24"),
    ("consumer of an unknown tier", set_in("ml-edge:consumers", [1, "tier"], "gold"),
     "ml-edge:consumers[1].tier: unknown tier 'gold'; defined: internal"),
    ("consumer of an unknown model", set_in("ml-edge:consumers", [1, "models"], ["iris", "churn"]),
     "ml-edge:consumers[1].models: unknown model 'churn'; models: iris"),
    ("duplicate consumer", lambda c: c["ml-edge:consumers"].append({"name": "smoke", "tier": "internal"}),
     "ml-edge:consumers: consumer names must be unique; repeated: smoke"),
    ("consumer models neither all nor a list", set_in("ml-edge:consumers", [0, "models"], "some"),
     "ml-edge:consumers[0].models"),
    ("malformed consumer name", set_in("ml-edge:consumers", [0, "name"], "Smoke Suite"),
     "ml-edge:consumers[0].name: does not match"),
    ("no consumers", set_key("ml-edge:consumers", []), "ml-edge:consumers: List should have at least 1 item"),
    ("consumer with an empty model list", set_in("ml-edge:consumers", [1, "models"], []),
     'ml-edge:consumers[1].models: list at least one model (or "all"); to revoke a consumer, remove it'),
    ("restricted smoke consumer that does not exist", set_key("ml-edge:smokeRestrictedConsumer", "nobody"),
     "ml-edge:smokeRestrictedConsumer: 'nobody' is not a consumer; consumers: smoke, data-science"),
    ("restricted smoke consumer that may call every model", set_key("ml-edge:smokeRestrictedConsumer", "smoke"),
     "ml-edge:smokeRestrictedConsumer: 'smoke' may call every model, so the smoke suite could not check a refusal"),
    ("no tiers", drop("ml-edge:tiers"), "ml-edge:tiers: required"),
    ("tier without throttling", set_key("ml-edge:tiers", {"internal": {"quota": {"limit": 5, "period": "DAY"}}}),
     "ml-edge:tiers.internal.rateLimit: required"),
    ("quota of an unknown period", set_in("ml-edge:tiers", ["internal", "quota", "period"], "YEAR"),
     "ml-edge:tiers.internal.quota.period: Input should be 'DAY', 'WEEK' or 'MONTH'"),
    ("malformed tier name", lambda c: c["ml-edge:tiers"].update({"Gold Tier": {"rateLimit": 1, "burstLimit": 1}}),
     "ml-edge:tiers: tier names are lower-case words"),
    ("smoke consumer that does not exist", set_key("ml-edge:smokeConsumer", "smoke-suite"),
     "ml-edge:smokeConsumer: 'smoke-suite' is not a consumer; consumers: smoke, data-science"),
    ("backend certificate presented but not issued", set_key("ml-edge:backendCertificate",
                                                             {"present": "b", "issued": ["a"]}),
     "ml-edge:backendCertificate: present is 'b' but issued is ['a']: API Gateway can only present a certificate it "
     "holds"),
    ("a region listed twice", in_regions(["eu-west-1", "us-east-1", "eu-west-1"]),
     "ml-edge:regions: list each region once; repeated: eu-west-1"),
    ("more regions than the deploy role's policies fit",
     in_regions(["eu-west-1", "us-east-1", "us-west-2", "ap-south-1", "sa-east-1", "ca-central-1"]),
     "ml-edge:regions: at most 5 regions, got 6: the deploy role's policies name each region"),
    ("regions not starting with aws:region", in_regions(["us-east-1", "eu-west-1"]),
     "ml-edge:regions: the first region must be aws:region ('eu-west-1'), got 'us-east-1'"),
    ("a region outside the commercial partition", in_regions(["eu-west-1", "cn-north-1"]),
     "ml-edge:regions: 'cn-north-1' is not a region of the AWS commercial partition"),
    ("regions not a list", set_key("ml-edge:regions", "eu-west-1"), "ml-edge:regions: Input should be a valid list"),
    ("more than one region without originDomain", set_key("ml-edge:regions", TWO_REGIONS),
     "ml-edge:originDomain: required with more than one region (regions: eu-west-1, us-east-1)"),
    ("origin domain without its zone", in_regions(TWO_REGIONS, set_key("ml-edge:originDomain",
                                                                        {"name": "origin.dev.example.com"})),
     "ml-edge:originDomain.hostedZoneId: required"),
    ("origin domain malformed", in_regions(TWO_REGIONS, set_in("ml-edge:originDomain", ["name"], "Origin!")),
     "ml-edge:originDomain.name: does not match"),
    ("origin domain that is the viewers' domain",
     in_regions(TWO_REGIONS, set_key("ml-edge:customDomain", {"domainName": "origin.dev.example.com",
                                                                "certificateArn": CERT})),
     "ml-edge:originDomain.name: must differ from customDomain.domainName (got 'origin.dev.example.com')"),
    ("a sagemaker backend missing in a region",
     in_regions(TWO_REGIONS, with_model({**SAGEMAKER, "endpointName": {"eu-west-1": "churn-xgb"}})),
     "ml-edge:models[1].endpointName: no value for us-east-1; a map names every region of regions "
     "(eu-west-1, us-east-1)"),
    ("an http backend missing in a region",
     in_regions(TWO_REGIONS, with_model({**HTTP, "url": {"us-east-1": HTTP["url"]}})),
     "ml-edge:models[1].url: no value for eu-west-1"),
    ("a backend in a region the environment does not run in",
     in_regions(TWO_REGIONS, with_model({**HTTP, "url": {r: HTTP["url"] for r in [*TWO_REGIONS, "ap-south-1"]}})),
     "ml-edge:models[1].url: ap-south-1 is not one of regions (eu-west-1, us-east-1)"),
    ("a region's http URL not https",
     in_regions(TWO_REGIONS, with_model({**HTTP, "url": {"eu-west-1": HTTP["url"], "us-east-1": "http://x.example"}})),
     "ml-edge:models[1].url: for us-east-1: must be an absolute https:// URL"),
    ("a region's endpoint name malformed",
     in_regions(TWO_REGIONS, with_model({**SAGEMAKER, "endpointName": {"eu-west-1": "churn", "us-east-1": "a_b"}})),
     "ml-edge:models[1].endpointName: for us-east-1: does not match"),
    ("an endpoint name neither a name nor a map", with_model({**SAGEMAKER, "endpointName": ["churn-xgb"]}),
     "ml-edge:models[1].endpointName: must be a string, or a non-empty map region → string"),
    ("origin secret sent but not accepted", set_key("ml-edge:originSecret", {"send": "b", "accept": ["a"]}),
     "ml-edge:originSecret: send is 'b' but accept is ['a']"),
]


def write_env(tmp_path, change) -> None:
    config = copy.deepcopy(BASE)
    change(config)
    folder = tmp_path / "dev"
    folder.mkdir()
    (folder / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_exits_2_naming_the_key(tmp_path, capsys, change, expected):
    write_env(tmp_path, change)
    status = preview.main(["--env", "dev", "--environments-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 2
    assert expected in captured.err
    assert captured.out == "", "nothing is planned when the config is invalid"


def test_there_are_at_least_twenty_distinct_bad_inputs():
    assert len({c[0] for c in BAD_CONFIGS}) >= 20


def test_every_problem_is_reported_at_once(tmp_path):
    def several(config):
        config["ml-edge:priceClass"] = "cheap"
        config["ml-edge:logRetentionDays"] = 2
        config["ml-edge:models"][0]["backend"] = "lambda"
    write_env(tmp_path, several)
    with pytest.raises(InvalidStackConfig) as error:
        plan_environment("dev", tmp_path)
    keys = [p.split(":")[0] + ":" + p.split(":")[1] for p in error.value.problems]
    assert keys == ["ml-edge:models[0].backend", "ml-edge:priceClass", "ml-edge:logRetentionDays"]


def test_unknown_environment_exits_2_listing_the_known_ones(capsys):
    assert preview.main(["--env", "qa"]) == 2
    assert "known environments: dev, prod, staging" in capsys.readouterr().err


def test_stack_file_that_is_not_yaml_exits_2(tmp_path, capsys):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "Pulumi.dev.yaml").write_text("config: [unclosed\n")
    assert preview.main(["--env", "dev", "--environments-dir", str(tmp_path)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_scalars_arrive_as_text_like_the_engine_sends_them(tmp_path):
    write_env(tmp_path, set_key("ml-edge:tracing", "false"))
    assert plan_environment("dev", tmp_path).config.tracing is False


def load_as(environment: str, change) -> EnvConfig:
    config = copy.deepcopy(BASE)
    config["aws:defaultTags"]["tags"]["environment"] = environment
    change(config)
    return load_config({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in config.items()},
                       environment)


def test_one_region_by_default_and_no_origin_domain_needed():
    config = load_as("dev", lambda c: None)
    assert config.regions == ["eu-west-1"] and config.origin_domain is None


def test_several_regions_with_per_region_backends_load():
    config = load_as("dev", in_regions(TWO_REGIONS, with_model({**SAGEMAKER, "endpointName": {
        "eu-west-1": "churn-eu", "us-east-1": "churn-us"}})))
    assert config.regions == TWO_REGIONS and config.origin_domain.name == "origin.dev.example.com"
    churn = config.models[1]
    assert [churn.endpoint_in(r) for r in TWO_REGIONS] == ["churn-eu", "churn-us"]


def test_a_region_suffix_that_makes_the_authorizers_names_too_long_is_refused():
    environment = "e" * 20  # the longest the pattern allows: fits in the stack's own region, not with a suffix
    load_as(environment, lambda c: None)
    with pytest.raises(ConfigError, match=r"ml-edge:regions: eu-central-1 with environment 'e{20}' is too long for "
                                          r"the consumer authorizer's names: the Role name .* would be 65 characters"):
        load_as(environment, in_regions(["eu-west-1", "eu-central-1"]))


def test_a_model_name_that_fits_at_home_but_not_in_another_region_is_refused():
    fits_at_home = set_in("ml-edge:models", [0, "name"], "iris-" + "x" * 26)  # 64 characters in eu-west-1
    load_as("dev", fits_at_home)
    with pytest.raises(ConfigError, match=r"ml-edge:models\[0\].name: 'iris-x{26}' with environment 'dev' is too "
                                          r"long in us-east-1: the Function name ml-edge-dev-api-us-east-1-iris-"):
        load_as("dev", in_regions(TWO_REGIONS, fits_at_home))
