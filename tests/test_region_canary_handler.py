"""The region canary's handler (program/ml_edge/region_canary/handler.py) against a local TLS server that plays a
region's API Gateway custom domain: it passes only on the origin guard's JSON 403 naming its own region, over a
certificate valid for the origin name, and raises on everything else (so AWS/Lambda counts an error)."""

import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from ml_edge.openapi import REGION_HEADER
from ml_edge.region_canary import handler as canary

ORIGIN = "origin.ml-edge.test"
REGION = "eu-west-1"
STAGE = "v1"
GUARD_ANSWER = (403, {"Content-Type": "application/json", "Cache-Control": "no-store", REGION_HEADER: REGION},
                b'{"message": "Forbidden"}')


class Region(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        status, headers, body = self.server.answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class TlsRegion(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, answer):
        super().__init__(("127.0.0.1", 0), Region)
        self.context, self.answer, self.requests, self.sni = context, answer, [], []
        context.sni_callback = lambda sock, name, ctx: self.sni.append(name)

    def get_request(self):
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def client_context(ca):
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def serve(ca: trustme.CA, answer, name: str = ORIGIN):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    server = TlsRegion(context, answer)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server


@pytest.fixture
def region(ca, request):
    answer, name = getattr(request, "param", (GUARD_ANSWER, ORIGIN))
    server = serve(ca, answer, name)
    yield server
    server.shutdown()
    server.server_close()


def probe(server, context, **kwargs):
    return canary.probe("127.0.0.1", ORIGIN, STAGE, REGION, port=server.server_address[1], context=context,
                        timeout=kwargs.pop("timeout", 2.0), **kwargs)


def test_the_guards_403_from_its_own_region_passes_and_carries_no_secret(region, client_context):
    assert REGION in probe(region, client_context)
    ((path, headers),) = region.requests
    assert path == f"/{STAGE}/health"
    assert headers["Host"] == ORIGIN and region.sni == [ORIGIN]  # what CloudFront sends to the latency name
    assert not [h for h in headers if h.lower().startswith("x-origin") or "secret" in h.lower()]


def with_answer(status=403, region_header: str | None = REGION, body=b'{"message": "Forbidden"}'):
    headers = {"Content-Type": "application/json"}
    if region_header is not None:
        headers[REGION_HEADER] = region_header
    return (status, headers, body), ORIGIN


@pytest.mark.parametrize("region, why", [
    (with_answer(200, body=b'{"status": "ok"}'), "200 instead of the guard's 403"),
    (with_answer(region_header="us-east-1"), "from us-east-1"),
    (with_answer(region_header=None), "from no region"),
    (with_answer(body=b"<html>Forbidden</html>"), "not the guard's JSON"),
    (with_answer(502, body=json.dumps({"message": "Internal server error"}).encode()), "502"),
], indirect=["region"], ids=["guard-open", "wrong-region", "no-region-header", "not-json", "5xx"])
def test_any_other_answer_fails(region, client_context, why):
    with pytest.raises(canary.CanaryFailed, match=why):
        probe(region, client_context)


@pytest.mark.parametrize("region", [(GUARD_ANSWER, "other.ml-edge.test")], indirect=True)
def test_a_certificate_not_for_the_origin_name_fails(region, client_context):
    with pytest.raises(canary.CanaryFailed, match="certificate not valid for the origin name"):
        probe(region, client_context)
    assert region.requests == []


def test_a_certificate_of_an_untrusted_authority_fails(region):
    with pytest.raises(canary.CanaryFailed, match="certificate not valid"):
        probe(region, ssl.create_default_context())


def test_a_refused_connection_fails(client_context):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(canary.CanaryFailed, match="no answer"):
        canary.probe("127.0.0.1", ORIGIN, STAGE, REGION, port=port, context=client_context, timeout=2.0)


def test_a_silent_region_times_out_and_fails(client_context):
    with socket.socket() as silent:  # accepts the connection (the backlog) and never answers the handshake
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(canary.CanaryFailed, match="no answer: .*timed out"):
            canary.probe("127.0.0.1", ORIGIN, STAGE, REGION, port=silent.getsockname()[1], context=client_context,
                         timeout=0.3)


def test_the_lambda_entry_point_reads_its_configuration_from_the_environment(monkeypatch):
    seen = {}
    monkeypatch.setattr(canary, "probe", lambda *args: seen.setdefault("args", args) and "ok")
    for name, value in {"CANARY_TARGET": "d-abc.execute-api.eu-west-1.amazonaws.com", "CANARY_ORIGIN_NAME": ORIGIN,
                        "CANARY_STAGE": STAGE, "CANARY_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    assert canary.handler({}, None)["ok"] is True
    assert seen["args"] == ("d-abc.execute-api.eu-west-1.amazonaws.com", ORIGIN, STAGE, REGION)


def test_the_handler_names_the_region_header_as_the_api_does():
    assert canary.REGION_HEADER == REGION_HEADER
