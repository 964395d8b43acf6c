"""The API's direct origins (each region's stage) the suite checks, and the region header the API names them with.

`--origin-url` may be given once per region as `region=URL`, or once as a plain URL (one origin, its region not
named: a deployment in one region, as before regions). Without the option: ORIGIN_URLS (space-separated
`region=URL`, what `make smoke` passes for the stack output `originUrls`), else ORIGIN_URL (one URL, or
`region=URL`). The command line wins over the variables, ORIGIN_URLS over ORIGIN_URL.

Every answer of a region's API carries `X-ML-Edge-Region: <region>` (program/ml_edge/openapi.py REGION_HEADER;
repeated here: the suite imports nothing of the program).
"""

import re
from typing import NamedTuple

REGION_HEADER = "X-ML-Edge-Region"
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
OPTION = "--origin-url"


class Origin(NamedTuple):
    region: str | None  # None: one origin given as a plain URL
    url: str

    @property
    def where(self) -> str:
        """The region in a check's title: " eu-west-1", or nothing for an unnamed origin."""
        return f" {self.region}" if self.region else ""


def parse(entry: str) -> Origin:
    """`region=URL` or a plain URL (a URL's own `=`, in a query, is no region: the part before it must be one)."""
    name, equals, url = entry.strip().partition("=")
    if equals and REGION.fullmatch(name):
        return Origin(name, url.strip())
    return Origin(None, entry.strip())


def given(option_values: list[str] | None, environ) -> list[Origin]:
    if option_values:
        entries = option_values
    elif (environ.get("ORIGIN_URLS") or "").strip():
        entries = environ["ORIGIN_URLS"].split()
    else:
        entries = [environ["ORIGIN_URL"]] if (environ.get("ORIGIN_URL") or "").strip() else []
    return [parse(entry) for entry in entries]


def problems(origins: list[Origin]) -> list[str]:
    """Why the origins given cannot be tested, each problem once (a usage error names them all)."""
    found = []
    for origin in origins:
        if not origin.url.startswith("https://"):
            what = f"{origin.region}=" if origin.region else ""
            found.append(f"{OPTION} must be an https:// URL (or region=https://…), got {what + origin.url!r}")
    regions = [origin.region for origin in origins if origin.region]
    found += [f"{OPTION}: {region} is given more than once" for region in sorted(set(regions))
              if regions.count(region) > 1]
    if len(origins) > 1 and len(regions) < len(origins):
        found.append(f"{OPTION}: with several origins, name each one's region (region=URL): "
                     f"{sum(o.region is None for o in origins)} given without one")
    return found
