"""A local stand-in of a deployed environment, on loopback with real TLS, for testing the smoke suite.

edge    CloudFront: one port serving plain HTTP and TLS; plain HTTP gets a redirect to https on /health and
        /models (redirect-to-https: 301, 307 for other methods) and CloudFront's HTML 403 everywhere else
        (https-only: the behaviours that allow POST). Each new connection lands on the next of two edge locations
        (x-amz-cf-pop), each with its own cache of GET /health and /models, keyed on the path alone (the cache
        policy ignores query strings); a hit says `X-Cache: Hit from cloudfront` with `Age` and replays the
        stored answer, request id included. Every answer carries Via, X-Amz-Cf-Pop and X-Amz-Cf-Id; answers of
        the origin (cached or not, errors included) get HSTS (the response headers policy); CloudFront's own
        error pages are HTML with `X-Cache: Error from cloudfront`. Proxies to one regional origin (`edge_region`,
        by default eu-west-1, the nearest to its edge locations: Route 53's latency choice) adding the secret header.
origins API Gateway behind its regional WAF, one per region of REGIONS (us-east-1, the stack's own region, whose
        URL is `origin_url` as the stack output `originUrl`, and eu-west-1), TLS only; every answer of each names its
        region (X-ML-Edge-Region), the guard's 403 included. The guard first: no or a wrong secret header gets the
        WAF's custom 403 ({"message": "Forbidden"}, Cache-Control: no-store). Then /v1/health, /v1/models and
        /v1/models/{model}/predict, which checks the consumer key first (403, also on a model outside the key's
        list), then the body (400), then calls the backend: iris is the real reference-model handler, sentiment
        a KServe V1 server as API Gateway maps it onto the contract (kserve_unmapped: as
        passed through unmapped). Every answer has an x-amzn-RequestId; the API's own
        errors carry x-amzn-ErrorType and Cache-Control: no-store, like the gateway responses.

`faults` injects misbehaviours (FAULTS: each must fail its own check) and real-world conditions users are fine
with (CONDITIONS: the suite must pass, saying what it met), one or a few at a time.
"""

import base64
import http.client
import json
import os
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme

from ml_edge.reference_model.handler import handler as reference_handler

SECRET_HEADER = "X-Origin-Verify"
STAGE = "/v1"
IRIS = {"name": "iris", "backend": "reference", "description": "iris",
        "example": {"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}
SENTIMENT = {"name": "sentiment", "backend": "http", "description": "stub",
             "example": {"instances": ["great product", "arrived broken", "fine"]}}
RETIRED = {"name": "retired", "backend": "sagemaker", "description": "removed by the last deploy",
           "example": {"instances": [[1, 2, 3]]}}
CATALOG = {"models": [IRIS, SENTIMENT]}
STALE_CATALOG = {"models": [IRIS, RETIRED]}  # what the edge cached before the deploy that added sentiment
MAX_INSTANCES = 100
POPS = ("LHR50-P1", "FRA56-P2")
REGIONS = ("us-east-1", "eu-west-1")  # the first is the stack's own region (aws:region)
REGION_HEADER = "X-ML-Edge-Region"
SLOW_SECONDS = 0.2  # over the smoke tests' median budget of http models, 150 ms
COLD_START_SECONDS = 0.15
STALE_AGE_SECONDS = 1800
STALE_BRIEFLY_SECONDS = 0.05
CACHE_TTL = 60
FAULTS = {
    "no_redirect": "the catalog and health behaviours serve plain HTTP instead of redirecting",
    "untrusted_certificate": "the edge's certificate is signed by an unknown CA",
    "health_not_ok": 'GET /health answers {"status": "degraded"}',
    "uncached_catalog": "the edge never caches GET /models",
    "stale_catalog": f"every edge location keeps a catalog cached {STALE_AGE_SECONDS} s ago, before the deploy "
                     "that added sentiment and removed retired",
    "cached_post": "the edge caches POST answers",
    "post_replayed_verbatim": "a cache in front of the edge (a caching proxy on the way) replays POST answers as "
                              "it stored them, X-Cache: Miss from cloudfront included",
    "wrong_prediction_count": "one prediction short",
    "wrong_model_name": "the answer names another model",
    "kserve_unmapped": "sentiment's KServe V1 answer passed through as is (an HTTP proxy integration): "
                       "{\"predictions\": [...]} without \"model\"",
    "bad_input_5xx": "a malformed body gets a 502",
    "unknown_model_403": "an unknown model gets API Gateway's default 403",
    "missing_hsts": "no Strict-Transport-Security header",
    "missing_hsts_on_errors": "Strict-Transport-Security on successful answers only",
    "html_errors": "the API's errors come back as HTML",
    "open_origin": "no origin guard: the API answers without the secret header",
    "open_second_region": f"the {REGIONS[1]} origin has no guard (the {REGIONS[0]} one still refuses): that region's "
                          "API answers without the secret header",
    "guard_accepts_any_secret": "the guard lets any value of the secret header through",
    "slow": f"the sentiment backend answers in {SLOW_SECONDS * 1000:.0f} ms",
    "predict_without_key": "predict answers without a consumer key",
    "restricted_key_on_any_model": "a key restricted to some models is accepted on every model",
    "restricted_key_refused_on_its_model": "the restricted key is refused on its own model",
    "plain_http_post_redirected": "the behaviours that allow POST redirect plain HTTP with a 301 (redirect-to-https)",
    "plain_http_post_served": "the behaviours that allow POST serve plain HTTP (allow-all)",
    "edge_waf_blocks_runner": "the edge's web ACL blocks the runner's address (CloudFront's 403 'Request blocked')",
}
CONDITIONS = {
    "fresh_deploy": "just deployed: GET /health is cached from before, the first uncached requests get CloudFront's "
                    "502 (the new execute-api name does not resolve yet), then the first checks of the new smoke key "
                    "refuse it (it is not known everywhere yet); see StandIn.fresh_route_requests, fresh_key_checks",
    "cold_start": f"each model's backend scales to zero: its first call times out (504 after "
                  f"{COLD_START_SECONDS * 1000:.0f} ms)",
    "stale_catalog_briefly": f"the edge's cached catalog predates the deploy and expires {STALE_BRIEFLY_SECONDS} s "
                             "after the first request",
    "refresh_hit": "every cached copy is stale at once and the origin confirms it (a conditional request): the "
                   "edge serves it as `X-Cache: RefreshHit from cloudfront`",
    # fine with one origin given (the region is reported as unknown); with several it fails the region's check
    "no_region_header": f"the API was deployed before it named its region: no answer carries {REGION_HEADER}",
}
REDIRECTED_PATHS = ("/health", "/models")  # redirect-to-https; every other behaviour allows POST: https-only
CACHED_PATHS = ("/health", "/models")


def cloudfront_page(status: str, why: str) -> bytes:
    return (f"<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>{status} ERROR"
            f"</H1><H2>The request could not be satisfied.</H2>{why}<BR clear=\"all\"><HR noshade size=\"1px\">"
            "Generated by cloudfront (CloudFront)</BODY></HTML>").encode()


HTTPS_ONLY_PAGE = cloudfront_page("403", "Bad request. We can't connect to the server for this app or website at "
                                         "this time.")
WAF_BLOCK_PAGE = cloudfront_page("403", "Request blocked. We can't connect to the server for this app or website "
                                        "at this time.")
ORIGIN_UNREACHABLE_PAGE = cloudfront_page("502", "CloudFront wasn't able to resolve the origin domain name.")


@dataclass
class Cached:
    stored_at: float
    expires_at: float
    status: int
    headers: dict
    data: bytes


@dataclass
class StandIn:
    faults: set[str] = field(default_factory=set)
    secret: str = "standin-secret-0123456789abcdef0123456789abcdef"
    api_key: str = "standin-consumer-key-0123456789abcdef"  # the smoke consumer: every model
    restricted_key: str = "standin-restricted-key-fedcba9876543210"
    restricted_models: tuple[str, ...] = ("iris",)
    edge_region: str = REGIONS[1]  # the region whose origin the edge reaches
    api_keys_at_edge: list = field(default_factory=list)  # x-api-key of every edge request (None when absent)
    api_keys_at_origin: list = field(default_factory=list)  # x-api-key of every direct origin request
    api_keys_over_plain_http: list = field(default_factory=list)  # x-api-key of every plain-HTTP edge request
    tls_connections: list = field(default_factory=list)  # the handler of each TLS connection to the edge
    # fresh_deploy: counted, not timed, so that a slow machine meets the same deploy
    fresh_route_requests: int = 2  # uncached edge requests answered 502 before the origin is reachable
    fresh_key_checks: int = 3  # checks of the smoke key that refuse it (readiness's probe, a warm-up, a check)

    def __post_init__(self):
        unknown = self.faults - set(FAULTS) - set(CONDITIONS)
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {sorted(FAULTS)} and {sorted(CONDITIONS)}")
        if self.edge_region not in REGIONS:
            raise ValueError(f"edge_region {self.edge_region!r} is none of {REGIONS}")
        self.ca = trustme.CA()
        self.first_request_at: float | None = None  # conditions count from here, not from a slow process start
        self.caches: dict[str, dict[tuple, Cached]] = {pop: {} for pop in POPS}
        self.post_cache: dict[tuple, Cached] = {}  # the cached_post fault's, shared by every edge location
        self.connections = 0
        self.backend_calls: dict[str, int] = {}
        self.uncached_requests = 0
        self.smoke_key_checks = 0
        self.lock = threading.Lock()

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def __enter__(self) -> "StandIn":
        origin_context = self._server_context(self.ca)
        edge_ca = trustme.CA() if "untrusted_certificate" in self.faults else self.ca
        self.origins = {region: TlsServer(("127.0.0.1", 0), OriginHandler, origin_context, self, region)
                        for region in REGIONS}
        self.edge = DualProtocolServer(("127.0.0.1", 0), EdgeHandler, self._server_context(edge_ca), self)
        self.client_context = ssl.create_default_context()
        self.ca.configure_trust(self.client_context)
        for server in (*self.origins.values(), self.edge):
            # shutdown() waits for the next poll: the default 0.5 s, twice, would be most of a short test
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        for server in (self.edge, *self.origins.values()):
            server.shutdown()
            server.server_close()

    @staticmethod
    def _server_context(ca: trustme.CA) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context

    def write_ca_bundle(self, path) -> None:
        self.ca.cert_pem.write_to_path(str(path))

    def models_of(self, key: str | None) -> tuple[str, ...] | str | None:
        """The models a consumer key may call ("all" for every model), None for no or an unknown key."""
        return {self.api_key: "all", self.restricted_key: self.restricted_models}.get(key)

    def elapsed(self) -> float:
        """Seconds since the first request reached the edge; at that moment the conditions of the run begin."""
        with self.lock:
            if self.first_request_at is None:
                self.first_request_at = time.monotonic()
                self._preload(self.first_request_at)
            return time.monotonic() - self.first_request_at

    def _preload(self, now: float) -> None:
        """What the edge locations had cached before this run (a previous deploy's answers)."""
        stale = json.dumps(STALE_CATALOG).encode()
        for cache in self.caches.values():
            if "fresh_deploy" in self.faults:
                health = json.dumps({"status": "ok", "environment": "standin"}).encode()
                cache[("GET", "/health")] = Cached(now - 5, float("inf"), 200, origin_headers(), health)
            if {"stale_catalog", "stale_catalog_briefly"} & self.faults:
                until = now + STALE_BRIEFLY_SECONDS if "stale_catalog_briefly" in self.faults else float("inf")
                cache[("GET", "/models")] = Cached(now - STALE_AGE_SECONDS, until, 200, origin_headers(), stale)

    @property
    def edge_url(self) -> str:
        return f"https://127.0.0.1:{self.edge.server_address[1]}"

    @property
    def origin_urls(self) -> dict[str, str]:
        """Region → the invoke URL of its stage (the stack output `originUrls`)."""
        return {region: f"https://127.0.0.1:{server.server_address[1]}{STAGE}"
                for region, server in self.origins.items()}

    @property
    def origin_url(self) -> str:
        """The first region's (the stack output `originUrl`)."""
        return self.origin_urls[REGIONS[0]]

    @property
    def origin_urls_variable(self) -> str:
        """ORIGIN_URLS: space-separated region=URL."""
        return " ".join(f"{region}={url}" for region, url in self.origin_urls.items())


def origin_headers(extra: dict | None = None) -> dict:
    return {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4()),
            "x-amz-apigw-id": base64.b64encode(os.urandom(6)).decode().rstrip("="), **(extra or {})}


class TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, context: ssl.SSLContext, standin: StandIn, region: str | None = None):
        super().__init__(address, handler)
        self.context, self.standin, self.region = context, standin, region

    def get_request(self):
        sock, address = self.socket.accept()
        sock.settimeout(10)
        return self.context.wrap_socket(sock, server_side=True), address


class DualProtocolServer(TlsServer):
    """Plain HTTP and TLS on one port, told apart by the first byte (a TLS handshake starts with 0x16)."""

    def get_request(self):
        sock, address = self.socket.accept()
        sock.settimeout(10)
        if sock.recv(1, socket.MSG_PEEK) == b"\x16":
            return self.context.wrap_socket(sock, server_side=True), address
        return sock, address


class JsonHandler(BaseHTTPRequestHandler):
    server: TlsServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without this each answer waits ~40 ms

    def log_message(self, *args) -> None:  # quiet
        pass

    @property
    def faults(self) -> set[str]:
        return self.server.standin.faults

    @property
    def route_path(self) -> str:
        return self.path.split("?", 1)[0]

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, payload: dict | bytes, headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class OriginHandler(JsonHandler):
    """One region's API Gateway behind its WAF: the secret header first, then the routes of the contract."""

    def send(self, status: int, payload: dict | bytes, headers: dict | None = None) -> None:
        named = {} if "no_region_header" in self.faults else {REGION_HEADER: self.server.region}
        super().send(status, payload, {**(headers or {}), **named})

    def do_GET(self):
        self.route("GET", b"")

    def do_POST(self):
        self.route("POST", self.body())

    def route(self, method: str, body: bytes) -> None:
        standin = self.server.standin
        secret = self.headers.get(SECRET_HEADER)
        if secret is None:
            standin.api_keys_at_origin.append(self.headers.get("x-api-key"))
        if not self.guard_admits(secret):
            # the WAF's custom response (program/ml_edge/api.py _origin_guard), before API Gateway looks at anything
            return self.send(403, {"message": "Forbidden"}, origin_headers({"Cache-Control": "no-store"}))
        path = self.route_path.removeprefix(STAGE)
        if method == "GET" and path == "/health":
            status = "degraded" if "health_not_ok" in self.faults else "ok"
            return self.send(200, {"status": status, "environment": "standin"}, origin_headers())
        if method == "GET" and path == "/models":
            return self.send(200, CATALOG, origin_headers())
        names = [m["name"] for m in CATALOG["models"]]
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 3 and parts[0] == "models" and parts[2] == "predict" \
                and parts[1] in names:
            return self.predict(parts[1], body)
        if "unknown_model_403" in self.faults:
            return self.gateway_error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
        return self.gateway_error(404, "Not found: no such model or path. GET /models lists the models.",
                                  "MissingAuthenticationTokenException")

    def guard_admits(self, secret: str | None) -> bool:
        if "open_origin" in self.faults or ("open_second_region" in self.faults and self.server.region == REGIONS[1]):
            return True
        if "guard_accepts_any_secret" in self.faults:
            return secret is not None
        return secret == self.server.standin.secret

    def gateway_error(self, status: int, message: str, error_type: str) -> None:
        """An error of API Gateway itself: a gateway response (JSON, Cache-Control: no-store)."""
        headers = origin_headers({"Cache-Control": "no-store", "x-amzn-ErrorType": error_type})
        if "html_errors" in self.faults:
            return self.send(status, b"<html><body>Error</body></html>", {**headers, "Content-Type": "text/html"})
        self.send(status, {"message": message}, headers)

    def predict(self, name: str, body: bytes) -> None:
        refusal = self.consumer_refusal(name)
        if refusal:
            return self.gateway_error(403, refusal, "AccessDeniedException")
        instances = valid_instances(body)  # request validation: after the key, before any backend
        if instances is None:
            if "bad_input_5xx" in self.faults:
                return self.gateway_error(502, "Internal server error", "InternalServerErrorException")
            return self.gateway_error(400, f'Invalid request body: send a JSON object {{"instances": [...]}} with 1 '
                                           f'to {MAX_INSTANCES} instances', "BadRequestException")
        if self.cold(name):
            time.sleep(COLD_START_SECONDS)
            return self.gateway_error(504, "Endpoint request timed out", "IntegrationTimeoutException")
        if name == "iris":
            answer = reference_handler({"body": body.decode(errors="replace"), "isBase64Encoded": False})
            status, payload = answer["statusCode"], json.loads(answer["body"])
        else:
            if "slow" in self.faults:
                time.sleep(SLOW_SECONDS)
            status, payload = 200, {"model": name, "predictions": [{"label": "positive"} for _ in instances]}
        if status == 200 and "wrong_prediction_count" in self.faults:
            payload["predictions"] = payload["predictions"][:-1]
        if status == 200 and "wrong_model_name" in self.faults:
            payload["model"] = "other"
        if status == 200 and name == "sentiment" and "kserve_unmapped" in self.faults:
            payload = {"predictions": payload["predictions"]}
        if status != 200:
            return self.gateway_error(status, payload.get("message", ""), "BadRequestException")
        self.send(status, payload, origin_headers())

    def cold(self, name: str) -> bool:
        standin = self.server.standin
        with standin.lock:
            calls = standin.backend_calls[name] = standin.backend_calls.get(name, 0) + 1
        return "cold_start" in self.faults and calls == 1

    def consumer_refusal(self, name: str) -> str | None:
        """API Gateway's API key and the consumer's model list (the Lambda authorizer): why a call is refused."""
        standin = self.server.standin
        key = self.headers.get("x-api-key")
        models = standin.models_of(key)
        forbidden_key = "Forbidden: send a valid consumer key in x-api-key"
        if models is None:
            return None if "predict_without_key" in self.faults else forbidden_key
        if key == standin.api_key and "fresh_deploy" in self.faults:
            with standin.lock:
                standin.smoke_key_checks += 1
                if standin.smoke_key_checks <= standin.fresh_key_checks:
                    return forbidden_key  # a new key takes a moment to be known everywhere
        allowed = models == "all" or name in models
        if key == standin.restricted_key:
            if "restricted_key_refused_on_its_model" in self.faults:
                allowed = False
            if "restricted_key_on_any_model" in self.faults:
                allowed = True
        return None if allowed else ("Forbidden: this consumer key is unknown or may not call this model (GET "
                                     "/models lists the models; ask for access to more)")


def valid_instances(body: bytes) -> list | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    instances = payload.get("instances") if isinstance(payload, dict) else None
    return instances if isinstance(instances, list) and 0 < len(instances) <= MAX_INSTANCES else None


class EdgeHandler(JsonHandler):
    """CloudFront in front of the origin."""

    def setup(self):
        super().setup()
        standin = self.server.standin
        with standin.lock:
            self.pop = POPS[standin.connections % len(POPS)]
            standin.connections += 1
        self.requests_served = 0
        if isinstance(self.connection, ssl.SSLSocket):
            standin.tls_connections.append(self)

    def do_GET(self):
        self.serve("GET", b"")

    def do_POST(self):
        self.serve("POST", self.body())

    def do_OPTIONS(self):
        self.serve("OPTIONS", b"")

    def serve(self, method: str, body: bytes) -> None:
        standin = self.server.standin
        self.requests_served += 1
        if not isinstance(self.connection, ssl.SSLSocket):
            standin.api_keys_over_plain_http.append(self.headers.get("x-api-key"))
            if "edge_waf_blocks_runner" in self.faults:
                return self.cloudfront_error(403, WAF_BLOCK_PAGE)
            policy = self.plain_http_policy()
            if policy == "redirect-to-https":
                return self.redirect_to_https(method)
            if policy == "https-only":
                return self.cloudfront_error(403, HTTPS_ONLY_PAGE)
        standin.api_keys_at_edge.append(self.headers.get("x-api-key"))
        if "edge_waf_blocks_runner" in self.faults:
            return self.cloudfront_error(403, WAF_BLOCK_PAGE)
        standin.elapsed()  # the conditions of the run begin with its first request
        cacheable = (method == "GET" and self.route_path in CACHED_PATHS) or \
                    (method == "POST" and bool({"cached_post", "post_replayed_verbatim"} & self.faults))
        if "uncached_catalog" in self.faults and self.route_path == "/models":
            cacheable = False
        key = (method, self.route_path) + ((body,) if method == "POST" else ())  # the cache key: no query string
        cache = standin.caches[self.pop] if method == "GET" else standin.post_cache
        with standin.lock:
            cached = cache.get(key) if cacheable else None
        now = time.monotonic()
        if cached and now < cached.expires_at:
            if method == "POST" and "post_replayed_verbatim" in self.faults:
                return self.send(cached.status, cached.data, cached.headers)
            state = "RefreshHit from cloudfront" if "refresh_hit" in self.faults else "Hit from cloudfront"
            hit = {"X-Cache": state, "Age": str(int(now - cached.stored_at))}
            return self.send(cached.status, cached.data, {**cached.headers, **hit, **self.edge_headers(),
                                                          **self.security(cached.status)})
        if "fresh_deploy" in self.faults:
            with standin.lock:
                standin.uncached_requests += 1
                unreachable = standin.uncached_requests <= standin.fresh_route_requests
            if unreachable:
                return self.cloudfront_error(502, ORIGIN_UNREACHABLE_PAGE)
        status, headers, data = self.forward(method, body)
        headers = {**headers, "X-Cache": "Miss from cloudfront", **self.edge_headers(), **self.security(status)}
        if cacheable and status == 200:
            with standin.lock:
                cache[key] = Cached(now, now + CACHE_TTL, status, headers, data)
        self.send(status, data, headers)

    def edge_headers(self) -> dict:
        return {"Via": f"1.1 {uuid.uuid4().hex}.cloudfront.net (CloudFront)", "X-Amz-Cf-Pop": self.pop,
                "X-Amz-Cf-Id": base64.urlsafe_b64encode(os.urandom(42)).decode()}

    def plain_http_policy(self) -> str:
        """The viewer protocol policy of the behaviour this path falls under, faults included."""
        if self.route_path in REDIRECTED_PATHS:
            return "allow-all" if "no_redirect" in self.faults else "redirect-to-https"
        if "plain_http_post_redirected" in self.faults:
            return "redirect-to-https"
        return "allow-all" if "plain_http_post_served" in self.faults else "https-only"

    def redirect_to_https(self, method: str) -> None:
        host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
        self.send_response(301 if method in ("GET", "HEAD") else 307)
        self.send_header("Location", f"https://{host}{self.path}")
        for name, value in {**self.edge_headers(), "X-Cache": "Redirect from cloudfront"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def cloudfront_error(self, status: int, page: bytes) -> None:
        """An answer of CloudFront itself, which never reached the origin: its HTML error page."""
        self.send(status, page, {"Content-Type": "text/html", "Server": "CloudFront",
                                 "X-Cache": "Error from cloudfront", **self.edge_headers()})

    def security(self, status: int) -> dict:
        if "missing_hsts" in self.faults or (status >= 400 and "missing_hsts_on_errors" in self.faults):
            return {}
        return {"Strict-Transport-Security": "max-age=31536000"}

    def forward(self, method: str, body: bytes) -> tuple[int, dict, bytes]:
        standin = self.server.standin
        headers = {SECRET_HEADER: standin.secret, "Content-Type": self.headers.get("Content-Type", "application/json")}
        if self.headers.get("x-api-key"):
            headers["x-api-key"] = self.headers["x-api-key"]  # CloudFront forwards it (AllViewerExceptHostHeader)
        connection = self.origin_connection()
        connection.request(method, STAGE + self.path, body=body or None, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        passed = ("Content-Type", "Cache-Control", "x-amzn-RequestId", "x-amzn-ErrorType", "x-amz-apigw-id",
                  REGION_HEADER)
        return answer.status, {name: answer.getheader(name) for name in passed if answer.getheader(name)}, data

    def origin_connection(self) -> http.client.HTTPSConnection:
        """One kept-alive connection to the origin per viewer connection, as CloudFront keeps origin connections
        open (and as a TLS handshake per request would make every test run slower)."""
        if getattr(self, "_origin", None) is None:
            standin = self.server.standin
            host, port = standin.origins[standin.edge_region].server_address
            self._origin = http.client.HTTPSConnection(host, port, context=standin.client_context,
                                                       timeout=10)
        return self._origin

    def finish(self):
        super().finish()
        if getattr(self, "_origin", None) is not None:
            self._origin.close()
