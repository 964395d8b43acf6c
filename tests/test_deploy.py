"""After `pulumi up` the deploy invalidates the edge's catalog and health and waits for it (CloudFront, through
botocore's Stubber: requests checked, answers validated against botocore's CloudFront service model), then waits
until the edge's host name resolves; a failure after the up fails the deploy and says what is left to do."""

import json
import socket
import time
from pathlib import Path

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import Stubber
from fake_pulumi import ready_for_the_cloud

from gitops.aws import authorizer_cache, edge_cache, edge_dns
from gitops.cli import deploy as deploy_cli
from gitops.deploy import rotation_check, steps
from gitops.pulumi.pulumi_cli import CliRun

ANSWERS = Path(__file__).parent / "data" / "cloudfront"  # CloudFront answers, in the service model's shapes
DISTRIBUTION = "E2QWRUHAPOMQZL"
INVALIDATION = "I2J0I21PCUYOIK"
HOST = "api.ml-edge.example.com"
API_ID = "7odxxbqfpd"
ADDRESS = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.10", 443))]


def answer(name: str) -> dict:
    return json.loads((ANSWERS / f"{name}.json").read_text())


class FreshReference:
    """Equal to any non-empty caller reference this test has not seen before (and remembers it)."""

    def __init__(self):
        self.seen: list[str] = []

    def __eq__(self, other):
        fresh = isinstance(other, str) and bool(other) and other not in self.seen
        self.seen.append(other)
        return fresh


@pytest.fixture
def apigateway():
    client = botocore.session.get_session().create_client(
        "apigateway", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    with Stubber(client) as stubber:
        client.stubber = stubber
        yield client
        stubber.assert_no_pending_responses()


def expect_flush(apigateway) -> None:
    """FlushStageAuthorizersCache answers 202 with no body (botocore's API Gateway model)."""
    apigateway.stubber.add_response("flush_stage_authorizers_cache", {}, {"restApiId": API_ID, "stageName": "v1"})


@pytest.fixture
def cloudfront():
    client = botocore.session.get_session().create_client(
        "cloudfront", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    with Stubber(client) as stubber:
        client.stubber = stubber
        yield client
        stubber.assert_no_pending_responses()


def expect_invalidation(stubber: Stubber, statuses: list[str], reference: FreshReference | None = None) -> None:
    stubber.add_response("create_invalidation", answer("create_invalidation"), {
        "DistributionId": DISTRIBUTION,
        "InvalidationBatch": {"Paths": {"Quantity": 2, "Items": ["/models", "/health"]},
                              "CallerReference": reference or FreshReference()}})
    for status in statuses:
        stubber.add_response("get_invalidation", answer(f"get_invalidation_{status}"),
                             {"DistributionId": DISTRIBUTION, "Id": INVALIDATION})


def test_the_catalog_is_invalidated_then_waited_for_until_completed(cloudfront):
    expect_invalidation(cloudfront.stubber, ["in_progress", "completed"])
    said = []
    assert edge_cache.invalidate_catalog(cloudfront, DISTRIBUTION, poll_seconds=0, say=said.append) == INVALIDATION
    assert said[0] == (f"invalidating /models and /health on CloudFront distribution {DISTRIBUTION}: invalidation "
                       f"{INVALIDATION} InProgress; waiting for it to complete (45 checks at most, 0 s apart)")
    assert said[1:] == [f"  invalidation {INVALIDATION}: InProgress (check 1 of 45)",
                        f"  invalidation {INVALIDATION}: Completed (check 2 of 45)"]


def test_every_invalidation_has_its_own_caller_reference(cloudfront):
    reference = FreshReference()
    for _ in range(2):
        expect_invalidation(cloudfront.stubber, ["completed"], reference)
        edge_cache.invalidate_catalog(cloudfront, DISTRIBUTION, poll_seconds=0, say=lambda line: None)
    assert len(set(reference.seen)) == 2


def test_a_refused_invalidation_is_an_error_naming_the_distribution(cloudfront):
    cloudfront.stubber.add_client_error("create_invalidation", "AccessDenied", "Access denied.", 403)
    with pytest.raises(edge_cache.InvalidationFailed,
                       match=f"could not invalidate /models and /health on CloudFront distribution {DISTRIBUTION}: "
                             ".*AccessDenied"):
        edge_cache.invalidate_catalog(cloudfront, DISTRIBUTION, poll_seconds=0, say=lambda line: None)


def test_the_wait_for_an_invalidation_is_bounded(cloudfront):
    expect_invalidation(cloudfront.stubber, ["in_progress"] * 3)
    said = []
    with pytest.raises(edge_cache.InvalidationFailed, match=f"invalidation {INVALIDATION} .* did not complete: .*"
                                                            "Max attempts exceeded"):
        edge_cache.invalidate_catalog(cloudfront, DISTRIBUTION, poll_seconds=0, max_polls=3, say=said.append)
    assert said[-1] == f"  invalidation {INVALIDATION}: InProgress (check 3 of 3)"


def test_a_failing_status_check_ends_the_wait(cloudfront):
    expect_invalidation(cloudfront.stubber, [])
    cloudfront.stubber.add_client_error("get_invalidation", "NoSuchInvalidation", "gone", 404)
    with pytest.raises(edge_cache.InvalidationFailed, match="did not complete: .*NoSuchInvalidation"):
        edge_cache.invalidate_catalog(cloudfront, DISTRIBUTION, poll_seconds=0, say=lambda line: None)


def test_the_records_point_at_the_distributions_own_name(cloudfront):
    cloudfront.stubber.add_response("get_distribution", answer("get_distribution"), {"Id": DISTRIBUTION})
    assert edge_cache.domain_name(cloudfront, DISTRIBUTION) == "d111111abcdef8.cloudfront.net"


class Resolver:
    """getaddrinfo that fails until the nth call."""

    def __init__(self, resolves_on: int | None):
        self.resolves_on, self.calls = resolves_on, []

    def __call__(self, host, port, type=0):
        self.calls.append((host, port, type))
        if self.resolves_on is None or len(self.calls) < self.resolves_on:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return ADDRESS


def test_the_deploy_waits_until_the_name_resolves():
    resolver, sleeps, said = Resolver(resolves_on=3), [], []
    addresses = edge_dns.wait_until_resolves(HOST, "d111111abcdef8.cloudfront.net", resolve=resolver,
                                             sleep=sleeps.append, say=said.append)
    assert addresses == ["203.0.113.10"]
    assert resolver.calls == [(HOST, 443, socket.SOCK_STREAM)] * 3 and sleeps == [15, 15]
    assert said[0].startswith(f"{HOST} does not resolve yet (Name or service not known); waiting up to 15 min")
    assert said[1] == f"  {HOST}: still does not resolve (Name or service not known; 15 s of 900 s)"
    assert said[2] == f"{HOST} resolves (203.0.113.10)"


def test_a_name_that_never_resolves_is_an_error_saying_what_to_create():
    resolver, sleeps = Resolver(resolves_on=None), []
    with pytest.raises(edge_dns.NameDoesNotResolve) as raised:
        edge_dns.wait_until_resolves(HOST, "d111111abcdef8.cloudfront.net", resolve=resolver, sleep=sleeps.append,
                                     say=lambda line: None)
    message = str(raised.value)
    assert message.startswith(f"{HOST} still does not resolve after 15 min: create DNS records for {HOST}")
    assert "an A and an AAAA alias record to the distribution" in message
    assert f"a CNAME {HOST} → d111111abcdef8.cloudfront.net" in message
    assert sum(sleeps) == 900 and len(resolver.calls) == 61


# gitops.cli.deploy: the order, and what a failure after the up says


@pytest.fixture
def deploy_run(monkeypatch, cloudfront, apigateway, tmp_path):
    """gitops.cli.deploy with pulumi up, stack outputs, CloudFront and DNS faked; returns the log of what ran."""
    ran = []
    ready_for_the_cloud(monkeypatch, tmp_path / "pulumi-home")

    def up(command):
        ran.append("pulumi " + command[1])
        return CliRun(0, "")

    def outputs(stack):
        ran.append(f"outputs {stack}")
        return {"edgeUrl": f"https://{HOST}", "distributionId": DISTRIBUTION, "originUrl": "https://o.example/v1",
                "apiId": API_ID, "stage": "v1"}

    def client():
        ran.append("cloudfront")
        return cloudfront

    def api_client(region):
        ran.append(f"apigateway {region}")
        return apigateway

    monkeypatch.setattr(steps.deployed, "history", lambda stack: [])  # never deployed: deploy, nothing to rotate
    monkeypatch.setattr(rotation_check, "stack_outputs", lambda stack: {})
    monkeypatch.setattr(steps.pulumi_cli, "run", up)
    monkeypatch.setattr(steps, "stack_outputs", outputs)
    monkeypatch.setattr(edge_cache, "client", client)
    monkeypatch.setattr(authorizer_cache, "client", api_client)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # the botocore waiter's and the DNS wait's
    monkeypatch.setenv("PULUMI_STACK_PREFIX", "")
    return ran


def test_after_the_up_the_catalog_is_invalidated_then_the_name_must_resolve(deploy_run, cloudfront, apigateway,
                                                                            monkeypatch, capsys):
    expect_flush(apigateway)
    expect_invalidation(cloudfront.stubber, ["in_progress", "completed"])
    cloudfront.stubber.add_response("get_distribution", answer("get_distribution"), {"Id": DISTRIBUTION})
    resolver = Resolver(resolves_on=2)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    assert deploy_cli.main(["--env", "prod"]) == 0
    assert deploy_run == ["pulumi up", "outputs prod", "apigateway us-east-1", "cloudfront"]
    assert resolver.calls == [(HOST, 443, socket.SOCK_STREAM)] * 2
    out = capsys.readouterr().out
    assert out.index("Completed (check 2 of 45)") < out.index(f"{HOST} does not resolve yet")
    assert "a CNAME api.ml-edge.example.com → d111111abcdef8.cloudfront.net" in out


def test_every_regions_authorizer_cache_is_flushed(deploy_run, cloudfront, apigateway, monkeypatch):
    """With several regions each stage has its own authorizer and cache: a narrowed key must lose its old answer in
    every region, or the region that still caches it keeps serving the old models for 300 s."""
    other = "k3x9w2v1ab"
    regional = {"originUrls": {"us-east-1": f"https://{API_ID}.execute-api.us-east-1.amazonaws.com/v1",
                               "eu-west-1": f"https://{other}.execute-api.eu-west-1.amazonaws.com/v1"}}
    outputs = steps.stack_outputs
    monkeypatch.setattr(steps, "stack_outputs", lambda stack: {**outputs(stack), **regional})
    expect_flush(apigateway)
    apigateway.stubber.add_response("flush_stage_authorizers_cache", {}, {"restApiId": other, "stageName": "v1"})
    expect_invalidation(cloudfront.stubber, ["completed"])
    cloudfront.stubber.add_response("get_distribution", answer("get_distribution"), {"Id": DISTRIBUTION})
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(resolves_on=1))
    assert deploy_cli.main(["--env", "prod"]) == 0
    assert deploy_run == ["pulumi up", "outputs prod", "apigateway us-east-1", "apigateway eu-west-1", "cloudfront"]


def test_a_failed_up_invalidates_nothing(monkeypatch, tmp_path):
    ready_for_the_cloud(monkeypatch, tmp_path / "pulumi-home")
    monkeypatch.setattr(steps.deployed, "history", lambda stack: [])
    monkeypatch.setattr(rotation_check, "stack_outputs", lambda stack: {})
    monkeypatch.setattr(steps.pulumi_cli, "run", lambda command: CliRun(255, "error: update failed"))
    monkeypatch.setattr(steps, "stack_outputs", lambda stack: pytest.fail("no outputs after a failed up"))
    monkeypatch.setattr(edge_cache, "client", lambda: pytest.fail("no invalidation after a failed up"))
    assert deploy_cli.main(["--env", "dev"]) == 255


def test_a_failed_invalidation_fails_the_deploy_and_says_the_catalog_may_be_stale(deploy_run, cloudfront, apigateway,
                                                                                  capsys):
    expect_flush(apigateway)
    cloudfront.stubber.add_client_error("create_invalidation", "TooManyInvalidationsInProgress", "slow down", 400)
    assert deploy_cli.main(["--env", "dev"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: dev is deployed (pulumi up succeeded), but could not invalidate /models and "
                          f"/health on CloudFront distribution {DISTRIBUTION}")
    assert "the edge may serve the old /models and /health for up to their cache maxTtl" in err
    assert f"aws cloudfront create-invalidation --distribution-id {DISTRIBUTION} --paths /models /health" in err


def test_a_name_that_never_resolves_fails_the_deploy_before_the_smoke_suite(deploy_run, cloudfront, apigateway,
                                                                           monkeypatch, capsys):
    expect_flush(apigateway)
    expect_invalidation(cloudfront.stubber, ["completed"])
    cloudfront.stubber.add_response("get_distribution", answer("get_distribution"), {"Id": DISTRIBUTION})
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(resolves_on=None))
    assert deploy_cli.main(["--env", "prod"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: prod is deployed (pulumi up succeeded), but {HOST} still does not resolve after "
                          "15 min: create DNS records")


def test_without_the_stack_outputs_the_deploy_fails_saying_nothing_was_invalidated(deploy_run, monkeypatch, capsys):
    monkeypatch.setattr(steps, "stack_outputs", lambda stack: None)
    monkeypatch.setattr(edge_cache, "client", lambda: pytest.fail("nothing to invalidate"))
    assert deploy_cli.main(["--env", "dev"]) == 1
    assert "the outputs distributionId and edgeUrl of stack dev could not be read" in capsys.readouterr().err


def test_a_failed_authorizer_flush_fails_the_deploy_before_the_invalidation(deploy_run, apigateway, capsys):
    """A consumer removed or narrowed by the deploy keeps its cached answer (300 s) until the stage's authorizer
    cache is flushed."""
    apigateway.stubber.add_client_error("flush_stage_authorizers_cache", "TooManyRequestsException", "slow down",
                                        429, expected_params={"restApiId": API_ID, "stageName": "v1"})
    assert deploy_cli.main(["--env", "dev"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: dev is deployed (pulumi up succeeded), but could not flush the authorizer cache of "
                          f"stage v1 of REST API {API_ID}")
    assert f"aws apigateway flush-stage-authorizers-cache --region eu-west-1 --rest-api-id {API_ID}" in err
    assert deploy_run == ["pulumi up", "outputs dev", "apigateway eu-west-1"]  # no invalidation after it
