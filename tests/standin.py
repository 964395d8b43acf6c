"""A local stand-in of a deployed environment, on loopback with real TLS, for testing the smoke suite.

edge    one port serving plain HTTP and TLS; plain HTTP gets a 301 to https on GET /health and /models
        (redirect-to-https) and CloudFront's HTML 403 everywhere else (https-only: the behaviours that allow POST);
        proxies to the origin adding the secret header; caches GET /health and /models (X-Cache like CloudFront's);
        adds HSTS
origin  TLS only; refuses requests without the secret header (403); serves /v1/health, /v1/models and
        /v1/models/{model}/predict, the iris model answered by the real reference-model handler; predict demands a
        consumer key and refuses it (403 JSON) on a model outside the key's list

`faults` injects one misbehaviour at a time (see FAULTS), so each smoke check can be shown to fail on its own.
"""

import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme

from ml_edge.reference_model.handler import handler as reference_handler

SECRET_HEADER = "X-Origin-Verify"
STAGE = "/v1"
CATALOG = {"models": [
    {"name": "iris", "backend": "reference", "description": "iris",
     "example": {"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}},
    {"name": "sentiment", "backend": "http", "description": "stub",
     "example": {"instances": ["great product", "arrived broken", "fine"]}},
]}
SLOW_SECONDS = 0.35  # over the smoke tests' p50 budget of 300 ms
WARM_UP_SECONDS = 0.8
FAULTS = {
    "no_redirect": "the catalog and health behaviours serve plain HTTP instead of redirecting",
    "untrusted_certificate": "the edge's certificate is signed by an unknown CA",
    "health_not_ok": 'GET /health answers {"status": "degraded"}',
    "uncached_catalog": "the edge never caches GET /models",
    "cached_post": "the edge caches POST answers",
    "wrong_prediction_count": "one prediction short",
    "wrong_model_name": "the answer names another model",
    "bad_input_5xx": "a malformed body gets a 502",
    "unknown_model_403": "an unknown model gets API Gateway's default 403",
    "missing_hsts": "no Strict-Transport-Security header",
    "html_errors": "errors come back as HTML",
    "open_origin": "the origin answers without the secret header",
    "slow": f"every edge answer takes {SLOW_SECONDS * 1000:.0f} ms",
    "warming_up": f"the edge answers 503 for {WARM_UP_SECONDS} seconds from its first request",
    "predict_without_key": "predict answers without a consumer key",
    "restricted_key_on_any_model": "a key restricted to some models is accepted on every model",
    "restricted_key_refused_on_its_model": "the restricted key is refused on its own model",
    "plain_http_post_redirected": "the behaviours that allow POST redirect plain HTTP with a 301 (redirect-to-https)",
    "plain_http_post_served": "the behaviours that allow POST serve plain HTTP (allow-all)",
}
REDIRECTED_PATHS = ("/health", "/models")  # redirect-to-https; every other behaviour allows POST: https-only
CLOUDFRONT_403 = (b"<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>"
                  b"<H1>403 ERROR</H1><H2>The request could not be satisfied.</H2>Bad request.</BODY></HTML>")
CACHE_TTL = 60


@dataclass
class StandIn:
    faults: set[str] = field(default_factory=set)
    secret: str = "standin-secret-0123456789abcdef0123456789abcdef"
    api_key: str = "standin-consumer-key-0123456789abcdef"  # the smoke consumer: every model
    restricted_key: str = "standin-restricted-key-fedcba9876543210"
    restricted_models: tuple[str, ...] = ("iris",)
    api_keys_at_edge: list = field(default_factory=list)  # x-api-key of every edge request (None when absent)
    api_keys_at_origin: list = field(default_factory=list)  # x-api-key of every direct origin request
    api_keys_over_plain_http: list = field(default_factory=list)  # x-api-key of every plain-HTTP edge request

    def __post_init__(self):
        unknown = self.faults - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {sorted(FAULTS)}")
        self.ca = trustme.CA()
        self.first_request_at: float | None = None  # the warm-up counts from here, not from a slow process start
        self.cache: dict[tuple, tuple[float, int, dict, bytes]] = {}
        self.lock = threading.Lock()

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def __enter__(self) -> "StandIn":
        origin_context = self._server_context(self.ca)
        edge_ca = trustme.CA() if "untrusted_certificate" in self.faults else self.ca
        self.origin = TlsServer(("127.0.0.1", 0), OriginHandler, origin_context, self)
        self.edge = DualProtocolServer(("127.0.0.1", 0), EdgeHandler, self._server_context(edge_ca), self)
        self.client_context = ssl.create_default_context()
        self.ca.configure_trust(self.client_context)
        for server in (self.origin, self.edge):
            # shutdown() waits for the next poll: the default 0.5 s, twice, would be most of a short test
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        for server in (self.edge, self.origin):
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

    @property
    def edge_url(self) -> str:
        return f"https://127.0.0.1:{self.edge.server_address[1]}"

    @property
    def origin_url(self) -> str:
        return f"https://127.0.0.1:{self.origin.server_address[1]}{STAGE}"


class TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, context: ssl.SSLContext, standin: StandIn):
        super().__init__(address, handler)
        self.context, self.standin = context, standin

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

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, payload: dict | bytes, headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
        if status >= 400 and "html_errors" in self.faults:
            data, headers["Content-Type"] = b"<html><body>Error</body></html>", "text/html"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class OriginHandler(JsonHandler):
    """API Gateway behind its WAF: the secret header first, then the routes of the contract."""

    def do_GET(self):
        self.route("GET", b"")

    def do_POST(self):
        self.route("POST", self.body())

    def route(self, method: str, body: bytes) -> None:
        standin = self.server.standin
        if self.headers.get(SECRET_HEADER) is None:
            standin.api_keys_at_origin.append(self.headers.get("x-api-key"))
        if self.headers.get(SECRET_HEADER) != standin.secret and "open_origin" not in self.faults:
            return self.send(403, {"message": "Forbidden"})
        path = self.path.removeprefix(STAGE)
        if method == "GET" and path == "/health":
            status = "degraded" if "health_not_ok" in self.faults else "ok"
            return self.send(200, {"status": status, "environment": "standin"})
        if method == "GET" and path == "/models":
            return self.send(200, CATALOG)
        names = [m["name"] for m in CATALOG["models"]]
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 3 and parts[0] == "models" and parts[2] == "predict" \
                and parts[1] in names:
            return self.predict(parts[1], body)
        if "unknown_model_403" in self.faults:
            return self.send(403, {"message": "Missing Authentication Token"})
        return self.send(404, {"message": "Not found: no such model or path. GET /models lists the models."})

    def predict(self, name: str, body: bytes) -> None:
        if not self.consumer_may_call(name):
            return self.send(403, {"message": f"Forbidden: this consumer key may not call the model {name}"})
        if name == "iris":
            answer = reference_handler({"body": body.decode(errors="replace"), "isBase64Encoded": False})
            status, payload = answer["statusCode"], json.loads(answer["body"])
        else:
            try:
                instances = json.loads(body)["instances"]
                assert isinstance(instances, list) and instances
                status, payload = 200, {"model": name, "predictions": [{"label": "positive"} for _ in instances]}
            except (ValueError, KeyError, TypeError, AssertionError):
                status, payload = 400, {"message": 'Invalid request body: "instances" must be a non-empty list'}
        if status == 400 and "bad_input_5xx" in self.faults:
            return self.send(502, {"message": "Internal server error"})
        if status == 200 and "wrong_prediction_count" in self.faults:
            payload["predictions"] = payload["predictions"][:-1]
        if status == 200 and "wrong_model_name" in self.faults:
            payload["model"] = "other"
        self.send(status, payload)

    def consumer_may_call(self, name: str) -> bool:
        """API Gateway's API key and the consumer's model list (the Lambda authorizer)."""
        standin = self.server.standin
        key = self.headers.get("x-api-key")
        models = standin.models_of(key)
        if models is None:
            return "predict_without_key" in self.faults
        if key == standin.restricted_key:
            if "restricted_key_refused_on_its_model" in self.faults:
                return False
            if "restricted_key_on_any_model" in self.faults:
                return True
        return models == "all" or name in models


class EdgeHandler(JsonHandler):
    """CloudFront in front of the origin."""

    CACHED_PATHS = ("/health", "/models")

    def do_GET(self):
        self.serve("GET", b"")

    def do_POST(self):
        self.serve("POST", self.body())

    def serve(self, method: str, body: bytes) -> None:
        standin = self.server.standin
        if "slow" in self.faults:
            time.sleep(SLOW_SECONDS)
        if not isinstance(self.connection, ssl.SSLSocket):
            standin.api_keys_over_plain_http.append(self.headers.get("x-api-key"))
            policy = self.plain_http_policy()
            if policy == "redirect-to-https":
                return self.redirect_to_https()
            if policy == "https-only":
                return self.refuse_plain_http()
        standin.api_keys_at_edge.append(self.headers.get("x-api-key"))
        with standin.lock:
            standin.first_request_at = standin.first_request_at or time.monotonic()
        if "warming_up" in self.faults and time.monotonic() - standin.first_request_at < WARM_UP_SECONDS:
            return self.send(503, {"message": "warming up"})
        cacheable = (method == "GET" and self.path in self.CACHED_PATHS) or \
                    (method == "POST" and "cached_post" in self.faults)
        if "uncached_catalog" in self.faults and self.path == "/models":
            cacheable = False
        key = (method, self.path, body)
        with standin.lock:
            cached = standin.cache.get(key) if cacheable else None
        if cached and time.monotonic() - cached[0] < CACHE_TTL:
            _, status, headers, data = cached
            return self.send(status, data, {**headers, "X-Cache": "Hit from cloudfront", **self.security()})
        status, headers, data = self.forward(method, body)
        if cacheable and status == 200:
            with standin.lock:
                standin.cache[key] = (time.monotonic(), status, headers, data)
        self.send(status, data, {**headers, "X-Cache": "Miss from cloudfront", **self.security()})

    def plain_http_policy(self) -> str:
        """The viewer protocol policy of the behaviour this path falls under, faults included."""
        if self.path in REDIRECTED_PATHS:
            return "allow-all" if "no_redirect" in self.faults else "redirect-to-https"
        if "plain_http_post_redirected" in self.faults:
            return "redirect-to-https"
        return "allow-all" if "plain_http_post_served" in self.faults else "https-only"

    def redirect_to_https(self) -> None:
        host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
        self.send_response(301)
        self.send_header("Location", f"https://{host}{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def refuse_plain_http(self) -> None:
        """CloudFront's own answer on an https-only behaviour: an HTML 403 that never reaches the origin."""
        self.send_response(403)
        self.send_header("Content-Type", "text/html")
        self.send_header("X-Cache", "Error from cloudfront")
        self.send_header("Content-Length", str(len(CLOUDFRONT_403)))
        self.end_headers()
        self.wfile.write(CLOUDFRONT_403)

    def security(self) -> dict:
        return {} if "missing_hsts" in self.faults else {"Strict-Transport-Security": "max-age=31536000"}

    def forward(self, method: str, body: bytes) -> tuple[int, dict, bytes]:
        standin = self.server.standin
        host, port = standin.origin.server_address
        connection = http.client.HTTPSConnection(host, port, context=standin.client_context, timeout=10)
        headers = {SECRET_HEADER: standin.secret, "Content-Type": self.headers.get("Content-Type", "application/json")}
        if self.headers.get("x-api-key"):
            headers["x-api-key"] = self.headers["x-api-key"]  # CloudFront forwards it (AllViewerExceptHostHeader)
        connection.request(method, STAGE + self.path, body=body or None, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        return answer.status, {"Content-Type": answer.getheader("Content-Type", "application/json")}, data
