"""HTTP helpers of the smoke suite: timed requests and failure messages that say what came back."""

import json
import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests

CACHE_HITS = ("Hit from cloudfront", "RefreshHit from cloudfront")
BODY_PREVIEW = 200


@dataclass
class Timed:
    response: requests.Response
    seconds: float

    @property
    def ms(self) -> float:
        return self.seconds * 1000


class NoAnswer(AssertionError):
    """A request that got no HTTP answer (TLS, connection, timeout), told without the request's headers."""

    def __init__(self, method: str, url: str, error: requests.RequestException):
        self.kind = type(error).__name__
        if isinstance(error, requests.exceptions.SSLError):
            expected = f"a certificate that verifies for {url}"
        else:
            expected = f"an answer to {method} {url}"
        super().__init__(f"expected {expected}; got {self.kind}: {error}")


class Client:
    """Requests to one base URL (the edge or the origin), each timed; `verify` honours REQUESTS_CA_BUNDLE."""

    def __init__(self, base_url: str, timeout: float, headers: dict[str, str] | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "ml-edge-smoke"})
        self.session.headers.update(headers or {})

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(self, method: str, path: str, **kwargs) -> Timed:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.url(path), **kwargs)
        except requests.RequestException as error:
            # re-raised without the chain: pytest would print the arguments of the requests and urllib3 frames,
            # the request headers among them (the consumer key)
            raise NoAnswer(method, self.url(path), error) from None
        return Timed(response, time.perf_counter() - started)

    def get(self, path: str, **kwargs) -> Timed:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Timed:
        return self.request("POST", path, **kwargs)


def with_scheme(url: str, scheme: str) -> str:
    """The same host and port (and path) under another scheme: https://h:8443/x → http://h:8443/x."""
    parts = urlsplit(url)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def describe(response: requests.Response) -> str:
    """What came back: status, the headers that matter here, a short body. Never a request header; and should an
    answer echo the request's consumer key, it is masked."""
    key = response.request.headers.get("x-api-key") if response.request is not None else None

    def masked(text: str) -> str:
        return text.replace(key, "[secret]") if key else text

    headers = {name: masked(response.headers[name]) for name in ("Content-Type", "Location", "X-Cache",
                                                                 "Strict-Transport-Security")
               if name in response.headers}
    text = masked(response.text)
    body = text[:BODY_PREVIEW].replace("\n", " ")
    more = "…" if len(text) > BODY_PREVIEW else ""
    return f"got {response.status_code} {response.reason}; headers {headers}; body {body!r}{more}"


def expect(condition: bool, expected: str, response: requests.Response | None = None, note: str = "") -> None:
    if not condition:
        got = describe(response) if response is not None else note
        raise AssertionError(f"expected {expected}; {got}" + (f" ({note})" if note and response is not None else ""))


def json_body(response: requests.Response, what: str) -> object:
    content_type = response.headers.get("Content-Type", "")
    expect("application/json" in content_type, f"{what} as JSON (Content-Type application/json)", response)
    try:
        return response.json()
    except json.JSONDecodeError:
        raise AssertionError(f"expected {what} as JSON; {describe(response)}") from None


def is_cache_hit(response: requests.Response) -> bool:
    return response.headers.get("X-Cache", "") in CACHE_HITS


def percentile(samples_ms: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100)."""
    ordered = sorted(samples_ms)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
