"""Region canary: every minute, ask the region's API Gateway custom domain what CloudFront would ask it, minus the
origin secret, and fail (raise) unless the region's origin guard answers.

Why: the region's 5XX alarm judges the region from API Gateway's metrics, and a region CloudFront cannot reach at
all (API Gateway down there, its custom domain, certificate or base path mapping broken) sends none, so its check
stays healthy. This function is the traffic that region lacks. It connects to the custom domain's regional target
(`d-….execute-api.<region>.amazonaws.com`, env CANARY_TARGET) with SNI and Host = the origin name (CANARY_ORIGIN_NAME),
as CloudFront does after resolving the latency name, and sends `GET /<stage>/health` WITHOUT the origin secret.

The one good answer is the origin guard's: a JSON 403 `{"message": "Forbidden"}` carrying `X-ML-Edge-Region:
<CANARY_REGION>`, over TLS with a certificate valid for the origin name. It proves, end to end: the custom domain
serves the origin name with a valid certificate, its mapping reaches this region's stage (an unmapped path gets
API Gateway's own 403, which has no region header), and the WAF guard still refuses a request without the secret.
Anything else (refused, timed out, another certificate, 200 because the guard is open, another region, another
status) raises, so the invocation counts in AWS/Lambda `Errors`; three failing minutes take the region out of the
latency set (origin_domain.py). The function holds no secret: the configuration is four environment variables.

Standard library only: the Lambda archive holds this package, nothing else.
"""

import http.client
import json
import os
import ssl

REGION_HEADER = "X-ML-Edge-Region"  # the API's and the guard's (program/ml_edge/openapi.py); tests keep them equal
GUARD_STATUS = 403
GUARD_BODY = {"message": "Forbidden"}
TIMEOUT_SECONDS = 5.0
HTTPS_PORT = 443


class CanaryFailed(Exception):
    """The region did not answer as its origin guard does: CloudFront could not be served there."""


def probe(target: str, origin_name: str, stage: str, region: str, *, port: int = HTTPS_PORT,
          timeout: float = TIMEOUT_SECONDS, context: ssl.SSLContext | None = None) -> str:
    """Ask `target` for `https://<origin_name>/<stage>/health` without the origin secret; return a one-line summary
    when the region's guard refused it, raise CanaryFailed (or the connection's OSError) otherwise."""
    connection = _OriginConnection(target, port, origin_name, context or ssl.create_default_context(), timeout)
    try:
        connection.request("GET", f"/{stage}/health", headers={"Host": origin_name, "Accept": "application/json",
                                                               "User-Agent": "ml-edge-region-canary"})
        response = connection.getresponse()
        body = response.read(4096)
    except ssl.SSLCertVerificationError as error:
        raise CanaryFailed(f"{origin_name} via {target}: certificate not valid for the origin name: "
                           f"{error.verify_message}") from error
    except (OSError, http.client.HTTPException) as error:
        raise CanaryFailed(f"{origin_name} via {target}: no answer: {type(error).__name__}: {error}") from error
    finally:
        connection.close()
    answered = response.getheader(REGION_HEADER)
    if response.status != GUARD_STATUS:
        hint = " (the origin guard admits a request without the secret)" if response.status < 400 else ""
        raise CanaryFailed(f"{origin_name} via {target}: {response.status} instead of the guard's 403{hint}")
    if answered != region:
        raise CanaryFailed(f"{origin_name} via {target}: 403 from {answered or 'no region'} (header {REGION_HEADER}), "
                           f"not {region}'s origin guard: the custom domain or its mapping is broken")
    if _json(body) != GUARD_BODY:
        raise CanaryFailed(f"{origin_name} via {target}: a 403 from {region} that is not the guard's JSON")
    return f"{region}: the origin guard answers on {origin_name} via {target}"


class _OriginConnection(http.client.HTTPConnection):
    """HTTPS to one address under another name: TCP to `target`, TLS with SNI = `origin_name`, and the certificate
    verified for `origin_name` (http.client's HTTPSConnection would use the address for both)."""

    def __init__(self, target: str, port: int, origin_name: str, context: ssl.SSLContext, timeout: float):
        super().__init__(target, port, timeout=timeout)
        self.origin_name, self.context = origin_name, context

    def connect(self) -> None:
        super().connect()
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.origin_name)


def handler(event, context) -> dict:
    summary = probe(os.environ["CANARY_TARGET"], os.environ["CANARY_ORIGIN_NAME"], os.environ["CANARY_STAGE"],
                    os.environ["CANARY_REGION"])
    print(json.dumps({"canary": "ok", "summary": summary}))
    return {"ok": True, "summary": summary}


def _json(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return None

