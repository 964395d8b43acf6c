"""The regions the program deploys to: the AWS commercial partition (`aws`), where CloudFront, its us-east-1 WAF
and ACM certificates, Route 53 alias records and every regional service the API uses (API Gateway, Lambda, WAFV2,
CloudWatch Logs, X-Ray, SageMaker Runtime) exist. The China and GovCloud partitions have no CloudFront of this
kind and other ARN prefixes and DNS suffixes, so they are refused rather than half-supported.

tests/test_regions.py keeps the list equal to botocore's endpoint data for the partition.
"""

PARTITION = "aws"
# an environment's regions at most: the bootstrap's deploy-role policies and permissions boundary name each region,
# and IAM limits a managed policy to 6,144 characters (tests/test_bootstrap_policies.py measures them at this count)
MAX_REGIONS = 5
DNS_SUFFIX = "amazonaws.com"

REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
    "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
)


def region_list_problem(regions: list[str]) -> str | None:
    """What is wrong with a list of regions (`ml-edge:regions`), or None: the one check the program's config and the
    bootstrap's stack-file reader share (a region outside the partition, one listed twice, more than MAX_REGIONS)."""
    unknown = [r for r in regions if r not in REGIONS]
    if unknown:
        return (f"{unknown[0]!r} is not a region of the AWS commercial partition, the only one this program deploys "
                f"to; allowed: {', '.join(REGIONS)}")
    repeated = sorted({r for r in regions if regions.count(r) > 1})
    if repeated:
        return f"list each region once; repeated: {', '.join(repeated)}"
    if len(regions) > MAX_REGIONS:
        return (f"at most {MAX_REGIONS} regions, got {len(regions)}: the deploy role's policies name each region, and "
                "IAM limits a managed policy to 6,144 characters")
    return None
