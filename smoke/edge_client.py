"""HTTP helpers of the smoke suite: timed requests and failure messages that say what came back."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests

# "RefreshHit": CloudFront had a stale copy and the origin confirmed it (a conditional request); both are served
# from the edge (repost.aws knowledge-center/cloudfront-custom-object-caching)
CACHE_HITS = ("Hit from cloudfront", "RefreshHit from cloudfront")
BODY_PREVIEW = 200
# What a real edge needs to be debugged, in every failure message: the answer's kind, its cache state and age,
# the edge location (x-amz-cf-pop) and CloudFront's request id (x-amz-cf-id, what AWS Support asks for), API
# Gateway's request id and error type (its execution and access logs are searched by it), and the region whose API
# answered (X-ML-Edge-Region: each region has its own logs)
DEBUG_HEADERS = ("Content-Type", "Location", "X-Cache", "Age", "x-amz-cf-pop", "x-amz-cf-id", "Via",
                 "x-amzn-RequestId", "x-amzn-ErrorType", "Cache-Control", "Strict-Transport-Security",
                 "X-ML-Edge-Region")


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
    """Requests to one base URL (the edge or the origin), each timed; `verify` honours REQUESTS_CA_BUNDLE.

    One session: its connections are kept alive, so repeated requests reach the same edge location (a new
    connection may land on another one, with its own cache). `observe` sees every answer first (the edge
    locations seen, the edge WAF's block), and may raise."""

    def __init__(self, base_url: str, timeout: float, headers: dict[str, str] | None = None,
                 observe: Callable[[requests.Response], None] | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.observe = observe
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
        timed = Timed(response, time.perf_counter() - started)
        if self.observe:
            self.observe(response)
        return timed

    def get(self, path: str, **kwargs) -> Timed:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Timed:
        return self.request("POST", path, **kwargs)


def with_scheme(url: str, scheme: str) -> str:
    """The same host and port (and path) under another scheme: https://h:8443/x → http://h:8443/x."""
    parts = urlsplit(url)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def same_https_url(location: str, target: str) -> bool:
    """Whether a redirect's Location names the https URL `target`; an explicit default port (:443) is the same."""
    def normal(url: str) -> tuple:
        parts = urlsplit(url)
        port = parts.port if parts.port not in (None, 443) else None
        return parts.scheme, (parts.hostname or "").lower(), port, parts.path or "/", parts.query
    return urlsplit(location).scheme == "https" and normal(location) == normal(target)


def expect_https_redirect(answer: requests.Response, target: str) -> None:
    """CloudFront's redirect-to-https: 301 with the https URL (ViewerProtocolPolicy, CloudFront API reference);
    for a method other than GET or HEAD a 307 is as good (it keeps the method and the body). The Location may
    name the default port."""
    method = answer.request.method
    statuses = (301,) if method in ("GET", "HEAD") else (301, 307)
    expect(answer.status_code in statuses and same_https_url(answer.headers.get("Location", ""), target),
           f"{' or '.join(map(str, statuses))} with Location {target} for plain-HTTP {method}", answer)


def describe(response: requests.Response) -> str:
    """What came back: status, a short body, the headers that debug an edge. Never a request header; and should
    an answer echo the request's consumer key, it is masked."""
    key = response.request.headers.get("x-api-key") if response.request is not None else None

    def masked(text: str) -> str:
        return text.replace(key, "[secret]") if key else text

    headers = {name: masked(response.headers[name]) for name in DEBUG_HEADERS if name in response.headers}
    text = masked(response.text)
    body = text[:BODY_PREVIEW].replace("\n", " ")
    more = "…" if len(text) > BODY_PREVIEW else ""
    return f"got {response.status_code} {response.reason}; body {body!r}{more}; headers {headers}"


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


def cache_state(response: requests.Response) -> str:
    """X-Cache, the edge location and the age of a cached copy, for a detail or a message."""
    state = response.headers.get("X-Cache", "no X-Cache")
    pop = response.headers.get("x-amz-cf-pop")
    age = response.headers.get("Age")
    return state + (f" at {pop}" if pop else "") + (f", Age {age} s" if age is not None else "")
