"""ApiOrigin: the handle a regional API gives the edge (like CDK's `RestApiOrigin(restApi)`): where CloudFront sends
requests and what it must wait for. The edge knows origins only through it, so several regional APIs can stand
behind one distribution.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import pulumi

DEFAULT_ORIGIN_ID = "api"


@dataclass(frozen=True)
class ApiOrigin:
    origin_id: str
    """CloudFront's name for the origin, unique within the distribution (behaviours target it)."""
    domain_name: pulumi.Output[str]
    """The API's own host, `<api id>.execute-api.<region>.amazonaws.com`."""
    origin_path: pulumi.Output[str]
    """`/<stage>`: CloudFront prefixes every request's path with it."""
    guard: pulumi.Resource
    """What admits CloudFront's requests (the API's origin-secret web ACL): during a rotation the edge may send a new
    secret only after the guard accepts it, so the edge depends on it."""
    also_waits_for: tuple[pulumi.Resource, ...] = ()
    """What else must exist before CloudFront sends requests to this origin: with several regions behind one name,
    every other region's guard and the name's records."""


def invoke_url_host(invoke_url: str) -> str:
    """The host of a stage's invoke URL (`https://<host>/<stage>`), as the provider computed it for the stage's
    API, region and partition."""
    host = urlsplit(invoke_url).hostname
    if not host:
        raise ValueError(f"not an invoke URL: {invoke_url!r}")
    return host
