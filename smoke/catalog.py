"""The catalog the edge serves, compared with the models actually deployed (the stack output `models`).

Nothing a viewer sends reaches past the edge's cached copy of GET /models: its cache key holds no query string,
header or cookie (program/ml_edge/edge.py, the catalog's cache policy), so a cache-busting query string is
ignored, and the origin answers only CloudFront (the origin secret). A deploy invalidates /models, but a copy
fetched in the seconds before API Gateway serves the new deployment is cached again for the catalog's TTL
(prod: up to an hour), and an hourly run may start while a deploy is under way. So the deployed models are the
truth:
- every deployed model is tested, and only those: a removed model the copy still lists is not called (its 404
  is no failure of the deploy); a new model the copy lacks is still probed;
- when the copy differs, the catalog is read again a bounded number of times with backoff (a copy about to
  expire, an invalidation finishing, dev's short TTLs); a lasting difference is one failure naming the missing
  and the extra models and the copy's X-Cache, Age and edge location.
"""

import time
from dataclasses import dataclass

from edge_client import Client, cache_state, expect, json_body
from edge_waf import EdgeBlocked


@dataclass
class CatalogRead:
    models: list[dict] | None  # None: the catalog could not be read
    problem: str  # why it could not, or how it differs from the deployed models ("" when it matches)
    reads: int
    first_difference: str = ""  # what the first read got, when a later one matched

    @property
    def names(self) -> list[str]:
        return [m["name"] for m in self.models or []]

    def spec(self, name: str) -> dict | None:
        return next((m for m in self.models or [] if m.get("name") == name), None)


def read_once(client: Client) -> tuple[list[dict] | None, str, str]:
    """(models, problem, cache state) of one GET /models."""
    try:
        answer = client.get("/models").response
        expect(answer.status_code == 200, "GET /models to answer 200", answer)
        models = json_body(answer, "the catalog").get("models")
        expect(isinstance(models, list) and bool(models) and all(isinstance(m, dict) and "name" in m
                                                                 for m in models),
               "a catalog of named models", answer)
        return models, "", cache_state(answer)
    except EdgeBlocked:
        raise
    except (AssertionError, AttributeError) as error:
        return None, str(error), ""


def difference(names: list[str], expected: list[str]) -> str:
    missing = [n for n in expected if n not in names]
    extra = [n for n in names if n not in expected]
    parts = ([f"lacks {', '.join(missing)}"] if missing else []) + \
            ([f"lists {', '.join(extra)}, not deployed" if len(extra) == 1 else
              f"lists {', '.join(extra)}, none of them deployed"] if extra else [])
    return " and ".join(parts)


def read_catalog(client: Client, expected: list[str] | None, retries: int, backoff_seconds: float) -> CatalogRead:
    """The edge's catalog, read again (at most `retries` times, waiting `backoff_seconds`, then twice as long…)
    while it cannot be read or differs from the deployed models."""
    first = ""
    for read in range(1, retries + 2):
        try:
            models, problem, state = read_once(client)
        except EdgeBlocked as blocked:  # no retry: each request would be blocked again
            return CatalogRead(None, str(blocked), read)
        if models is not None and expected:
            differs = difference([m["name"] for m in models], expected)
            if differs:
                problem = f"the edge's catalog {differs} (deployed: {', '.join(expected)}; the copy: {state})"
        if not problem:
            return CatalogRead(models, "", read, first)
        first = first or problem
        if read <= retries:
            time.sleep(backoff_seconds * 2 ** (read - 1))
    return CatalogRead(models, problem, read, first)
