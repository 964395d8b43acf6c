"""Only regions the program can deploy to (issue 9, item 7): the AWS commercial partition, as botocore's endpoint
data lists it. The program hard-codes `aws` ARNs, `amazonaws.com` hosts and a CloudFront edge with its us-east-1
WAF and certificate, none of which exist in the China or GovCloud partitions."""

import json
from pathlib import Path

import botocore

from ml_edge.regions import DNS_SUFFIX, PARTITION, REGIONS

ENDPOINTS = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
SERVICES = ("apigateway", "lambda", "wafv2", "logs", "xray", "runtime.sagemaker")


def partition(name: str) -> dict:
    return next(p for p in ENDPOINTS["partitions"] if p["partition"] == name)


def test_the_regions_are_the_commercial_partitions_regions():
    commercial = partition(PARTITION)
    assert commercial["dnsSuffix"] == DNS_SUFFIX
    assert sorted(REGIONS) == sorted(commercial["regions"])


def test_every_regional_service_the_api_uses_exists_in_every_accepted_region():
    services = partition(PARTITION)["services"]
    for service in SERVICES:
        missing = set(REGIONS) - set(services[service]["endpoints"])
        assert not missing, f"{service} has no endpoint in {sorted(missing)}"


def test_no_region_of_another_partition_is_accepted():
    others = {r for p in ENDPOINTS["partitions"] if p["partition"] != PARTITION for r in p["regions"]}
    assert others and not others & set(REGIONS)
